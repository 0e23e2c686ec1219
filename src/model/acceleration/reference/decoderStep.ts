/**
 * One decoding step of the whole decoder on TF.js ops: the definition of the seam's decoderStep
 * (../kernels.ts), which the native version (../native/decoderStep.ts) must equal. The target
 * embedding of the previous tokens (or layer 0's projections of them, looked up) -> each recurrent layer's step, initialised from `states` -> attention
 * over the encoder outputs scoring the top layer's output -> output projection -> log-softmax -> every
 * log-probability, or each row's k best.
 */
import { tf } from '../../tf';
import { attend, type Memory } from '../../network/attention';
import type { DecoderStepResult, DecoderStepWeights, RnnState } from '../kernels';
import { cellStep, projectInputs } from './recurrentCells';

export function referenceDecoderStep(w: DecoderStepWeights, prevIds: tf.Tensor1D, states: RnnState[], memory: Memory | null, topK: number): DecoderStepResult {
  let x = w.inputTable ? prevIds : (tf.gather(w.embedding, prevIds) as tf.Tensor2D);
  const next: RnnState[] = w.layers.map((lw, l) => {
    const xw = l === 0 && w.inputTable ? (tf.gather(w.inputTable, prevIds) as tf.Tensor2D)
      : (tf.squeeze(projectInputs(w.cell, tf.expandDims(x, 0) as tf.Tensor3D, lw), [0]) as tf.Tensor2D);
    const s = cellStep(w.cell, xw, states[l], lw);
    x = s.h;
    return s;
  });
  let hidden = x;
  if (memory && w.attend) {
    hidden = tf.squeeze(attend(w.attention, tf.expandDims(x, 1) as tf.Tensor3D, memory, w.attend).hidden, [1]) as tf.Tensor2D;
  }
  const logProbs = tf.logSoftmax(tf.add(tf.matMul(hidden, w.output.kernel), w.output.bias)) as tf.Tensor2D;
  if (topK === 0) return { states: next, logProbs, ids: null };
  const best = tf.topk(logProbs, topK, true);
  return { states: next, logProbs: best.values as tf.Tensor2D, ids: best.indices as tf.Tensor2D };
}
