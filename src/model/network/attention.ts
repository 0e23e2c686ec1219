/**
 * Attention over the encoder outputs ("memory"), computed for all decoder steps at once.
 * Luong (general): score(h, m) = h · W_a m. Bahdanau (additive): score(h, m) = v · tanh(W_q h + W_k m).
 * Both score the decoder's current output (Luong ordering, no input feeding), which lets training run
 * the decoder RNN over the whole target first and attend in a few large batched matrix multiplies.
 * Padding in the source is masked with a large negative bias before the softmax.
 */
import { tf } from '../tf';
import type { AttentionKind } from '../config';

export interface AttentionWeights {
  wa?: tf.Tensor2D; // luong [Hm, H]
  wq?: tf.Tensor2D; // bahdanau [H, A]
  wk?: tf.Tensor2D; // bahdanau [Hm, A]
  v?: tf.Tensor2D; // bahdanau [A, 1]
  wc: tf.Tensor2D; // [H + Hm, H]
}

/** What attention needs from the encoder, prepared once per batch (and reused by every decoding step). */
export interface Memory {
  /** [B, S, Hm] */
  values: tf.Tensor3D;
  /** Luong: keys transposed [B, H, S]; Bahdanau: projected keys [B, S, A]. */
  keys: tf.Tensor3D;
  /** [B, 1, S]: 0 for real tokens, -1e9 for padding. */
  maskBias: tf.Tensor3D;
}

export function prepareMemory(kind: AttentionKind, encoderOutputs: tf.Tensor3D, srcMask: tf.Tensor2D, w: AttentionWeights): Memory {
  // encoderOutputs [S, B, Hm] time-major; srcMask [S, B]
  const values = tf.transpose(encoderOutputs, [1, 0, 2]) as tf.Tensor3D;
  const [B, S, Hm] = values.shape;
  const flat = tf.reshape(values, [B * S, Hm]) as tf.Tensor2D;
  let keys: tf.Tensor3D;
  if (kind === 'luong') {
    const k = tf.reshape(tf.matMul(flat, w.wa!), [B, S, -1]);
    keys = tf.transpose(k, [0, 2, 1]) as tf.Tensor3D;
  } else {
    keys = tf.reshape(tf.matMul(flat, w.wk!), [B, S, -1]) as tf.Tensor3D;
  }
  const maskBias = tf.reshape(tf.mul(tf.sub(1, tf.transpose(srcMask)), -1e9), [B, 1, S]) as tf.Tensor3D;
  return { values, keys, maskBias };
}

/**
 * queries [B, T, H] -> attentional hidden states [B, T, H] = tanh(W_c [h; context]),
 * plus the attention weights [B, T, S].
 */
export function attend(kind: AttentionKind, queries: tf.Tensor3D, memory: Memory, w: AttentionWeights): { hidden: tf.Tensor3D; weights: tf.Tensor3D } {
  const [B, T, H] = queries.shape;
  const S = memory.values.shape[1];
  let scores: tf.Tensor3D;
  if (kind === 'luong') {
    scores = tf.matMul(queries, memory.keys) as tf.Tensor3D;
  } else {
    const A = memory.keys.shape[2];
    const q = tf.reshape(tf.matMul(tf.reshape(queries, [B * T, H]) as tf.Tensor2D, w.wq!), [B, T, 1, A]);
    const e = tf.tanh(tf.add(q, tf.reshape(memory.keys, [B, 1, S, A])));
    scores = tf.reshape(tf.matMul(tf.reshape(e, [B * T * S, A]) as tf.Tensor2D, w.v!), [B, T, S]) as tf.Tensor3D;
  }
  const weights = tf.softmax(tf.add(scores, memory.maskBias)) as tf.Tensor3D;
  const context = tf.matMul(weights, memory.values) as tf.Tensor3D;
  const joined = tf.reshape(tf.concat([queries, context], 2), [B * T, -1]) as tf.Tensor2D;
  const hidden = tf.reshape(tf.tanh(tf.matMul(joined, w.wc)), [B, T, -1]) as tf.Tensor3D;
  return { hidden, weights };
}
