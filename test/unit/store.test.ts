import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, truncateSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadModel, saveModel, loadCheckpoint } from '../../src/model/storage/store';
import { trainModel } from '../../src/model/training/train';
import { translate } from '../../src/model/decoding/translate';
import { listModels, readModelSummary } from '../../src/model/storage/modelFolder';
import type { TrainEvent } from '../../src/model/training/events';
import { reversePairs, tinyModel } from '../helpers/tinyModel';

const root = mkdtempSync(join(tmpdir(), 'seq2seq-store-'));
const info = { config: { task: 'pairs' as const, devMetric: 'bleu' as const, dataFile: 'x.tsv', trainPairs: 3, createdAt: new Date().toISOString() } };

test('a saved and loaded model translates identically (greedy and beam n-best)', async () => {
  const model = await tinyModel({ model: { bidirectional: true, attention: 'bahdanau', cell: 'gru', layers: 2 } });
  const dir = join(root, 'saved');
  await saveModel(model, dir, info);
  const back = await loadModel(dir);
  for (const decode of [{ strategy: 'greedy' as const }, { strategy: 'beam' as const, beamSize: 4, nBest: 3 }]) {
    const a = await translate(model, ['abc', 'ba', 'c'], { ...decode, maxLength: 6 });
    const b = await translate(back, ['abc', 'ba', 'c'], { ...decode, maxLength: 6 });
    assert.deepEqual(b, a);
  }
  const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.equal(j.format, 'layers-model');
  assert.deepEqual(j.weightsManifest[0].paths, ['weights.bin']);
  assert.equal(readModelSummary(dir).parameters, model.parameterCount);
  assert.deepEqual(listModels(root).map((m) => m.name), ['saved']);
  model.dispose(); back.dispose();
});

test('loading a missing, truncated or mismatched folder gives a clear error', async () => {
  const model = await tinyModel();
  const dir = join(root, 'broken');
  await saveModel(model, dir, info);
  await assert.rejects(loadModel(join(root, 'nope')), /no such model folder/);
  const w = join(dir, 'weights.bin');
  truncateSync(w, statSync(w).size - 8);
  await assert.rejects(loadModel(dir), /weights are truncated or do not match model.json \(expected \d+ bytes, found \d+\)/);
  await saveModel(model, dir, info);
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.settings.model.hidden = 32;
  writeFileSync(cfgPath, JSON.stringify(cfg));
  await assert.rejects(loadModel(dir), /has shape \[.*\] but the configuration needs \[.*\]/);
  writeFileSync(cfgPath, '{"formatVersion": 1, "sett');
  await assert.rejects(loadModel(dir), /config.json.*not valid JSON/);
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, formatVersion: 99 }));
  await assert.rejects(loadModel(dir), /newer version/);
  rmSync(join(dir, 'tokenizers.json'));
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, settings: { ...cfg.settings, model: { ...cfg.settings.model, hidden: 16 } } }));
  await assert.rejects(loadModel(dir), /tokenizers.json.*missing/);
  model.dispose();
});

test('resume after an interrupted run continues at the checkpointed step and ends with the same weights as an uninterrupted run', async () => {
  const data = join(root, 'rev.tsv');
  writeFileSync(data, reversePairs(400).join('\n') + '\n');
  const settings = { model: { emb: 8, hidden: 16, bidirectional: false, dropout: 0, attention: 'luong' as const }, train: { batch: 32, epochs: 3, logEvery: 1, patience: 0, lrPatience: 1 } };
  const full = join(root, 'full');
  await trainModel({ dataFile: data, modelDir: full, settings, resume: false }, () => {});

  const part = join(root, 'part');
  const ctl = new AbortController();
  const first: TrainEvent[] = [];
  const end1 = await trainModel({ dataFile: data, modelDir: part, settings, resume: false }, (e) => {
    first.push(e);
    if (e.kind === 'step' && e.step === 7) ctl.abort();
  }, ctl.signal);
  assert.equal(end1.reason, 'stopped');
  assert.equal(end1.steps, 7);
  assert.equal(loadCheckpoint(part).state.step, 7);
  assert.ok(readModelSummary(part).resumable);

  const second: TrainEvent[] = [];
  const end2 = await trainModel({ dataFile: data, modelDir: part, settings, resume: true }, (e) => second.push(e));
  const start = second.find((e) => e.kind === 'start');
  assert.deepEqual(start?.kind === 'start' && start.resumedFrom, { epoch: 0, step: 7 });
  const firstStep = second.find((e) => e.kind === 'step');
  assert.equal(firstStep?.kind === 'step' && firstStep.step, 8);
  const endFull = loadCheckpoint(full);
  const endPart = loadCheckpoint(part);
  assert.equal(end2.steps, endFull.state.step);
  for (const [name, v] of endFull.model.params) {
    const a = v.dataSync();
    const b = endPart.model.params.get(name)!.dataSync();
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    assert.ok(diff < 1e-5, `${name} differs by ${diff}`);
  }
  endFull.model.dispose(); endPart.model.dispose();
});
