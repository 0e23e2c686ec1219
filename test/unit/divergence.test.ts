/**
 * Issue 12, NaN / Inf in training: a non-finite loss or gradient norm skips the update; 5 in a row
 * roll back to the last checkpoint at half the learning rate; if that fails too, training stops
 * with an 'end' event of reason 'error'; what is on disk never holds non-finite weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tf } from '../../src/model/acceleration/backend';
import { DivergenceGuard, MAX_BAD_STEPS, TrainingDivergedError } from '../../src/model/training/divergence';
import { trainModel } from '../../src/model/training/train';
import { prepareRun } from '../../src/model/training/setup';
import { TrainingRun } from '../../src/model/training/run';
import { loadCheckpoint, loadModel } from '../../src/model/storage/store';
import type { TrainEvent } from '../../src/model/training/events';
import { reversePairs } from '../helpers/tinyModel';

const root = mkdtempSync(join(tmpdir(), 'seq2seq-nan-'));
const data = join(root, 'rev.tsv');
writeFileSync(data, reversePairs(300).join('\n') + '\n');
const settings = { model: { emb: 8, hidden: 16, bidirectional: false, dropout: 0, attention: 'luong' as const }, train: { batch: 32, epochs: 1, patience: 0, logEvery: 1 } };

let trained = '';
/** A copy of a model trained for one epoch (model + checkpoint). */
async function trainedCopy(name: string): Promise<string> {
  if (!trained) {
    trained = join(root, 'trained');
    await trainModel({ dataFile: data, modelDir: trained, settings, resume: false }, () => {});
  }
  const dir = join(root, name);
  cpSync(trained, dir, { recursive: true });
  return dir;
}

const snapshot = (dir: string) => Object.fromEntries(['model.json', 'weights.bin', ...readdirSync(join(dir, 'checkpoint')).filter((f) => f.startsWith('weights-')).map((f) => `checkpoint/${f}`)]
  .map((f) => [f.replace(/weights-\d+/, 'weights-N'), readFileSync(join(dir, f)).toString('base64')]));

test('the guard: bad steps are skipped; 5 in a row roll back; again before a good step and a checkpoint stops', () => {
  const g = new DivergenceGuard();
  const run = (outcomes: boolean[]) => outcomes.map((ok) => g.afterStep(ok));
  assert.deepEqual(run([true, false, false, true]), ['ok', 'skipped', 'skipped', 'ok']);
  const five = Array(MAX_BAD_STEPS).fill(false);
  assert.deepEqual(run(five), [...Array(MAX_BAD_STEPS - 1).fill('skipped'), 'roll-back']);
  g.onCheckpoint(); // a checkpoint of the rolled-back weights, with no good step since: not a fresh start
  assert.equal(run(five).pop(), 'stop');
  const h = new DivergenceGuard();
  h.afterStep(true);
  for (let round = 0; round < 3; round++) {
    assert.equal(five.map((ok) => h.afterStep(ok)).pop(), 'roll-back');
    h.afterStep(true);
    h.onCheckpoint(); // training went on well and saved: a later divergence may roll back again
  }
  assert.equal(h.skippedSteps, 3 * MAX_BAD_STEPS);
  assert.equal(h.rollbacks, 3);
});

test('weights gone NaN in memory: the steps are skipped, the run rolls back to the checkpoint at half the rate and finishes with good weights', async () => {
  const dir = await trainedCopy('rollback');
  const setup = await prepareRun({ dataFile: data, modelDir: dir, settings: { train: { epochs: 3 } }, resume: true });
  const lr = setup.optimizer.lr;
  for (const v of setup.model.params.values()) v.assign(tf.fill(v.shape, NaN));
  const events: TrainEvent[] = [];
  const run = new TrainingRun(setup, { dataFile: data, modelDir: dir, resume: true }, null, (e) => events.push(e));
  await run.runEpochs();
  assert.equal(run.guard.rollbacks, 1);
  assert.equal(run.guard.skippedSteps, MAX_BAD_STEPS);
  const epochs = events.filter((e) => e.kind === 'epoch');
  assert.equal(epochs.length, 2);
  for (const e of events) if (e.kind === 'step' || e.kind === 'epoch') assert.ok(Number.isFinite(e.kind === 'step' ? e.loss : e.trainLoss), 'no NaN in the figures');
  assert.ok(setup.optimizer.lr <= lr * 0.5 + 1e-12, `lr ${setup.optimizer.lr} after a rollback from ${lr}`);
  const ck = loadCheckpoint(dir);
  assert.equal(ck.state.epoch, 3);
  ck.model.dispose();
  (await loadModel(dir)).dispose();
  setup.model.dispose(); setup.optimizer.dispose();
});

test('a checkpoint whose weights overflow every step: skip, roll back, stop with an error end event; nothing on disk changes', async () => {
  const dir = await trainedCopy('diverge');
  // Finite but huge output weights (as a flipped exponent bit makes): every logit overflows.
  const statePath = join(dir, 'checkpoint', 'state.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  const wPath = join(dir, 'checkpoint', state.weightsFile);
  const bytes = readFileSync(wPath);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let off = 0;
  for (const s of state.weightSpecs as { name: string; shape: number[] }[]) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.name === 'output/kernel') floats.fill(3e38, off, off + n);
    off += n;
  }
  writeFileSync(wPath, bytes);
  const before = snapshot(dir);
  const events: TrainEvent[] = [];
  await assert.rejects(trainModel({ dataFile: data, modelDir: dir, settings: { train: { epochs: 4 } }, resume: true }, (e) => events.push(e)),
    (e: unknown) => e instanceof TrainingDivergedError && /training diverged at step \d+: .* for 5 steps in a row again after rolling back to the checkpoint of step \d+/.test((e as Error).message));
  const end = events.at(-1)!;
  assert.equal(end.kind, 'end');
  assert.equal(end.kind === 'end' && end.reason, 'error');
  assert.match(end.kind === 'end' ? end.error ?? '' : '', /training diverged/);
  assert.deepEqual(snapshot(dir), before);
  (await loadModel(dir)).dispose();
});
