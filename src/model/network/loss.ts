/**
 * The training objective: masked cross-entropy L = -sum_t log p(y_t | y_<t, x), averaged over the
 * real (unpadded) target tokens of the batch, with optional label smoothing; and token accuracy.
 */
import { tf } from '../tf';

/**
 * logits [N, V]; targets [N] int32; mask [N] float (1 = real token).
 * Returns the mean loss per real token and the number of correctly predicted real tokens.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D, labelSmoothing = 0,
): { loss: tf.Scalar; correct: tf.Scalar } {
  const [N, V] = logits.shape;
  const logp = tf.logSoftmax(logits);
  // log p(y_i) picked by a flat gather: row i, column targets[i].
  const flatIdx = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), targets);
  const picked = tf.gather(tf.reshape(logp, [N * V]), flatIdx) as tf.Tensor1D;
  let perToken = tf.neg(picked);
  if (labelSmoothing > 0) {
    const uniformTerm = tf.neg(tf.mean(logp, 1));
    perToken = tf.add(tf.mul(perToken, 1 - labelSmoothing), tf.mul(uniformTerm, labelSmoothing));
  }
  const count = tf.maximum(tf.sum(mask), 1);
  const loss = tf.div(tf.sum(tf.mul(perToken, mask)), count) as tf.Scalar;
  const hits = tf.cast(tf.equal(tf.argMax(logits, 1), targets), 'float32');
  const correct = tf.sum(tf.mul(hits, mask)) as tf.Scalar;
  return { loss, correct };
}
