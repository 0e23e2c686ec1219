/**
 * Issue 12, retraining into an existing model: refused without overwrite; with it, the new run
 * trains in a staging sibling and its first complete save swaps it in; a kill at any point of the
 * swap leaves the old model or the new one (settleModelFolder finishes or undoes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadModel, saveCheckpoint, saveModel } from '../../src/model/storage/store';
import { listModels, readConfig } from '../../src/model/storage/modelFolder';
import { ModelExistsError, planModelDir, settleModelFolder } from '../../src/model/storage/modelFolderSwap';
import { trainModel } from '../../src/model/training/train';
import { translate } from '../../src/model/decoding/translate';
import { reversePairs, tinyModel } from '../helpers/tinyModel';

const root = mkdtempSync(join(tmpdir(), 'seq2seq-swap-'));
const info = { config: { task: 'pairs' as const, devMetric: 'bleu' as const, dataFile: 'x.tsv', trainPairs: 3, createdAt: new Date().toISOString() } };
const progress = { epoch: 1, step: 4, stepInEpoch: 0, optimizerStep: 4, lr: 0.01, bestScore: 1, plateauBest: null, badEpochs: 0, lrBadEpochs: 0, elapsedMs: 10 };
const DEAD = 2 ** 22 + 777; // above Linux's default pid_max: no such process

/** A complete model folder (model + checkpoint) whose hidden size tells it apart. */
async function modelFolder(dir: string, hidden: number): Promise<void> {
  const model = await tinyModel({ model: { hidden } });
  await saveModel(model, dir, info);
  saveCheckpoint(dir, model, [], progress);
  model.dispose();
}
const hiddenOf = (dir: string) => readConfig(dir).settings.model.hidden;
async function loadsAs(dir: string, hidden: number): Promise<void> {
  const m = await loadModel(dir);
  assert.equal(m.settings.model.hidden, hidden);
  assert.equal((await translate(m, ['abc'], { maxLength: 4 }))[0].length, 1);
  m.dispose();
}

test('a folder holding a model is not replaced without overwrite; one holding other files never', async () => {
  const dir = join(root, 'kept');
  await modelFolder(dir, 16);
  assert.throws(() => planModelDir(dir, { resume: false }), (e: unknown) => e instanceof ModelExistsError && /already holds a model\. To replace it, train with --overwrite/.test((e as Error).message));
  const docs = join(root, 'Documents');
  mkdirSync(docs);
  writeFileSync(join(docs, 'thesis.tex'), 'precious');
  assert.throws(() => planModelDir(docs, { resume: false, overwrite: true }), /is not empty and holds no model \("thesis.tex"\); choose a new or empty folder/);
  assert.ok(existsSync(join(docs, 'thesis.tex')));
  // Leftovers of a run killed before its first save hold nothing to protect: reused in place.
  const early = join(root, 'early');
  mkdirSync(early);
  writeFileSync(join(early, 'config.json'), '{}');
  assert.deepEqual(planModelDir(early, { resume: false }), { dir: early, writeDir: early, staged: false, created: false });
  const plan = planModelDir(dir, { resume: false, overwrite: true });
  assert.equal(plan.staged, true);
  assert.match(plan.writeDir, /\.kept\.staging-\d+$/);
  await loadsAs(dir, 16);
});

