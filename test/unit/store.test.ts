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
import { reversePairs, tinyModel, tinyTransformer } from '../helpers/tinyModel';
import { cpSync } from 'node:fs';

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

test('a saved and loaded Transformer translates identically (greedy, beam n-best, sampling), with its architecture in the summary', async () => {
  const model = await tinyTransformer({ model: { positions: 'learned', tieEmbeddings: false, activation: 'gelu', maxPositions: 24 } });
  const dir = join(root, 'saved-transformer');
  await saveModel(model, dir, info);
  const back = await loadModel(dir);
  assert.equal(back.settings.model.arch, 'transformer');
  for (const decode of [{ strategy: 'greedy' as const }, { strategy: 'beam' as const, beamSize: 4, nBest: 3 }, { strategy: 'sample' as const, seed: 5, nBest: 2 }]) {
    const a = await translate(model, ['abc', 'ba', 'c'], { ...decode, maxLength: 6 });
    const b = await translate(back, ['abc', 'ba', 'c'], { ...decode, maxLength: 6 });
    assert.deepEqual(b, a);
  }
  const summary = readModelSummary(dir);
  assert.equal(summary.arch, 'transformer');
  assert.match(summary.architecture, /Transformer 2\+2 layers, d 16, 4 heads, ff 32/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).formatVersion, 2);
  model.dispose(); back.dispose();
});

test('format-1 folders (before the Transformer) still load as the recurrent model and translate as before', async () => {
  const model = await tinyModel({ model: { bidirectional: true } });
  const dir = join(root, 'format1');
  await saveModel(model, dir, info);
  // Rewrite config.json as format 1 wrote it: no arch, no schedule or Adam settings.
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  for (const k of ['arch', 'dModel', 'heads', 'ff', 'encLayers', 'decLayers', 'attentionDropout', 'positions', 'maxPositions', 'tieEmbeddings', 'activation']) delete cfg.settings.model[k];
  for (const k of ['lrSchedule', 'warmupSteps', 'adamBeta1', 'adamBeta2']) delete cfg.settings.train[k];
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, formatVersion: 1 }));
  const back = await loadModel(dir);
  assert.equal(back.settings.model.arch, 'rnn');
  assert.equal(back.settings.train.lrSchedule, 'constant');
  assert.deepEqual(await translate(back, ['abc', 'ba'], { strategy: 'beam', beamSize: 3, nBest: 2, maxLength: 6 }),
    await translate(model, ['abc', 'ba'], { strategy: 'beam', beamSize: 3, nBest: 2, maxLength: 6 }));
  // And the model shipped with the extension (format 1) loads.
  const shipped = join(root, 'shipped');
  cpSync(join(__dirname, '..', '..', 'samples', 'model'), shipped, { recursive: true });
  const sample = await loadModel(shipped);
  assert.equal(sample.settings.model.arch, 'rnn');
  assert.ok((await translate(sample, ['hello']))[0][0].text.length > 0);
  model.dispose(); back.dispose(); sample.dispose();
});

test('Transformer resume: continues at the checkpointed step, mid-warm-up, with the same learning rates and the same final weights', async () => {
  const data = join(root, 'rev-t.tsv');
  writeFileSync(data, reversePairs(300, 4).join('\n') + '\n');
  const settings = {
    model: { arch: 'transformer' as const, dModel: 16, heads: 2, ff: 32, encLayers: 1, decLayers: 1, dropout: 0.1, attentionDropout: 0.1 },
    train: { batch: 32, epochs: 3, logEvery: 1, patience: 0, lrPatience: 0, warmupSteps: 12, lr: 0.004 },
  };
  const lrs = (events: TrainEvent[]) => new Map(events.flatMap((e) => (e.kind === 'step' ? [[e.step, e.lr] as const] : [])));
  const fullEvents: TrainEvent[] = [];
  const full = join(root, 'full-t');
  await trainModel({ dataFile: data, modelDir: full, settings, resume: false, threads: 1 }, (e) => fullEvents.push(e));
  const part = join(root, 'part-t');
  const ctl = new AbortController();
  const first: TrainEvent[] = [];
  await trainModel({ dataFile: data, modelDir: part, settings, resume: false, threads: 1 }, (e) => {
    first.push(e);
    if (e.kind === 'step' && e.step === 5) ctl.abort();
  }, ctl.signal);
  const ck = loadCheckpoint(part);
  assert.equal(ck.state.step, 5);
  assert.deepEqual(ck.state.adam, { beta1: 0.9, beta2: 0.98, epsilon: 1e-8, schedule: { kind: 'inverse-sqrt', warmupSteps: 12 } });
  ck.model.dispose();
  const second: TrainEvent[] = [];
  // The schedule comes from the checkpoint: even a config.json edited in between does not bend the curve.
  const cfgPath = join(part, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.settings.train.warmupSteps = 500;
  cfg.settings.train.adamBeta2 = 0.5;
  writeFileSync(cfgPath, JSON.stringify(cfg));
  await trainModel({ dataFile: data, modelDir: part, settings, resume: true, threads: 1 }, (e) => second.push(e));
  const want = lrs(fullEvents);
  const got = new Map([...lrs(first), ...lrs(second)]);
  assert.ok(want.size > 12);
  for (const [step, lr] of want) assert.ok(Math.abs((got.get(step) ?? NaN) - lr) < 1e-12, `step ${step}: lr ${got.get(step)} vs ${lr}`);
  assert.ok(want.get(3)! < want.get(12)! && want.get(12)! > want.get(24)!, 'warm-up then decay');
  const endFull = loadCheckpoint(full);
  const endPart = loadCheckpoint(part);
  assert.equal(endPart.state.step, endFull.state.step);
  for (const [name, v] of endFull.model.params) {
    const a = v.dataSync();
    const b = endPart.model.params.get(name)!.dataSync();
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    assert.ok(diff < 1e-5, `${name} differs by ${diff}`);
  }
  endFull.model.dispose(); endPart.model.dispose();
});
