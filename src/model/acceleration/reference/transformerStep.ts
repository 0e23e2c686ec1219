/**
 * One decoding step of the Transformer decoder composed of the seam's operations: the definition of
 * transformerDecoderStep (../kernels.ts), which the native version (../native/transformerStep.ts)
 * must equal. It calls the active set's operations (kernels()), so where the native step is not used
 * the step still runs on the native LayerNorm, attention and residual kernels.
 * Only the active rows are computed: their results are written back into the R rows, the others get
 * zero keys and values at this position and zero scores.
 */
import { tf } from '../../tf';
import { kernels, type LinearWeights, type NormWeights, type TransformerCaches, type TransformerStepResult, type TransformerStepWeights } from '../kernels';

export function referenceTransformerStep(
  w: TransformerStepWeights, prevIds: tf.Tensor1D, position: tf.Tensor2D, caches: TransformerCaches, topK: number, active: Int32Array | null,
  withAttention: boolean,
): TransformerStepResult {
  const k = kernels();
  const R = prevIds.shape[0];
  const rows = active && active.length < R ? activeRowsOf(active, R) : null;
  const A = rows ? active!.length : R;
  const d = w.embedding.shape[1];
  const heads = w.heads;
  const scale = 1 / Math.sqrt(d / heads);
  const t = (caches.selfCache?.[0].shape[1] ?? 0) + 1;
  const linear = (l: LinearWeights, x: tf.Tensor2D) => tf.fused.matMul({ a: x, b: l.kernel, bias: l.bias }) as tf.Tensor2D;
  const norm = (n: NormWeights, x: tf.Tensor2D) => k.layerNorm(x, n.gamma, n.beta, w.epsilon) as tf.Tensor2D;
  const residual = (l: LinearWeights, x: tf.Tensor2D, res: tf.Tensor2D) => k.biasDropoutResidual(tf.matMul(x, l.kernel), l.bias, res, null);

  const history = caches.order ? caches.selfCache?.map((c) => tf.gather(c, caches.order!) as tf.Tensor3D) : caches.selfCache;
  const ids = rows ? rows.pick(prevIds) : prevIds;
  let x = tf.add(tf.mul(tf.gather(w.embedding, ids), Math.sqrt(d)), position) as tf.Tensor2D;
  const srcMask = rows ? rows.pick(caches.srcMask) : caches.srcMask;
  const selfCache: tf.Tensor3D[] = [];
  const weights: tf.Tensor3D[] = [];
  w.layers.forEach((lw, l) => {
    const qkv = linear(lw.qkv, norm(lw.selfNorm, x));
    const kv = tf.reshape(tf.slice(qkv, [0, d], [A, 2 * d]), [A, 1, 2 * d]) as tf.Tensor3D;
    const before = history?.[l];
    const cache = before ? (tf.concat([rows ? rows.pick(before) : before, kv], 1) as tf.Tensor3D) : kv;
    selfCache.push(rows ? (before ? (tf.concat([before, rows.putBack(kv)], 1) as tf.Tensor3D) : rows.putBack(kv)) : cache);
    const q = tf.slice(qkv, [0, 0], [A, d]) as tf.Tensor2D;
    const selfShape = { batch: A, queries: 1, keys: t, heads, scale };
    x = residual(lw.selfOutput, k.attention(q, tf.reshape(cache, [A * t, 2 * d]), selfShape, null, null), x);
    const cq = linear(lw.crossQuery, norm(lw.crossNorm, x));
    const S = caches.cross[l].shape[1];
    const memoryKv = tf.reshape(rows ? rows.pick(caches.cross[l]) : caches.cross[l], [A * S, 2 * d]) as tf.Tensor2D;
    const crossShape = { batch: A, queries: 1, keys: S, heads, scale };
    let crossOut: tf.Tensor2D;
    if (withAttention) {
      const a = k.attentionWithWeights(cq, memoryKv, crossShape, srcMask);
      crossOut = a.output;
      weights.push(tf.reshape(a.weights, [A, heads, S]) as tf.Tensor3D);
    } else {
      crossOut = k.attention(cq, memoryKv, crossShape, srcMask, null);
    }
    x = residual(lw.crossOutput, crossOut, x);
    const inner = linear(lw.ffInner, norm(lw.ffNorm, x));
    x = residual(lw.ffOuter, w.activation === 'gelu' ? (k.gelu(inner) as tf.Tensor2D) : tf.relu(inner), x);
  });
  const h = norm(w.norm, x);
  const logits = w.output.kernel
    ? tf.fused.matMul({ a: h, b: w.output.kernel, bias: w.output.bias })
    : tf.fused.matMul({ a: h, b: w.embedding, transposeB: true, bias: w.output.bias });
  let logProbs = k.logSoftmax(logits as tf.Tensor2D);
  let best: tf.Tensor2D | null = null;
  if (topK > 0) {
    const top = tf.topk(logProbs, topK, true);
    logProbs = top.values as tf.Tensor2D;
    best = top.indices as tf.Tensor2D;
  }
  const attention = withAttention ? (tf.concat(weights, 1) as tf.Tensor3D) : null;
  const back = <T extends tf.Tensor>(x: T) => (rows ? rows.putBack(x) : x);
  return { selfCache, logProbs: back(logProbs), ids: best && back(best), attention: attention && back(attention) };
}

/** The active rows of R: `pick` takes them out of a tensor of R rows, `putBack` returns A rows to R (zeros elsewhere). */
function activeRowsOf(active: Int32Array, R: number): { pick<T extends tf.Tensor>(t: T): T; putBack<T extends tf.Tensor>(t: T): T } {
  const A = active.length;
  const index = tf.tensor1d(active, 'int32');
  const where = new Int32Array(R).fill(A);
  active.forEach((r, i) => { where[r] = i; });
  const back = tf.tensor1d(where, 'int32');
  return {
    pick: <T extends tf.Tensor>(t: T) => tf.gather(t, index) as T,
    // Row A of the padded tensor is zeros: where every inactive row reads from.
    putBack: <T extends tf.Tensor>(t: T) => tf.gather(tf.concat([t, tf.zeros([1, ...t.shape.slice(1)], t.dtype)]), back) as T,
  };
}
