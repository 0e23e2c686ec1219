/**
 * The training objective: masked cross-entropy L = -sum_t log p(y_t | y_<t, x), averaged over the
 * real (unpadded) target tokens of the batch, with optional label smoothing; and token accuracy.
 */
import { tf } from '../tf';
import { kernels } from '../acceleration/kernels';

/**
 * logits [N, V]; targets [N] int32; mask [N] float (1 = real token).
 * Returns the mean loss per real token and the number of correctly predicted real tokens.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D, targets: tf.Tensor1D, mask: tf.Tensor1D, labelSmoothing = 0,
): { loss: tf.Scalar; correct: tf.Scalar } {
  const perToken = kernels().crossEntropy(logits, targets, labelSmoothing);
  const count = tf.maximum(tf.sum(mask), 1);
  const loss = tf.div(tf.sum(tf.mul(perToken, mask)), count) as tf.Scalar;
  const hits = tf.cast(tf.equal(tf.argMax(logits, 1), targets), 'float32');
  const correct = tf.sum(tf.mul(hits, mask)) as tf.Scalar;
  return { loss, correct };
}
