/**
 * The Transformer's native fused kernels (wasm backend with our addon) against their TF.js-ops
 * versions (reference/transformerOps.ts): values and gradients of every input, then a whole model's
 * loss and gradients with each set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { kernels, referenceKernels, withKernels, type Kernels } from '../../src/model/acceleration/kernels';
import { padBatch } from '../../src/model/data/data';
import { BOS, EOS } from '../../src/model/data/tokenizer';
import { batchGradients } from '../../src/model/training/gradients';
import { nativeKernelsHere } from '../helpers/nativeKernels';
import { tinyTransformer } from '../helpers/tinyModel';

/** The value of f and the gradients of sum(f * w) (w a fixed random weighting) with respect to each input. */
function valueAndGrads(k: Kernels, f: (k: Kernels, ...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => withKernels(k, () => {
    const value = f(k, ...inputs);
    const w = tf.randomNormal(value.shape, 0, 1, 'float32', 77);
    const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(k, ...xs), w)))(inputs);
    return { value: value.dataSync() as Float32Array, grads: g.map((t) => t.dataSync() as Float32Array) };
  }));
}

function assertClose(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) { worst = Math.max(worst, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  assert.ok(worst <= tol * Math.max(1, scale), `${what}: max difference ${worst} (values up to ${scale})`);
  assert.ok(a.some((x) => x !== 0) || b.every((x) => x === 0), `${what}: all zero`);
}

function compare(name: string, f: (k: Kernels, ...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], gradOf: number[], tol = 2e-6): void {
  const native = valueAndGrads(kernels(), f, inputs);
  const reference = valueAndGrads(referenceKernels, f, inputs);
  assertClose(native.value, reference.value, tol, `${name} value`);
  for (const i of gradOf) assertClose(native.grads[i], reference.grads[i], tol * 5, `${name} gradient of input ${i + 1}`);
}

const randn = (shape: number[], seed: number, std = 1, mean = 0) => tf.randomNormal(shape, mean, std, 'float32', seed);

test('native LayerNorm equals the TF.js ops version, forward and backward (x, gamma, beta), rank 2 and 3', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  for (const shape of [[37, 64], [3, 5, 48]]) {
    const d = shape[shape.length - 1];
    const x = randn(shape, 1, 3, 0.5);
    const gamma = randn([d], 2, 0.5, 1);
    const beta = randn([d], 3, 0.5);
    compare(`layerNorm [${shape}]`, (k, a, g, b) => k.layerNorm(a, g, b, 1e-5), [x, gamma, beta], [0, 1, 2]);
    tf.dispose([x, gamma, beta]);
  }
});

test('native masked softmax equals the TF.js ops version with a per-key mask, a per-query mask and none; masked weights are exactly 0', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const [B, H, Tq, Tk] = [3, 4, 5, 7];
  const scores = randn([B, H, Tq, Tk], 4, 4);
  const keyMask = tf.tensor4d(Array.from({ length: B * Tk }, (_, i) => (i % Tk >= Tk - (i / Tk | 0) ? -1e9 : 0)), [B, 1, 1, Tk]);
  const causal = tf.tensor4d(Array.from({ length: B * Tq * Tk }, (_, i) => ((i % Tk) > ((i / Tk | 0) % Tq) ? -1e9 : 0)), [B, 1, Tq, Tk]);
  for (const [what, mask] of [['key padding', keyMask], ['causal', causal], ['none', null]] as const) {
    compare(`maskedSoftmax (${what})`, (k, s, m) => k.maskedSoftmax(s as tf.Tensor4D, (m ?? null) as tf.Tensor4D | null, 0.125), mask ? [scores, mask] : [scores], [0]);
  }
  const y = tf.tidy(() => kernels().maskedSoftmax(scores as tf.Tensor4D, causal, 0.125).arraySync() as number[][][][]);
  assert.equal(y[0][0][0][1], 0);
  assert.ok(Math.abs(y[2][3][4].reduce((a, b) => a + b, 0) - 1) < 1e-6);
  tf.dispose([scores, keyMask, causal]);
});

