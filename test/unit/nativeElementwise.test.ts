/** Native Tanh and dropout masks (wasm backend with our addon) against their definitions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { dropout, DropoutSeeds } from '../../src/model/network/dropout';
import { kernels } from '../../src/model/acceleration/kernels';
import { nativeKernelsHere } from '../helpers/nativeKernels';

test('Tanh: within 1e-6 of Math.tanh over the whole range, with exact signs and limits', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const xs = Float32Array.from({ length: 20001 }, (_, i) => (i - 10000) / 500); // -20 .. 20
  const got = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync());
  let worst = 0;
  xs.forEach((x, i) => { worst = Math.max(worst, Math.abs(got[i] - Math.tanh(x))); });
  assert.ok(worst < 1e-6, `max error ${worst}`);
  assert.equal(got[10000], 0);
  assert.ok(got[0] >= -1 && got[20000] <= 1 && got[20000] > 0.999999);
});

test('dropout mask: only 0 and 1/keep, the asked-for fraction kept, repeatable by seed', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const n = 200_000;
  for (const keep of [0.9, 0.5, 0.2]) {
    const m = tf.tidy(() => kernels().dropoutMask([n], keep, 12345).dataSync());
    let kept = 0;
    for (const v of m) {
      if (v !== 0) { kept++; assert.ok(Math.abs(v - 1 / keep) < 1e-6, `value ${v}`); }
    }
    // Binomial: 5 standard deviations.
    const sd = Math.sqrt(n * keep * (1 - keep));
    assert.ok(Math.abs(kept - n * keep) < 5 * sd, `keep ${keep}: kept ${kept} of ${n}`);
  }
  const a = tf.tidy(() => kernels().dropoutMask([4, 1000], 0.5, 7).dataSync());
  const b = tf.tidy(() => kernels().dropoutMask([4, 1000], 0.5, 7).dataSync());
  const c = tf.tidy(() => kernels().dropoutMask([4, 1000], 0.5, 8).dataSync());
  assert.deepEqual([...a], [...b]);
  assert.notDeepEqual([...a], [...c]);
  // Neighbouring elements are not correlated (a counter-based generator can fail here).
  let same = 0;
  for (let i = 1; i < a.length; i++) if ((a[i] !== 0) === (a[i - 1] !== 0)) same++;
  assert.ok(Math.abs(same / (a.length - 1) - 0.5) < 0.05, `neighbours agree ${same} times`);
});

test('dropout: the gradient is the mask, and rate 0 is the identity', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const x = tf.randomNormal([8, 50], 0, 1, 'float32', 3);
  const [y, g] = tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((v: tf.Tensor) => tf.sum(dropout(v, 0.3, new DropoutSeeds(5))))([x]);
    const out = dropout(x, 0.3, new DropoutSeeds(5));
    return [out.dataSync(), grads[0].dataSync(), value];
  });
  // Every gradient entry is 0 or 1/0.7, and about 70 % are kept.
  const keptGrad = [...g].filter((v) => v !== 0);
  assert.ok(keptGrad.every((v) => Math.abs(v - 1 / 0.7) < 1e-5));
  assert.ok(Math.abs(keptGrad.length / g.length - 0.7) < 0.1, `kept ${keptGrad.length} of ${g.length}`);
  // Each output is 0 or x / 0.7.
  const xs = x.dataSync();
  [...y].forEach((v, i) => assert.ok(v === 0 || Math.abs(v - xs[i] / 0.7) < 1e-5));
  assert.equal(dropout(x, 0, new DropoutSeeds(5)), x);
});
