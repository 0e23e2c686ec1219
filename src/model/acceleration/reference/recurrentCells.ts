/**
 * The LSTM and GRU cells on TF.js ops: the definition the faster versions (lstmSequence.ts here, the
 * native kernels) are checked against, and the reference GRU sequence, differentiated by autograd.
 * Keras layout: LSTM gates i, f, c, o; GRU gates z, r, h with reset_after (bias [2, 3H]: input, recurrent).
 */
import { tf } from '../../tf';
import type { CellKind } from '../../config';
import type { RnnState, RnnWeights, SequenceResult } from '../kernels';

/** The input projection for all steps: [T, B, in] -> [T, B, gates*H], bias included (GRU: input bias only). */
export function projectInputs(cell: CellKind, x: tf.Tensor3D, w: RnnWeights): tf.Tensor3D {
  const [T, B, inSize] = x.shape;
  const inputBias = cell === 'lstm' ? w.bias as tf.Tensor1D : tf.squeeze(tf.slice(w.bias, [0, 0], [1, -1]), [0]) as tf.Tensor1D;
  const flat = tf.reshape(x, [T * B, inSize]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(flat, w.kernel), inputBias), [T, B, -1]) as tf.Tensor3D;
}

/** The GRU's recurrent bias row [3H]. */
export function gruRecurrentBias(w: RnnWeights): tf.Tensor1D {
  return tf.squeeze(tf.slice(w.bias, [1, 0], [1, -1]), [0]) as tf.Tensor1D;
}

/** One step given the step's projected input xw [B, gates*H]. */
export function cellStep(cell: CellKind, xw: tf.Tensor2D, state: RnnState, w: RnnWeights): RnnState {
  if (cell === 'lstm') {
    const z = tf.add(xw, tf.matMul(state.h, w.recurrentKernel));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    const c = tf.add(tf.mul(tf.sigmoid(zf), state.c!), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
    const h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as tf.Tensor2D;
    return { h, c };
  }
  const hw = tf.add(tf.matMul(state.h, w.recurrentKernel), gruRecurrentBias(w));
  const [xz, xr, xn] = tf.split(xw, 3, 1);
  const [hz, hr, hn] = tf.split(hw, 3, 1);
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  const h = tf.add(n, tf.mul(z, tf.sub(state.h, n))) as tf.Tensor2D;
  return { h };
}

/** Keeps the old state where mask (shape [B, 1]) is 0. */
function masked(mask: tf.Tensor2D | null, next: tf.Tensor2D, prev: tf.Tensor2D): tf.Tensor2D {
  if (!mask) return next;
  return tf.add(prev, tf.mul(mask, tf.sub(next, prev))) as tf.Tensor2D;
}

/** The layer step by step with cellStep, differentiated by TF.js autograd. */
export function stepwiseSequence(cell: CellKind, xw: tf.Tensor3D, w: RnnWeights, initial: RnnState, mask: tf.Tensor3D | null, reverse: boolean): SequenceResult {
  const T = xw.shape[0];
  const steps = tf.unstack(xw) as tf.Tensor2D[];
  const masks = mask ? (tf.unstack(mask) as tf.Tensor2D[]) : null;
  const outputs: tf.Tensor2D[] = new Array(T);
  let state = initial;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const next = cellStep(cell, steps[t], state, w);
    const m = masks ? masks[t] : null;
    state = { h: masked(m, next.h, state.h), c: next.c ? masked(m, next.c, state.c!) : undefined };
    outputs[t] = state.h;
  }
  return { outputs: T ? (tf.stack(outputs) as tf.Tensor3D) : (tf.zeros([0, ...initial.h.shape]) as tf.Tensor3D), final: state };
}
