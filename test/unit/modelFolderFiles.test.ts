/**
 * Issue 12, model folders: every file is checked against its schema with one message format
 * (file: field: must be ...), files named inside a folder stay inside it, non-finite weights are
 * refused on load (naming the weight) and never saved, and a kill's *.tmp debris is cleaned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel, saveModelMeta } from '../../src/model/storage/store';
import { readConfig, readModelSummary } from '../../src/model/storage/modelFolder';
import { tf } from '../../src/model/acceleration/backend';
import { tinyModel } from '../helpers/tinyModel';

const root = mkdtempSync(join(tmpdir(), 'seq2seq-folder-'));
const info = { config: { task: 'pairs' as const, devMetric: 'bleu' as const, dataFile: 'x.tsv', trainPairs: 3, createdAt: new Date().toISOString() } };
const progress = { epoch: 1, step: 4, stepInEpoch: 0, optimizerStep: 4, lr: 0.01, bestScore: 1, plateauBest: null, badEpochs: 0, lrBadEpochs: 0, elapsedMs: 10 };

/** A saved model with a checkpoint, copied fresh for each case. */
let template = '';
async function folder(name: string): Promise<string> {
  if (!template) {
    template = join(root, 'template');
    const model = await tinyModel();
    await saveModel(model, template, info);
    saveCheckpoint(template, model, [], progress);
    model.dispose();
  }
  const dir = join(root, name);
  cpSync(template, dir, { recursive: true });
  return dir;
}
const editJson = (path: string, edit: (j: any) => unknown) => writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')))));

test('config.json holding null, or a wrong field, is named with the file and the field (no raw TypeError)', async () => {
  const dir = await folder('cfg-null');
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, 'null');
  assert.throws(() => readConfig(dir), { name: 'ModelFolderError', message: `${cfg}: must be an object (got null)` });
  await assert.rejects(loadModel(dir), { message: `${cfg}: must be an object (got null)` });
  const dir2 = await folder('cfg-hidden');
  editJson(join(dir2, 'config.json'), (j) => { j.settings.model.hidden = '32'; return j; });
  await assert.rejects(loadModel(dir2), { message: `${join(dir2, 'config.json')}: settings.model.hidden: must be a finite number (got "32")` });
  const dir3 = await folder('cfg-range');
  editJson(join(dir3, 'config.json'), (j) => { j.settings.model.layers = 9; return j; });
  await assert.rejects(loadModel(dir3), { message: `${join(dir3, 'config.json')}: settings.model.layers: must be a whole number from 1 to 4 (got 9)` });
  // The model list skips such a folder rather than failing.
  assert.throws(() => readModelSummary(dir), /must be an object/);
});

test('checkpoint/state.json with weightSpecs null or epoch "x" is refused naming the field', async () => {
  const dir = await folder('state-null');
  const state = join(dir, 'checkpoint', 'state.json');
  editJson(state, (j) => ({ ...j, weightSpecs: null }));
  assert.throws(() => loadCheckpoint(dir), { message: `${state}: weightSpecs: must be a list (got null)` });
  editJson(state, (j) => ({ ...j, weightSpecs: [], epoch: 'x' }));
  assert.throws(() => loadCheckpoint(dir), { message: `${state}: epoch: must be a whole number of at least 0 (got "x")` });
});

test('model files may only name files inside their folder (weightsManifest paths, checkpoint weightsFile)', async () => {
  const dir = await folder('escape');
  const secret = join(root, 'secret.bin');
  writeFileSync(secret, readFileSync(join(dir, 'weights.bin')));
  const modelJson = join(dir, 'model.json');
  editJson(modelJson, (j) => { j.weightsManifest[0].paths = ['../secret.bin']; return j; });
  await assert.rejects(loadModel(dir), (e: Error) => e.name === 'ModelFolderError' &&
    e.message.startsWith(`${modelJson}: weightsManifest[0].paths[0]: must name a file inside ${dir} (got "../secret.bin"`));
  editJson(modelJson, (j) => { j.weightsManifest[0].paths = [secret]; return j; });
  await assert.rejects(loadModel(dir), /paths\[0\]: must name a file inside .*absolute path/);
  const state = join(dir, 'checkpoint', 'state.json');
  const ck = JSON.parse(readFileSync(state, 'utf8'));
  writeFileSync(join(root, 'w.bin'), readFileSync(join(dir, 'checkpoint', ck.weightsFile)));
  editJson(state, (j) => ({ ...j, weightsFile: '../../w.bin' }));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message.startsWith(`${state}: weightsFile: must name a file inside ${join(dir, 'checkpoint')} (got "../../w.bin"`));
});

