/**
 * The decoder: target embedding, recurrent layers initialised from the encoder's final states,
 * optional attention over the encoder outputs, and the output projection to target-vocabulary logits.
 * `decodeTeacherForced` runs a whole target sequence (training); `decodeStep` one step for search.
 */
import { tf } from '../tf';
import { dropout, type DropoutSeeds } from './dropout';
import type { ModelSettings } from '../config';
import { attend, type Memory } from './attention';
import { attentionWeights, get, rnnWeights, type Params } from './params';
import { runRnn, type RnnState } from './rnn';
import { inputTable } from './inputTables';
import { kernels, type DecoderStepResult, type DecoderStepWeights } from '../acceleration/kernels';

function outputLogits(params: Params, hidden2d: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(hidden2d, get(params, 'output/kernel') as unknown as tf.Tensor2D), get(params, 'output/bias')) as tf.Tensor2D;
}

/**
 * tgtIn [T, B] (<s> y1 .. yn) -> logits [B*T, V] in batch-major order (row b*T + t); with `rows`
 * (indices into those B*T rows), only the logits of those rows, in that order.
 */
export function decodeTeacherForced(
  m: ModelSettings, params: Params, tgtIn: tf.Tensor2D, initial: RnnState[], memory: Memory | null, training: DropoutSeeds | null,
  rows?: tf.Tensor1D,
): tf.Tensor2D {
  let x = tf.gather(get(params, 'decoder/embedding'), tgtIn) as tf.Tensor3D;
  if (training && m.dropout > 0) x = dropout(x, m.dropout, training);
  for (let l = 0; l < m.layers; l++) {
    x = runRnn(m.cell, x, rnnWeights(params, `decoder/l${l}`), initial[l], null).outputs;
    if (training && m.dropout > 0) x = dropout(x, m.dropout, training);
  }
  const [T, B, H] = x.shape;
  let hidden = tf.transpose(x, [1, 0, 2]) as tf.Tensor3D;
  if (memory) hidden = attend(m.attention, hidden, memory, attentionWeights(params, m)).hidden;
  const flat = tf.reshape(hidden, [B * T, H]) as tf.Tensor2D;
  // Only the rows asked for (the real target tokens) reach the output layer, the costliest matmul.
  return outputLogits(params, rows ? (tf.gather(flat, rows) as tf.Tensor2D) : flat);
}

/** The decoder's weights for the seam's decoderStep. */
export function decoderStepWeights(m: ModelSettings, params: Params): DecoderStepWeights {
  const embedding = get(params, 'decoder/embedding') as unknown as tf.Tensor2D;
  const layers = Array.from({ length: m.layers }, (_, l) => rnnWeights(params, `decoder/l${l}`));
  return {
    cell: m.cell, attention: m.attention, embedding, layers, inputTable: inputTable(m.cell, embedding, layers[0]),
    attend: m.attention === 'none' ? null : attentionWeights(params, m),
    output: { kernel: get(params, 'output/kernel') as unknown as tf.Tensor2D, bias: get(params, 'output/bias') as unknown as tf.Tensor1D },
  };
}

/**
 * One decoding step for every row: prevIds [B] -> the new states and log-probabilities: of every
 * token [B, V] (topK 0, ids null), or of each row's topK best tokens [B, topK] with their ids; only the
 * `active` rows are computed (null: all), the others keep their states; withAttention: also the attention weights [B, S].
 * The same computation as decodeTeacherForced's for one time step (the seam's decoderStep, defined
 * on TF.js ops in acceleration/reference/decoderStep.ts), in one fused operation where the backend has one.
 */
export function decodeStep(
  m: ModelSettings, params: Params, prevIds: tf.Tensor1D, states: RnnState[], memory: Memory | null, topK = 0, active: Int32Array | null = null,
  withAttention = false,
): DecoderStepResult {
  return kernels().decoderStep(decoderStepWeights(m, params), prevIds, states, memory, topK, active, withAttention);
}
