/**
 * The Transformer's and the output layer's operations of the seam (../kernels.ts) on TF.js ops,
 * differentiated by autograd:
 * the definitions the native kernels are checked against, in value and gradient.
 */
import { tf } from '../../tf';
import type { AttentionShape, Kernels } from '../kernels';

type TransformerOps = Pick<Kernels, 'layerNorm' | 'maskedSoftmax' | 'attention' | 'attentionWithWeights' | 'gelu' | 'biasDropoutResidual' | 'crossEntropy' | 'logSoftmax'>;

/** Multi-head attention on TF.js ops: the output [B * Tq, d] and the weights [B, heads, Tq, Tk] (before dropout). */
function multiHead(q: tf.Tensor2D, kv: tf.Tensor2D | null, a: AttentionShape, maskBias: tf.Tensor4D | null, dropMask: tf.Tensor4D | null) {
  const d = kv ? q.shape[1] : q.shape[1] / 3;
  const [qq, kk, vv] = (kv ? [q, ...tf.split(kv, 2, 1)] : tf.split(q, 3, 1)) as tf.Tensor2D[];
  const dk = d / a.heads;
  const heads = (x: tf.Tensor2D, T: number) => tf.transpose(tf.reshape(x, [a.batch, T, a.heads, dk]), [0, 2, 1, 3]) as tf.Tensor4D;
  const weights = transformerOps.maskedSoftmax(tf.matMul(heads(qq, a.queries), heads(kk, a.keys), false, true), maskBias, a.scale);
  const context = tf.matMul(dropMask ? tf.mul(weights, dropMask) : weights, heads(vv, a.keys));
  return { output: tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [a.batch * a.queries, d]) as tf.Tensor2D, weights };
}

export const transformerOps: TransformerOps = {
  layerNorm(x, gamma, beta, epsilon) {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  },

  maskedSoftmax(scores, maskBias, scale) {
    const scaled = scale === 1 ? scores : tf.mul(scores, scale);
    return tf.softmax(maskBias ? tf.add(scaled, maskBias) : scaled) as tf.Tensor4D;
  },

  attention(q, kv, a, maskBias, dropMask) {
    return multiHead(q, kv, a, maskBias, dropMask).output;
  },

  attentionWithWeights(q, kv, a, maskBias) {
    return multiHead(q, kv, a, maskBias, null);
  },

  gelu(x) {
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  },

  biasDropoutResidual(x, bias, residual, mask) {
    const biased = tf.add(x, bias);
    return tf.add(residual, mask ? tf.mul(biased, mask) : biased) as tf.Tensor2D;
  },

  crossEntropy(logits, targets, labelSmoothing) {
    const [N, V] = logits.shape;
    const logp = tf.logSoftmax(logits);
    // log p(y_i) picked by a flat gather: row i, column targets[i].
    const flatIdx = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), targets);
    const nll = tf.neg(tf.gather(tf.reshape(logp, [N * V]), flatIdx)) as tf.Tensor1D;
    if (labelSmoothing <= 0) return nll;
    return tf.add(tf.mul(nll, 1 - labelSmoothing), tf.mul(tf.neg(tf.mean(logp, 1)), labelSmoothing)) as tf.Tensor1D;
  },

  logSoftmax(x) {
    return tf.logSoftmax(x) as tf.Tensor2D;
  },
};