test('every state a kill can leave during the swap reads as the old model or the new one', async () => {
  const old = join(root, 'src-old');
  const neu = join(root, 'src-new');
  await modelFolder(old, 16);
  await modelFolder(neu, 24);
  const models = join(root, 'models');
  mkdirSync(models);
  const dir = join(models, 'm');
  const staging = join(models, `.m.staging-${DEAD}`);
  const replaced = join(models, `.m.replaced-${DEAD}`);
  const reset = (parts: { dir?: string; staging?: string | 'partial'; replaced?: string }) => {
    for (const p of [dir, staging, replaced]) rmSync(p, { recursive: true, force: true });
    if (parts.dir) cpSync(parts.dir, dir, { recursive: true });
    if (parts.staging === 'partial') { cpSync(neu, staging, { recursive: true }); rmSync(join(staging, 'model.json')); } else if (parts.staging) cpSync(parts.staging, staging, { recursive: true });
    if (parts.replaced) cpSync(parts.replaced, replaced, { recursive: true });
  };
  const cases: { state: Parameters<typeof reset>[0]; expect: number; what: string }[] = [
    { state: { dir: old, staging: 'partial' }, expect: 16, what: 'killed while the new run was saving into staging' },
    { state: { dir: old, staging: neu }, expect: 16, what: 'killed after the staging save, before step 1' },
    { state: { staging: neu, replaced: old }, expect: 24, what: 'killed between step 1 and step 2' },
    { state: { dir: neu, replaced: old }, expect: 24, what: 'killed before step 3' },
    { state: { staging: 'partial', replaced: old }, expect: 16, what: 'old moved aside, staging incomplete (never made by swapIn)' },
  ];
  for (const c of cases) {
    reset(c.state);
    // The model list settles first, so it shows the model in every state.
    assert.deepEqual(listModels(models).map((m) => m.name), ['m'], c.what);
    await loadsAs(dir, c.expect);
    assert.deepEqual(readdirSync(models), ['m'], `${c.what}: debris left`);
    reset(c.state);
    settleModelFolder(dir);
    assert.equal(hiddenOf(dir), c.expect, c.what);
  }
  // A live run's staging folder is its work in progress: left alone.
  reset({ dir: old });
  const live = join(models, `.m.staging-${process.ppid}`);
  cpSync(neu, live, { recursive: true });
  settleModelFolder(dir);
  assert.ok(existsSync(live));
  rmSync(live, { recursive: true });
});

test('retraining with overwrite: the old model loads until the new run\'s first save, then the new one; a run stopped before saving leaves the old', async () => {
  const data = join(root, 'rev.tsv');
  writeFileSync(data, reversePairs(300).join('\n') + '\n');
  const dir = join(root, 'retrain');
  const small = { model: { emb: 8, hidden: 16, bidirectional: false, dropout: 0, attention: 'luong' as const }, train: { batch: 32, epochs: 1, patience: 0, logEvery: 1 } };
  await trainModel({ dataFile: data, modelDir: dir, settings: small, resume: false }, () => {});
  await assert.rejects(trainModel({ dataFile: data, modelDir: dir, settings: small, resume: false, overwrite: false }, () => {}), ModelExistsError);
  await loadsAs(dir, 16);

  // Stopped before its first step: it saved nothing complete, so the old model stays and the staging folder goes.
  const ctl = new AbortController();
  ctl.abort();
  const bigger = { ...small, model: { ...small.model, hidden: 24 } };
  const end = await trainModel({ dataFile: data, modelDir: dir, settings: bigger, resume: false, overwrite: true }, () => {}, ctl.signal);
  assert.equal(end.reason, 'stopped');
  await loadsAs(dir, 16);
  assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('.retrain')), []);

  const seen: number[] = [];
  await trainModel({ dataFile: data, modelDir: dir, settings: bigger, resume: false, overwrite: true }, (e) => {
    // While the new run trains, before its first save, the folder is the old model, whole.
    if (e.kind === 'start' || e.kind === 'step') seen.push(hiddenOf(dir));
  });
  assert.ok(seen.length > 2 && seen.every((h) => h === 16), String(seen));
  await loadsAs(dir, 24);
  assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('.retrain')), []);
  // And it resumes like any model.
  const resumed = await trainModel({ dataFile: data, modelDir: dir, settings: { train: { epochs: 2 } }, resume: true }, () => {});
  assert.equal(resumed.epochs, 2);
  await loadsAs(dir, 24);
});
