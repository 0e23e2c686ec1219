import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { padBatch, type Example } from '../../src/model/data/data';
import { GradientReplica } from '../../src/model/acceleration/gradientReplica';
import { blasThreads, defaultBlasThreads } from '../../src/model/acceleration/native/addon';
import { Adam } from '../../src/model/training/optimizer';
import { BOS, EOS } from '../../src/model/data/tokenizer';
import { trainStep, trainStepParallel } from '../../src/model/training/train';
import { batchGradients } from '../../src/model/training/gradients';
import { reversePairs, tinyModel, tinyTransformer } from '../helpers/tinyModel';

const lines = reversePairs(40, 3).map((l) => l.split('\t'));

async function twinModels() {
  const overrides = { model: { attention: 'bahdanau' as const, bidirectional: true } };
  const a = await tinyModel(overrides, lines.map((l) => l[0]), lines.map((l) => l[1]));
  const b = await tinyModel(overrides, lines.map((l) => l[0]), lines.map((l) => l[1]));
  const examples: Example[] = lines.map(([s, t], i) => ({ src: a.source.encode(s), tgt: a.target.encode(t), line: i + 1 }));
  return { a, b, examples };
}

test('a step split across two threads equals the step on the whole batch', async () => {
  const { a, b, examples } = await twinModels();
  const blasBefore = blasThreads();
  const replica = await GradientReplica.start(b, tf.getBackend() as 'wasm' | 'cpu');
  // With our native kernels, each training thread uses one BLAS thread while the replica runs.
  if (blasBefore !== null) assert.equal(blasThreads(), 1);
  try {
    const optA = new Adam(0.01);
    const optB = new Adam(0.01);
    // Halves of different lengths and token counts: the combination must weight them by tokens.
    const idx = examples.map((_, i) => i);
    for (let step = 0; step < 3; step++) {
      const order = idx.slice(step * 8, step * 8 + 16);
      const whole = trainStep(a, optA, padBatch(examples, order, BOS, EOS));
      const mine = padBatch(examples, order.slice(0, 5), BOS, EOS);
      const theirs = padBatch(examples, order.slice(5), BOS, EOS);
      const split = await trainStepParallel(b, optB, mine, theirs, replica);
      assert.ok(Math.abs(whole.loss - split.loss) < 1e-5, `loss ${whole.loss} vs ${split.loss}`);
      assert.equal(whole.correct, split.correct);
    }
    for (const [name, va] of a.params) {
      const x = va.dataSync();
      const y = b.params.get(name)!.dataSync();
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      assert.ok(worst < 1e-4, `${name}: weights differ by ${worst} after three steps`);
    }
    // The weights really moved, so the comparison above is not between two untouched models.
    const fresh = await tinyModel({ model: { attention: 'bahdanau', bidirectional: true } }, lines.map((l) => l[0]), lines.map((l) => l[1]));
    const k = 'decoder/l0/kernel';
    const before = fresh.params.get(k)!.dataSync();
    const after = a.params.get(k)!.dataSync();
    const moved = Math.max(...Array.from(before, (v, i) => Math.abs(v - after[i])));
    assert.ok(moved > 1e-3, `weights moved by only ${moved}`);
    fresh.dispose();
  } finally {
    await replica.close();
    a.dispose();
    b.dispose();
  }
  // ... and the BLAS gets its threads back when it closes.
  if (blasBefore !== null) assert.equal(blasThreads(), blasBefore);
  if (blasBefore !== null) assert.equal(blasBefore, defaultBlasThreads());
});

test('a failed training thread rejects the step with its message instead of hanging', async () => {
  const { a, examples } = await twinModels();
  const replica = await GradientReplica.start(a, tf.getBackend() as 'wasm' | 'cpu');
  await replica.close();
  const half = padBatch(examples, [0, 1, 2], BOS, EOS);
  await assert.rejects(trainStepParallel(a, new Adam(0.01), half, padBatch(examples, [3, 4], BOS, EOS), replica), /training thread/);
  a.dispose();
});

test('a Transformer batch split across two threads gives the whole batch\'s gradients', async () => {
  const a = await tinyTransformer({}, lines.map((l) => l[0]), lines.map((l) => l[1]));
  const examples: Example[] = lines.map(([s, t], i) => ({ src: a.source.encode(s), tgt: a.target.encode(t), line: i + 1 }));
  const replica = await GradientReplica.start(a, tf.getBackend() as 'wasm' | 'cpu');
  try {
    // Adam would amplify rounding noise in directions without gradient (a key bias: softmax ignores
    // it), so the gradients themselves are compared.
    const order = examples.map((_, i) => i).slice(0, 16);
    const whole = batchGradients(a, padBatch(examples, order, BOS, EOS), 0);
    const split = await replica.splitBatchGradients(a, padBatch(examples, order.slice(0, 5), BOS, EOS), padBatch(examples, order.slice(5), BOS, EOS), 0);
    assert.ok(Math.abs(whole.loss - split.loss) < 1e-5, `loss ${whole.loss} vs ${split.loss}`);
    let largest = 0;
    for (const [name, g] of whole.grads) {
      const x = g.dataSync();
      const y = split.grads.get(name)!.dataSync();
      let worst = 0;
      for (let i = 0; i < x.length; i++) { worst = Math.max(worst, Math.abs(x[i] - y[i])); largest = Math.max(largest, Math.abs(x[i])); }
      assert.ok(worst < 1e-5, `${name}: gradients differ by ${worst}`);
    }
    assert.ok(largest > 1e-2, 'the gradients are not all near zero');
    for (const g of [...whole.grads.values(), ...split.grads.values()]) g.dispose();
  } finally {
    await replica.close();
    a.dispose();
  }
});
