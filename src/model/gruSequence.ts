/**
 * A whole GRU sequence as one differentiable operation on the native kernels (nativeRnn.ts): one
 * kernel call forward, one backward (backpropagation through time, gru.c). Used on the wasm backend
 * when the addon is there; elsewhere rnn.ts runs the GRU step by step on TF.js ops.
 */
import { tf } from './backend';
import { nativeGruBackward, nativeGruForward } from './nativeRnn';

export interface GruSequenceResult { outputs: tf.Tensor3D; h: tf.Tensor2D }

/**
 * xw: projected inputs [T, B, 3H] (input bias included); u: recurrent kernel [H, 3H]; bRec: recurrent
 * bias [3H]; h0: [B, H]; mask: [T, B, 1] or null; reverse: run from the last step to the first.
 */
export function gruSequence(xw: tf.Tensor3D, u: tf.Tensor2D, bRec: tf.Tensor1D, h0: tf.Tensor2D, mask: tf.Tensor3D | null, reverse: boolean): GruSequenceResult {
  const [T, B] = xw.shape;
  const maskT = mask ?? (tf.ones([T, B, 1]) as tf.Tensor3D);
  const op = tf.customGrad(((xwIn: tf.Tensor3D, uIn: tf.Tensor2D, bIn: tf.Tensor1D, h0In: tf.Tensor2D, maskIn: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const { packed, saved } = nativeGruForward(xwIn, uIn, bIn, h0In, maskIn, reverse);
    save([uIn, maskIn, ...saved]);
    return {
      value: packed,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => [...nativeGruBackward(dy, s[0], s.slice(2), s[1], reverse), tf.zerosLike(s[1])],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const packed = op(xw, u, bRec, h0, maskT) as tf.Tensor3D;
  const [outputs, h] = tf.split(packed, [T, 1], 0);
  return { outputs: outputs as tf.Tensor3D, h: tf.squeeze(h, [0]) as tf.Tensor2D };
}
