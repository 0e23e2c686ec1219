/**
 * One decoding step of the whole decoder on TF.js ops: the definition of the seam's decoderStep
 * (../kernels.ts), which the native version (../native/decoderStep.ts) must equal. The target
 * embedding of the previous tokens (or layer 0's projections of them, looked up) -> each recurrent layer's step, initialised from `states` -> attention
 * over the encoder outputs scoring the top layer's output -> output projection -> log-softmax -> every
 * log-probability, or each row's k best; when asked, the attention weights too.
 */
import { tf } from '../../tf';
import { attend, type Memory } from '../../network/attention';
import type { DecoderStepResult, DecoderStepWeights, RnnState } from '../kernels';
import { cellStep, projectInputs } from './recurrentCells';

export function referenceDecoderStep(
  w: DecoderStepWeights, prevIds: tf.Tensor1D, states: RnnState[], memory: Memory | null, topK: number, active: Int32Array | null,
  withAttention: boolean,
): DecoderStepResult {
  let x = w.inputTable ? prevIds : (tf.gather(w.embedding, prevIds) as tf.Tensor2D);
  const next: RnnState[] = w.layers.map((lw, l) => {
    const xw = l === 0 && w.inputTable ? (tf.gather(w.inputTable, prevIds) as tf.Tensor2D)
      : (tf.squeeze(projectInputs(w.cell, tf.expandDims(x, 0) as tf.Tensor3D, lw), [0]) as tf.Tensor2D);
    const s = cellStep(w.cell, xw, states[l], lw);
    x = s.h;
    return s;
  });
  let hidden = x;
  let weights: tf.Tensor2D | null = null;
  if (memory && w.attend) {
    const a = attend(w.attention, tf.expandDims(x, 1) as tf.Tensor3D, memory, w.attend);
    hidden = tf.squeeze(a.hidden, [1]) as tf.Tensor2D;
    if (withAttention) weights = tf.squeeze(a.weights, [1]) as tf.Tensor2D;
  }
  const logProbs = tf.logSoftmax(tf.add(tf.matMul(hidden, w.output.kernel), w.output.bias)) as tf.Tensor2D;
  const best = topK > 0 ? tf.topk(logProbs, topK, true) : null;
  const result: DecoderStepResult = best
    ? { states: next, logProbs: best.values as tf.Tensor2D, ids: best.indices as tf.Tensor2D, attention: weights }
    : { states: next, logProbs, ids: null, attention: weights };
  return active ? onlyActive(result, states, active) : result;
}

/** The rows not in `active` keep their old state and get zeros. */
function onlyActive(r: DecoderStepResult, old: RnnState[], active: Int32Array): DecoderStepResult {
  const B = r.logProbs.shape[0];
  const on = new Array<boolean>(B).fill(false);
  for (const row of active) on[row] = true;
  const cond = tf.tensor2d(on, [B, 1], 'bool');
  const pick = <T extends tf.Tensor>(a: T, b: T) => tf.where(cond, a, b) as T;
  return {
    states: r.states.map((s, l) => ({ h: pick(s.h, old[l].h), c: s.c && pick(s.c, old[l].c!) })),
    logProbs: pick(r.logProbs, tf.zerosLike(r.logProbs)),
    ids: r.ids && pick(r.ids, tf.zerosLike(r.ids)),
    attention: r.attention && pick(r.attention, tf.zerosLike(r.attention)),
  };
}
