/** Adam with clipping by global norm: the native one-kernel update (wasm backend) equals the TF.js ops version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { nativeKernelsHere } from '../helpers/nativeKernels';
import { Adam } from '../../src/model/training/optimizer';
import { kernels, referenceKernels, withKernels } from '../../src/model/acceleration/kernels';
import type { Params } from '../../src/model/network/params';

function run(native: boolean, clipNorm: number): { norms: number[]; weights: number[][]; moments: number[][] } {
  return withKernels(native ? kernels() : referenceKernels, () => {
    const params: Params = new Map([
      ['a', tf.variable(tf.randomNormal([7, 13], 0, 1, 'float32', 1))],
      ['b', tf.variable(tf.randomNormal([1100], 0, 1, 'float32', 2))],
    ]);
    const opt = new Adam(0.01);
    const norms: number[] = [];
    for (let step = 0; step < 4; step++) {
      const grads = { a: tf.randomNormal([7, 13], 0, 2, 'float32', 10 + step), b: tf.randomNormal([1100], 0, 0.5, 'float32', 20 + step) };
      norms.push(opt.apply(params, grads, clipNorm));
      tf.dispose(Object.values(grads));
    }
    const out = { norms, weights: [...params.values()].map((p) => [...p.dataSync()]), moments: opt.namedState(params).map((s) => [...s.tensor.dataSync()]) };
    tf.dispose([...params.values()]);
    opt.dispose();
    return out;
  });
}

for (const clipNorm of [0, 5]) {
  test(`Adam: native update equals the TF.js ops (clip norm ${clipNorm || 'off'})`, async (t) => {
    if (!(await nativeKernelsHere(t))) return;
    const ref = run(false, clipNorm);
    const got = run(true, clipNorm);
    ref.norms.forEach((n, i) => assert.ok(Math.abs(n - got.norms[i]) < 1e-4 * n, `norm ${i}: ${n} vs ${got.norms[i]}`));
    if (clipNorm) assert.ok(ref.norms.some((n) => n > clipNorm), 'the test clips at least once');
    for (const [name, a, b] of [['weights', ref.weights, got.weights], ['moments', ref.moments, got.moments]] as const) {
      assert.equal(a.length, b.length);
      a.forEach((xs, i) => xs.forEach((x, j) => assert.ok(Math.abs(x - b[i][j]) < 1e-5 * Math.max(1, Math.abs(x)), `${name} ${i}[${j}]: ${x} vs ${b[i][j]}`)));
    }
    // The weights moved: the comparison is not between two untouched copies.
    assert.ok(ref.weights[0].some((x, j) => Math.abs(x - tf.randomNormal([7, 13], 0, 1, 'float32', 1).dataSync()[j]) > 1e-3));
  });
}

test('inverse-sqrt schedule: linear warm-up to the peak, then lr * sqrt(warmup / step); Adam with betas (0.9, 0.98) takes exactly that step', async () => {
  const { lrFactor } = await import('../../src/model/training/lrSchedule');
  await (await import('../../src/model/acceleration/backend')).initBackend();
  const s = { kind: 'inverse-sqrt' as const, warmupSteps: 100 };
  assert.equal(lrFactor(s, 1), 0.01);
  assert.equal(lrFactor(s, 50), 0.5);
  assert.equal(lrFactor(s, 100), 1);
  assert.equal(lrFactor(s, 400), 0.5);
  assert.equal(lrFactor({ kind: 'constant', warmupSteps: 0 }, 12345), 1);
  // One Adam step from zero moments moves each weight by lr_t * g / (|g| + eps') = about lr_t, with bias correction.
  const params: Params = new Map([['w', tf.variable(tf.zeros([3]))]]);
  const opt = new Adam(0.5, { beta1: 0.9, beta2: 0.98, epsilon: 1e-8, schedule: s });
  for (let step = 1; step <= 3; step++) {
    const before = params.get('w')!.dataSync()[0];
    const g = { w: tf.tensor1d([1, 1, 1]) };
    opt.apply(params, g, 0);
    g.w.dispose();
    const moved = before - params.get('w')!.dataSync()[0];
    // With a constant gradient Adam's bias-corrected step is exactly the rate (up to epsilon).
    assert.ok(Math.abs(moved - 0.5 * step / 100) < 1e-6, `step ${step}: moved ${moved}`);
    assert.ok(Math.abs(opt.currentLr - 0.5 * step / 100) < 1e-12);
  }
  tf.dispose([...params.values()]);
  opt.dispose();
});
