/** Checkpoint averaging: the mean of K identical checkpoints is that checkpoint; only the last K are kept; at the end of training the average replaces the model only when it scores better on dev. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { averageAtEnd, averageWeights, RECENT_DIR, RecentCheckpoints, recentCheckpointsFor } from '../../src/model/training/averaging';
import { prepareRun } from '../../src/model/training/setup';
import { TrainingRun } from '../../src/model/training/run';
import { trainModel } from '../../src/model/training/train';
import { FILES, readMetrics } from '../../src/model/storage/modelFolder';
import { loadCheckpoint } from '../../src/model/storage/store';
import { tf } from '../../src/model/acceleration/backend';
import { reversePairs, tinyModel } from '../helpers/tinyModel';

const dir = mkdtempSync(join(tmpdir(), 'averaging-'));

function weights(model: Awaited<ReturnType<typeof tinyModel>>): Float32Array[] {
  return [...model.params.values()].map((v) => v.dataSync() as Float32Array);
}

test('averaging K identical checkpoints gives the same weights, bit for bit', async () => {
  const model = await tinyModel();
  const recent = new RecentCheckpoints(4);
  const folder = join(dir, 'identical');
  for (let epoch = 1; epoch <= 4; epoch++) recent.remember(folder, model, epoch, epoch * 10);
  const { entries, weights: snaps } = recent.load(folder, model);
  assert.deepEqual(entries.map((e) => e.step), [10, 20, 30, 40]);
  const flat = Float32Array.from(weights(model).flatMap((w) => [...w]));
  assert.deepEqual(averageWeights(snaps), flat);
  // Awkward values too (ones whose sum rounds in float32): the float64 sum divides back exactly.
  const odd = Float32Array.from([0.1, 1 / 3, 16777217, -2.5e-38, 3.4e38, 7]);
  assert.deepEqual(averageWeights([odd, odd, odd, odd, odd, odd, odd]), odd);
  model.dispose();
});

test('the average of different checkpoints is their mean, value by value', () => {
  const a = Float32Array.from([1, 2, 3, -4]);
  const b = Float32Array.from([3, 2, 0, 4]);
  const c = Float32Array.from([2, 5, 0, 0]);
  assert.deepEqual(averageWeights([a, b, c]), Float32Array.from([2, 3, 1, 0]));
  assert.throws(() => averageWeights([a, Float32Array.from([1])]), /differ in size/);
  assert.throws(() => recentCheckpointsFor(2.5), /averageLast: must be a whole number from 0 to 100 \(got 2\.5\)/);
  assert.equal(recentCheckpointsFor(1), null, 'one checkpoint is no average');
  assert.equal(recentCheckpointsFor(undefined), null);
});

test('only the last K are kept on disk, in order; a model of another shape starts afresh', async () => {
  const model = await tinyModel();
  const recent = new RecentCheckpoints(3);
  const folder = join(dir, 'ring');
  for (let epoch = 1; epoch <= 5; epoch++) {
    tf.tidy(() => { for (const v of model.params.values()) v.assign(tf.fill(v.shape, epoch)); });
    recent.remember(folder, model, epoch, epoch * 7);
  }
  const files = readdirSync(join(folder, FILES.checkpointDir, RECENT_DIR)).sort();
  assert.deepEqual(files, ['index.json', 'step-21.bin', 'step-28.bin', 'step-35.bin']);
  const { weights: snaps } = recent.load(folder, model);
  assert.deepEqual(snaps.map((s) => s[0]), [3, 4, 5]);
  assert.ok(averageWeights(snaps).every((x) => x === 4), 'the mean of 3, 4 and 5');
  const other = await tinyModel({ model: { hidden: 24 } });
  assert.deepEqual(recent.load(folder, other).weights, [], 'snapshots of other shapes are not averaged into it');
  model.dispose();
  other.dispose();
});

test('at the end of training the average is scored on dev and kept only when it is better', async () => {
  const data = join(dir, 'reverse.tsv');
  writeFileSync(data, reversePairs(300, 9).join('\n') + '\n');
  const modelDir = join(dir, 'trained');
  const end = await trainModel({
    dataFile: data, modelDir, resume: false, preset: 'fast', threads: 1, averageLast: 3,
    settings: { model: { emb: 8, hidden: 24, bidirectional: false, dropout: 0 }, train: { epochs: 5, batch: 16, patience: 0, labelSmoothing: 0 } },
  }, () => {});
  assert.ok(end.averaged, 'the end event reports the average');
  const a = end.averaged!;
  assert.equal(a.checkpoints, 3);
  const metrics = readMetrics(modelDir)!;
  assert.deepEqual(metrics.averaged, a, 'metrics.json records it');
  assert.deepEqual(a.steps, metrics.history.slice(-3).map((e) => e.step), 'the last three epochs');
  const saved = readFileSync(join(modelDir, FILES.weights));
  const ck = loadCheckpoint(modelDir);
  const recent = new RecentCheckpoints(3);
  const { weights: snaps } = recent.load(modelDir, ck.model);
  const average = averageWeights(snaps);
  const savedFloats = new Float32Array(saved.buffer.slice(saved.byteOffset, saved.byteOffset + saved.byteLength));
  const sameAsAverage = savedFloats.length === average.length && savedFloats.every((x, i) => x === average[i]);
  assert.equal(sameAsAverage, a.kept, a.kept ? 'kept: the saved model is the average' : 'not kept: the saved model is the best epoch');
  if (a.kept) {
    assert.deepEqual(end.bestDev, a.dev);
    assert.deepEqual(metrics.best?.dev, a.dev);
  } else {
    assert.deepEqual(metrics.best?.dev, a.bestBefore);
  }
  // The checkpoint keeps the trained weights (the last snapshot), so a resumed run goes on exactly.
  const last = snaps[snaps.length - 1];
  const ckFloats = Float32Array.from([...ck.model.params.values()].flatMap((v) => [...(v.dataSync() as Float32Array)]));
  assert.deepEqual(ckFloats, last);
  ck.model.dispose();
  for (const t of ck.optimizer.values()) t.dispose();
  assert.ok(existsSync(join(modelDir, FILES.model)));

  // A worse average is not kept: two of the three snapshots made noise, then averaged again.
  const recentDir = join(modelDir, FILES.checkpointDir, RECENT_DIR);
  // Two of the three snapshots replaced by large noise: the average is mostly noise, whatever the trained model scored.
  const noise = new Float32Array(saved.byteLength / 4).map((_, i) => ((i * 7919) % 13) - 6);
  for (const f of readdirSync(recentDir).filter((f) => f.endsWith('.bin')).slice(0, 2)) writeFileSync(join(recentDir, f), new Uint8Array(noise.buffer));
  const setup = await prepareRun({ dataFile: data, modelDir, resume: true, threads: 1 });
  const run = new TrainingRun(setup, { dataFile: data, modelDir, resume: true, averageLast: 3 }, null, () => {});
  const again = await averageAtEnd(run, run.recent!);
  assert.equal(again?.kept, false, `a third of the trained weights scores worse (${JSON.stringify(again?.dev)})`);
  assert.ok(readFileSync(join(modelDir, FILES.weights)).equals(saved), 'the saved model is untouched');
  assert.equal(readMetrics(modelDir)!.averaged?.kept, false);
  setup.model.dispose();
  setup.optimizer.dispose();
});
