/**
 * A whole GRU sequence as one differentiable operation on the native kernels (nativeRnn.ts): one
 * kernel call forward, one backward (backpropagation through time, gru.c). Used on the wasm backend
 * when the addon is there; elsewhere rnn.ts runs the GRU step by step on TF.js ops.
 */
import { tf } from './backend';
import { nativeSequence } from './nativeRnn';

export interface GruSequenceResult { outputs: tf.Tensor3D; h: tf.Tensor2D }

/**
 * xw: projected inputs [T, B, 3H] (input bias included); u: recurrent kernel [H, 3H]; bRec: recurrent
 * bias [3H]; h0: [B, H]; mask: [T, B, 1] or null; reverse: run from the last step to the first.
 */
export function gruSequence(xw: tf.Tensor3D, u: tf.Tensor2D, bRec: tf.Tensor1D, h0: tf.Tensor2D, mask: tf.Tensor3D | null, reverse: boolean): GruSequenceResult {
  const [T, B] = xw.shape;
  const maskT = mask ?? (tf.ones([T, B, 1]) as tf.Tensor3D);
  const packed = nativeSequence('gru', [xw, u, bRec, h0, maskT], reverse);
  const [outputs, h] = tf.split(packed, [T, 1], 0);
  return { outputs: outputs as tf.Tensor3D, h: tf.squeeze(h, [0]) as tf.Tensor2D };
}