test('native multi-head attention equals the TF.js ops version on the fused projection and on q + kv, with masks and dropout (value and gradients)', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const [B, H, Tq, Tk, d] = [3, 4, 5, 7, 32];
  const qkv = randn([B * Tq, 3 * d], 11);
  const q = randn([B * Tq, d], 12);
  const kv = randn([B * Tk, 2 * d], 13);
  const causal = tf.tensor4d(Array.from({ length: B * Tq * Tq }, (_, i) => ((i % Tq) > ((i / Tq | 0) % Tq) ? -1e9 : 0)), [B, 1, Tq, Tq]);
  const keyPad = tf.tensor4d(Array.from({ length: B * Tk }, (_, i) => (i % Tk >= Tk - (i / Tk | 0) ? -1e9 : 0)), [B, 1, 1, Tk]);
  const dropSelf = tf.tidy(() => referenceKernels.dropoutMask([B, H, Tq, Tq], 0.8, 3)) as tf.Tensor4D;
  const dropCross = tf.tidy(() => referenceKernels.dropoutMask([B, H, Tq, Tk], 0.8, 4)) as tf.Tensor4D;
  const self = { batch: B, queries: Tq, keys: Tq, heads: H, scale: 1 / Math.sqrt(d / H) };
  const cross = { ...self, keys: Tk };
  compare('attention (fused qkv, causal)', (k, x) => k.attention(x as tf.Tensor2D, null, self, causal, null), [qkv], [0]);
  compare('attention (fused qkv, causal, dropout)', (k, x) => k.attention(x as tf.Tensor2D, null, self, causal, dropSelf), [qkv], [0]);
  compare('attention (q + kv, key padding, dropout)', (k, x, y) => k.attention(x as tf.Tensor2D, y as tf.Tensor2D, cross, keyPad, dropCross), [q, kv], [0, 1]);
  compare('attention (q + kv, no mask)', (k, x, y) => k.attention(x as tf.Tensor2D, y as tf.Tensor2D, cross, null, null), [q, kv], [0, 1]);
  // One query row against a cache of keys (a decoding step).
  const step = { batch: B, queries: 1, keys: Tk, heads: H, scale: 0.3 };
  compare('attention (one query, cached keys)', (k, x, y) => k.attention(x as tf.Tensor2D, y as tf.Tensor2D, step, keyPad, null), [randn([B, d], 14), kv], [0, 1]);
  tf.dispose([qkv, q, kv, causal, keyPad, dropSelf, dropCross]);
});

test('native attention with its weights (the attention view\'s) equals the TF.js ops version: output and weights, and the output is attention\'s', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const [B, H, Tq, Tk, d] = [3, 4, 2, 7, 32];
  const q = randn([B * Tq, d], 21);
  const kv = randn([B * Tk, 2 * d], 22, 2);
  const qkv = randn([B * Tq, 3 * d], 23, 2);
  const keyPad = tf.tensor4d(Array.from({ length: B * Tk }, (_, i) => (i % Tk >= Tk - (i / Tk | 0) ? -1e9 : 0)), [B, 1, 1, Tk]);
  const cases = [
    { what: 'q + kv, key padding', shape: { batch: B, queries: Tq, keys: Tk, heads: H, scale: 1 / Math.sqrt(d / H) }, q, kv, mask: keyPad },
    { what: 'one query, no mask', shape: { batch: B * Tq, queries: 1, keys: Tk, heads: H, scale: 0.4 }, q, kv: randn([B * Tq * Tk, 2 * d], 24), mask: null },
    { what: 'fused qkv', shape: { batch: B, queries: Tq, keys: Tq, heads: H, scale: 0.3 }, q: qkv, kv: null, mask: null },
  ];
  for (const c of cases) {
    const run = (k: Kernels) => tf.tidy(() => {
      const r = k.attentionWithWeights(c.q as tf.Tensor2D, c.kv as tf.Tensor2D | null, c.shape, c.mask as tf.Tensor4D | null);
      const plain = k.attention(c.q as tf.Tensor2D, c.kv as tf.Tensor2D | null, c.shape, c.mask as tf.Tensor4D | null, null);
      return { output: r.output.dataSync() as Float32Array, weights: r.weights.dataSync() as Float32Array, shape: r.weights.shape, plain: plain.dataSync() as Float32Array };
    });
    const native = run(kernels());
    const reference = run(referenceKernels);
    assert.deepEqual(native.shape, [c.shape.batch, H, c.shape.queries, c.shape.keys], `${c.what}: weights [B, heads, Tq, Tk]`);
    assertClose(native.output, reference.output, 2e-6, `${c.what}: output`);
    assertClose(native.weights, reference.weights, 2e-6, `${c.what}: weights`);
    assertClose(native.output, native.plain, 0, `${c.what}: the same output as attention`);
    for (let r = 0; r < native.weights.length / c.shape.keys; r++) {
      const row = native.weights.subarray(r * c.shape.keys, (r + 1) * c.shape.keys);
      assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5, `${c.what}: row ${r} sums to 1`);
      if (c.mask) for (let j = Tk - ((r / (H * Tq)) | 0); j < Tk; j++) assert.equal(row[j], 0, `${c.what}: row ${r} on a padded key`);
    }
  }
  tf.dispose([q, kv, qkv, keyPad, ...cases.map((c) => c.kv).filter((x): x is tf.Tensor => x !== null)]);
});

