/**
 * One recurrent layer (LSTM or GRU) run over a whole time-major sequence. The input projection of
 * all time steps is one matrix multiply; each step then adds only the recurrent part. Padding is
 * masked: where mask is 0 the state is carried through unchanged, so an encoder's final state is
 * the state after its last real token, in either direction.
 *
 * Weight layout follows Keras (so Keras-converted weights map one to one): LSTM gates i, f, c, o;
 * GRU gates z, r, h with reset_after (two bias rows: input and recurrent).
 */
import { tf } from '../acceleration/backend';
import type { CellKind } from '../config';
import { lstmSequence } from '../acceleration/lstmSequence';
import { gruSequence } from '../acceleration/gruSequence';
import { nativeRnnActive } from '../acceleration/nativeRnn';

export interface RnnWeights {
  /** [inputSize, gates*H] */
  kernel: tf.Tensor2D;
  /** [H, gates*H] */
  recurrentKernel: tf.Tensor2D;
  /** LSTM: [4H]; GRU: [2, 3H] (input bias, recurrent bias) */
  bias: tf.Tensor;
}

export interface RnnState { h: tf.Tensor2D; c?: tf.Tensor2D }

export function gatesOf(cell: CellKind): number { return cell === 'lstm' ? 4 : 3; }

/** The input projection for all steps: [T, B, in] -> [T, B, gates*H], bias included (GRU: input bias only). */
export function projectInputs(cell: CellKind, x: tf.Tensor3D, w: RnnWeights): tf.Tensor3D {
  const [T, B, inSize] = x.shape;
  const inputBias = cell === 'lstm' ? w.bias as tf.Tensor1D : tf.squeeze(tf.slice(w.bias, [0, 0], [1, -1]), [0]) as tf.Tensor1D;
  const flat = tf.reshape(x, [T * B, inSize]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(flat, w.kernel), inputBias), [T, B, -1]) as tf.Tensor3D;
}

/** One step given the step's projected input xw [B, gates*H]. */
export function rnnStep(cell: CellKind, xw: tf.Tensor2D, state: RnnState, w: RnnWeights): RnnState {
  if (cell === 'lstm') {
    const z = tf.add(xw, tf.matMul(state.h, w.recurrentKernel));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    const c = tf.add(tf.mul(tf.sigmoid(zf), state.c!), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
    const h = tf.mul(tf.sigmoid(zo), tf.tanh(c)) as tf.Tensor2D;
    return { h, c };
  }
  const recurrentBias = tf.squeeze(tf.slice(w.bias, [1, 0], [1, -1]), [0]);
  const hw = tf.add(tf.matMul(state.h, w.recurrentKernel), recurrentBias);
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

/** The LSTM sequence with a hand-written backward pass; switchable for tests that compare it with autograd. */
export let useFusedLstm = true;
export function setFusedLstm(on: boolean): void { useFusedLstm = on; }

export interface RnnResult { outputs: tf.Tensor3D; final: RnnState }

/**
 * Runs the layer over x [T, B, in]. masks[t] is [B, 1] (1 = real token) or null for no padding.
 * With reverse, steps run from the end; outputs are still returned in input order.
 */
export function runRnn(
  cell: CellKind, x: tf.Tensor3D, w: RnnWeights, initial: RnnState, masks: tf.Tensor2D[] | null, reverse = false,
): RnnResult {
  const T = x.shape[0];
  if (cell === 'lstm' && useFusedLstm) {
    const mask = masks ? (tf.stack(masks) as tf.Tensor3D) : null;
    const r = lstmSequence(projectInputs(cell, x, w), w.recurrentKernel, initial.h, initial.c!, mask, reverse);
    return { outputs: r.outputs, final: { h: r.h, c: r.c } };
  }
  if (cell === 'gru' && T > 0 && nativeRnnActive()) {
    const mask = masks ? (tf.stack(masks) as tf.Tensor3D) : null;
    const recurrentBias = tf.squeeze(tf.slice(w.bias, [1, 0], [1, -1]), [0]) as tf.Tensor1D;
    const r = gruSequence(projectInputs(cell, x, w), w.recurrentKernel, recurrentBias, initial.h, mask, reverse);
    return { outputs: r.outputs, final: { h: r.h } };
  }
  const steps = tf.unstack(projectInputs(cell, x, w)) as tf.Tensor2D[];
  const outputs: tf.Tensor2D[] = new Array(T);
  let state = initial;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const next = rnnStep(cell, steps[t], state, w);
    const m = masks ? masks[t] : null;
    state = { h: masked(m, next.h, state.h), c: next.c ? masked(m, next.c, state.c!) : undefined };
    outputs[t] = state.h;
  }
  return { outputs: tf.stack(outputs) as tf.Tensor3D, final: state };
}