test('a model whose weights hold NaN or Infinity does not load; the message names the weight', async () => {
  const dir = await folder('nan');
  const w = join(dir, 'weights.bin');
  const bytes = readFileSync(w);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weightsManifest[0].weights as { name: string; shape: number[] }[];
  const second = manifest[0].shape.reduce((a, b) => a * b, 1);
  floats[second + 2] = NaN;
  writeFileSync(w, bytes);
  await assert.rejects(loadModel(dir), { message: new RegExp(`^${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: weight ${manifest[1].name} has non-finite values \\(NaN at index 2, 1 of \\d+ values\\)`) });
  floats.fill(NaN);
  writeFileSync(w, bytes);
  await assert.rejects(loadModel(dir), new RegExp(`weight ${manifest[0].name} has non-finite values`));
  const ckDir = await folder('nan-ck');
  const state = JSON.parse(readFileSync(join(ckDir, 'checkpoint', 'state.json'), 'utf8'));
  const ckw = join(ckDir, 'checkpoint', state.weightsFile);
  const cb = readFileSync(ckw);
  new Float32Array(cb.buffer, cb.byteOffset, cb.byteLength / 4)[0] = -Infinity;
  writeFileSync(ckw, cb);
  assert.throws(() => loadCheckpoint(ckDir), new RegExp(`${state.weightsFile}: weight ${manifest[0].name} has non-finite values \\(-Infinity at index 0`));
});

test('non-finite weights are never saved: the model and the checkpoint on disk stay as they were', async () => {
  const dir = await folder('no-save');
  const before = readdirSync(dir).map((f) => [f, existsSync(join(dir, f)) && f.endsWith('.json') || f.endsWith('.bin') ? readFileSync(join(dir, f)).toString('base64') : '']);
  const ckBefore = readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8');
  const model = await loadModel(dir);
  const [name, v] = [...model.params][1];
  v.assign(tf.fill(v.shape, Infinity));
  await assert.rejects(saveModel(model, dir, info), { name: 'NonFiniteWeightsError', message: new RegExp(`not saving the model: ${name} has non-finite values \\(Infinity at index 0`) });
  assert.throws(() => saveCheckpoint(dir, model, [], { ...progress, step: 99 }), /not saving the checkpoint/);
  const after = readdirSync(dir).map((f) => [f, existsSync(join(dir, f)) && f.endsWith('.json') || f.endsWith('.bin') ? readFileSync(join(dir, f)).toString('base64') : '']);
  assert.deepEqual(after, before);
  assert.equal(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8'), ckBefore);
  model.dispose();
});

test('*.tmp files a kill left are removed on the next save and on load; a live writer\'s are kept', async () => {
  const dir = await folder('tmp');
  const dead = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
  const stale = [join(dir, `.weights.bin.${dead}.abc123.tmp`), join(dir, 'checkpoint', `.state.json.${dead}.x9.tmp`)];
  const live = join(dir, `.config.json.${process.ppid}.live.tmp`);
  for (const f of [...stale, live]) writeFileSync(f, 'partial');
  (await loadModel(dir)).dispose();
  assert.equal(existsSync(stale[0]), false);
  assert.equal(existsSync(stale[1]), false, 'loading the model also clears the checkpoint folder');
  assert.equal(existsSync(live), true, 'a running process may still be writing it');
  writeFileSync(stale[1], 'partial again');
  loadCheckpoint(dir).model.dispose();
  assert.equal(existsSync(stale[1]), false);
  writeFileSync(stale[0], 'partial again');
  const model = await tinyModel();
  saveModelMeta(model, dir, info);
  assert.equal(existsSync(stale[0]), false);
  model.dispose();
});

test('a folder where training saved nothing yet says so', async () => {
  const dir = join(root, 'early');
  mkdirSync(dir);
  const partial = join(dir, `.config.json.${2 ** 22 + 1}.x.tmp`);
  writeFileSync(partial, '{"formatV');
  await assert.rejects(loadModel(dir), { message: `${dir}: nothing was saved yet: a training run stopped here before writing its configuration` });
  assert.equal(existsSync(partial), false, 'the dead writer\'s temporary is gone even though nothing loaded');
  const model = await tinyModel();
  saveModelMeta(model, dir, info);
  // Killed between the tokenisers and the configuration (the kill tier found this window).
  const config = readFileSync(join(dir, 'config.json'));
  rmSync(join(dir, 'config.json'));
  await assert.rejects(loadModel(dir), { message: `${dir}: nothing was saved yet: a training run stopped here before writing its configuration` });
  writeFileSync(join(dir, 'config.json'), config);
  await assert.rejects(loadModel(dir), { message: `${dir}: nothing was saved yet: training started here but stopped (or is still running) before its first save.` });
  saveCheckpoint(dir, model, [], progress);
  await assert.rejects(loadModel(dir), /nothing was saved yet as a model; only a training checkpoint exists\. Resume the training/);
  model.dispose();
});
