/** Our wasm kernel fixes compute exactly what the reference (pure-JS cpu) kernels compute. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/model/acceleration/backend';

async function onBoth<T>(fn: () => T): Promise<{ wasm: T; cpu: T }> {
  assert.equal(await initBackend(), 'wasm');
  const wasm = fn();
  await tf.setBackend('cpu');
  try { return { wasm, cpu: fn() }; } finally { await tf.setBackend('wasm'); }
}

const data = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3);

test('Slice, SplitV and Unpack (copy-free) equal the reference on every axis', async () => {
  const r = await onBoth(() => tf.tidy(() => {
    const x = tf.tensor3d(data(3 * 4 * 5), [3, 4, 5]);
    const out: number[][] = [];
    for (let axis = 0; axis < 3; axis++) for (const t of tf.unstack(x, axis)) out.push([...t.dataSync()]);
    for (const t of tf.split(x, [1, 3, 1], 2)) out.push([...t.dataSync()]);
    for (const t of tf.split(x, 2, 1)) out.push([...t.dataSync()]);
    out.push([...tf.slice(x, [1, 1, 2], [2, 3, 2]).dataSync()]);
    out.push([...tf.slice(tf.tensor1d([1, 2, 3, 4], 'int32'), [1], [2]).dataSync()]);
    return out;
  }));
  assert.deepEqual(r.wasm, r.cpu);
});

test('GatherV2 (row copies) equals the reference on every axis, for float32 and int32, out-of-range falls back', async () => {
  const r = await onBoth(() => tf.tidy(() => {
    const x = tf.tensor3d(data(3 * 4 * 5), [3, 4, 5]);
    const ids = tf.tensor2d([[2, 0], [1, 1], [3, 0]], [3, 2], 'int32');
    const out: number[][] = [];
    out.push([...tf.gather(x, tf.tensor1d([2, 0, 2, 1], 'int32'), 0).dataSync()]);
    out.push([...tf.gather(x, ids, 1).dataSync()], tf.gather(x, ids, 1).shape);
    out.push([...tf.gather(x, tf.tensor1d([4, 0], 'int32'), 2).dataSync()]);
    out.push([...tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 2, 0], 'int32')).dataSync()]);
    out.push([...tf.gather(x, tf.tensor1d([], 'int32'), 0).dataSync()]);
    return out;
  }));
  assert.deepEqual(r.wasm, r.cpu);
});

test('transposed matrix multiplies (materialised first) and UnsortedSegmentSum equal the reference', async () => {
  const r = await onBoth(() => tf.tidy(() => {
    const a = tf.tensor2d(data(6 * 4), [6, 4]);
    const b = tf.tensor2d(data(5 * 4).map((v) => v / 2), [5, 4]);
    const c = tf.tensor3d(data(2 * 4 * 3), [2, 4, 3]);
    const d = tf.tensor3d(data(2 * 4 * 5), [2, 4, 5]);
    const seg = tf.unsortedSegmentSum(tf.tensor2d(data(5 * 3), [5, 3]), tf.tensor1d([2, 0, 2, 1, 0], 'int32'), 4);
    return [
      tf.matMul(a, b, false, true), tf.matMul(c, d, true, false), tf.matMul(d, c, true, false),
      tf.fused.matMul({ a, b, transposeB: true, bias: tf.tensor1d([1, 2, 3, 4, 5]), activation: 'relu' }), seg,
    ].map((t) => [...t.dataSync()].map((v) => Math.round(v * 1e4) / 1e4));
  }));
  assert.deepEqual(r.wasm, r.cpu);
});

test('Sum (over leading axes on the BLAS, other axes on wasm) equals the reference', async () => {
  const r = await onBoth(() => tf.tidy(() => {
    const x = tf.tensor3d(data(7 * 5 * 3), [7, 5, 3]);
    return [
      tf.sum(x, 0), tf.sum(x, [0, 1]), tf.sum(x, [1, 0], true), tf.sum(x, 1), tf.sum(x, [0, 2]), tf.sum(x), tf.sum(x, -1),
      tf.sum(tf.tensor2d(data(1000 * 3), [1000, 3]), 0), tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0),
    ].map((t) => [t.shape, [...t.dataSync()].map((v) => Math.round(v * 1e3) / 1e3)]);
  }));
  assert.deepEqual(r.wasm, r.cpu);
});

test('Identity (shared data, no copy) keeps each reference valid until its own dispose', async () => {
  assert.equal(await initBackend(), 'wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor2d(data(4 * 3), [4, 3]);
  const y = tf.clone(x); // the Identity kernel
  assert.deepEqual([...y.dataSync()], [...x.dataSync()]);
  assert.deepEqual(y.shape, [4, 3]);
  x.dispose();
  assert.deepEqual([...y.dataSync()], [...data(4 * 3)], 'the clone outlives the original');
  const z = tf.add(y, 1);
  y.dispose();
  assert.deepEqual([...z.dataSync()], [...data(4 * 3)].map((v) => Math.fround(v + 1)));
  z.dispose();
  assert.equal(tf.memory().numTensors, before);
  // Gradients through saved (cloned) tensors still come out right: d/dx sum(x * x) = 2x.
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(tf.tensor1d([1, -2, 3]));
  assert.deepEqual([...g.dataSync()], [2, -4, 6]);
});

test('matrix multiplies of a few rows (on the BLAS row by row) equal the reference, transposed or not, with bias, batched', async () => {
  const r = await onBoth(() => tf.tidy(() => {
    const out: number[][] = [];
    for (const [m, k, n] of [[1, 160, 300], [5, 130, 257], [8, 200, 256], [9, 200, 256]]) {
      const a = tf.tensor2d(data(m * k).map((v) => v / 10), [m, k]);
      const b = tf.tensor2d(data(k * n).map((v) => v / 7), [k, n]);
      const bt = tf.tensor2d(data(n * k).map((v) => v / 7), [n, k]);
      const bias = tf.tensor1d(data(n));
      out.push([...tf.matMul(a, b).dataSync()], [...tf.matMul(a, bt, false, true).dataSync()]);
      out.push([...tf.fused.matMul({ a, b, bias }).dataSync()]);
      out.push([...tf.matMul(tf.stack([a, tf.mul(a, 2)]), tf.stack([b, tf.neg(b)])).dataSync()]);
    }
    return out;
  }));
  r.wasm.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - r.cpu[i][j]) < 1e-3 * Math.max(1, Math.abs(r.cpu[i][j])), `product ${i}, value ${j}: ${v} vs ${r.cpu[i][j]}`)));
});