test('native GELU equals the TF.js ops version (erf form), forward and backward, over a wide range', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const x = tf.tensor1d(Float32Array.from({ length: 4001 }, (_, i) => (i - 2000) / 200)); // -10 .. 10
  compare('gelu', (k, a) => k.gelu(a), [x], [0], 3e-6);
  tf.dispose(x);
});

test('native bias + dropout + residual equals the TF.js ops version, with and without a mask (gradients of x, bias, residual)', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const x = randn([23, 40], 5);
  const bias = randn([40], 6);
  const residual = randn([23, 40], 7);
  const mask = tf.tidy(() => referenceKernels.dropoutMask([23, 40], 0.7, 9));
  compare('biasDropoutResidual (mask)', (k, a, b, r, m) => k.biasDropoutResidual(a as tf.Tensor2D, b, r as tf.Tensor2D, m as tf.Tensor2D), [x, bias, residual, mask], [0, 1, 2]);
  compare('biasDropoutResidual (no mask)', (k, a, b, r) => k.biasDropoutResidual(a as tf.Tensor2D, b, r as tf.Tensor2D, null), [x, bias, residual], [0, 1, 2]);
  tf.dispose([x, bias, residual, mask]);
});

test('native cross-entropy with label smoothing equals the TF.js ops version (value and gradient), and the decoding log-softmax too', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const [N, V] = [41, 333];
  const logits = randn([N, V], 8, 3);
  const targets = tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 37) % V), 'int32');
  for (const eps of [0, 0.1]) {
    compare(`crossEntropy (eps ${eps})`, (k, x) => k.crossEntropy(x as tf.Tensor2D, targets, eps), [logits], [0], 3e-6);
  }
  const lp = (k: Kernels) => tf.tidy(() => k.logSoftmax(logits as tf.Tensor2D).dataSync() as Float32Array);
  assertClose(lp(kernels()), lp(referenceKernels), 2e-6, 'logSoftmax');
  // Ids outside the vocabulary are refused, not read past the row.
  assert.throws(() => tf.tidy(() => kernels().crossEntropy(logits as tf.Tensor2D, tf.fill([N], V, 'int32') as tf.Tensor1D, 0)), /outside 0 \.\. 332/);
  tf.dispose([logits, targets]);
});

test('a whole Transformer (GELU, dropout) has the same loss and gradients with the native kernels as with the reference set', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const model = await tinyTransformer({ model: { activation: 'gelu', dropout: 0.2, attentionDropout: 0.1 } });
  const ex = ['abcab', 'c', 'bca'].map((w, i) => ({ src: model.source.encode(w), tgt: model.target.encode(['xyxy', 'y', 'yx'][i]), line: i }));
  const b = padBatch(ex, [0, 1, 2], BOS, EOS);
  const run = (k: Kernels) => withKernels(k, () => {
    // The same dropout masks on both sides: the masks come from the reference generator.
    const masked: Kernels = { ...k, dropoutMask: referenceKernels.dropoutMask };
    return withKernels(masked, () => {
      const g = batchGradients(model, b, 5);
      const out = { loss: g.loss, grads: new Map([...g.grads].map(([n, x]) => [n, x.dataSync() as Float32Array])) };
      for (const x of g.grads.values()) x.dispose();
      return out;
    });
  });
  const native = run(kernels());
  const reference = run(referenceKernels);
  assert.ok(Math.abs(native.loss - reference.loss) < 1e-5, `loss ${native.loss} vs ${reference.loss}`);
  for (const [name, g] of reference.grads) assertClose(native.grads.get(name)!, g, 1e-4, name);
  model.dispose();
});
