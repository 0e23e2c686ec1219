/**
 * The panel's Start runs the same path as the Train Model command: the task follows from the file
 * (plain text trains a generator), the `seq2seq.training.overrides` setting applies, a bad setting is
 * reported by name, and a run into an existing model asks first with a modal. Driven through the
 * real extension (the `vscode` stand-in) and the real training worker.
 */
import { setSetting, ui } from '../helpers/vscodeStandIn';
import { startExtension, until, type ExtensionHost } from '../helpers/extensionHost';
import { fileTree } from '../helpers/fileTree';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrainEndEvent, TrainStartEvent } from '../../src/model/training/events';

const WORKER = resolve(__dirname, '..', '..', 'dist', 'worker.js');
const TINY = {
  model: { hidden: 16, emb: 8, layers: 1, bidirectional: false, attention: 'none', dropout: 0 },
  train: { epochs: 1, batch: 32, logEvery: 5 },
};

/** Plain prose, one sentence a line, no tabs: text to generate from. */
function notes(dir: string): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'to', 'park', 'in', 'sun'];
  let seed = 5;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lines = Array.from({ length: 300 }, () => Array.from({ length: 4 + Math.floor(rand() * 5) }, () => words[Math.floor(rand() * words.length)]).join(' '));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'notes.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('the panel\'s Start is the Train Model command\'s path', { timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(WORKER), `${WORKER} is built (npm run build)`);
  const root = mkdtempSync(join(tmpdir(), 'seq2seq-panel-start-'));
  const models = join(root, 'models');
  setSetting('seq2seq.modelsDirectory', models);
  let host: ExtensionHost | null = null;
  t.after(() => { host?.dispose(); rmSync(root, { recursive: true, force: true }); });
  host = await startExtension(join(root, 'storage'));
  const panel = host.panel;
  const events = () => panel.ofType('train-event').map((m) => m.event as TrainStartEvent | TrainEndEvent);
  /** The end (or start) events of the runs of one model, in order. */
  const endsOf = (name: string) => events().filter((e): e is TrainEndEvent => e.kind === 'end' && e.modelDir === join(models, name));
  /** No run left from an earlier step (each step stands on its own, also where an earlier one failed). */
  const noRun = async () => {
    if ((await host!.state()).training) await panel.send({ type: 'stop-training' });
    await until('no run', async () => (await host!.state()).training === null);
  };
  const startOf = (name: string) => events().find((e): e is TrainStartEvent => e.kind === 'start' && e.modelDir === join(models, name));

  await t.test('a bad seq2seq.training.overrides setting is reported naming it, and nothing starts', async () => {
    setSetting('seq2seq.training.overrides', { train: { epochs: '32' } });
    await panel.send({ type: 'start-training', dataFile: '<sample>', name: 'bad-setting', preset: 'fast', settings: {} });
    const error = panel.ofType('error').pop();
    assert.match(String(error?.message), /seq2seq\.training\.overrides\.train\.epochs" must be a number \(got the string "32"\)/);
    assert.equal((await host!.state()).training, null);
  });

  await t.test('a plain-text file picked in the panel trains a generator', async () => {
    await noRun();
    setSetting('seq2seq.training.overrides', TINY);
    const file = notes(join(root, 'data'));
    ui.answers = { quickPick: (_, items) => items.find((i) => i.label.includes('A file')), openDialog: () => [file] };
    await panel.send({ type: 'pick-data-file' });
    assert.equal(panel.ofType('data-file')[0]?.path, file, 'the panel is told the file the user picked');
    await panel.send({ type: 'start-training', dataFile: file, name: 'notes-gen', preset: 'fast', settings: {} });
    const end = await until('the run to end', () => endsOf('notes-gen')[0]);
    assert.equal(end.reason, 'completed', end.error);
    const config = JSON.parse(readFileSync(join(models, 'notes-gen', 'config.json'), 'utf8')) as { task: string };
    assert.equal(config.task, 'generate', 'plain text trains a generator');
  });

  await t.test('a folder picked in the panel trains a generator of its text', async () => {
    await noRun();
    setSetting('seq2seq.training.overrides', TINY);
    const dir = join(root, 'folder');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (let f = 0; f < 3; f++) writeFileSync(join(dir, f ? 'sub' : '', `n${f}.md`), Array.from({ length: 30 }, (_, i) => `- note ${i}\n  kept ${f}\n`).join(''));
    ui.answers = { quickPick: (_, items) => items.find((i) => i.label.includes('A folder')), openDialog: (asked) => (/folder/.test(asked.message) ? [dir] : undefined) };
    await panel.send({ type: 'pick-data-file' });
    assert.equal(panel.ofType('data-file').pop()?.path, dir, 'the panel is told the folder the user picked');
    await panel.send({ type: 'start-training', dataFile: dir, name: 'folder-gen', preset: 'fast', settings: {} });
    const end = await until('the run to end', () => endsOf('folder-gen')[0]);
    assert.equal(end.reason, 'completed', end.error);
    const config = JSON.parse(readFileSync(join(models, 'folder-gen', 'config.json'), 'utf8')) as { task: string };
    assert.equal(config.task, 'generate', 'a folder trains a generator');
  });

  await t.test('the seq2seq.training.overrides setting applies on top of the panel\'s preset', async () => {
    await noRun();
    await panel.send({ type: 'start-training', dataFile: '<sample>', name: 'with-overrides', preset: 'fast', settings: {} });
    const end = await until('the run to end', () => endsOf('with-overrides')[0]);
    assert.equal(end.reason, 'completed', end.error);
    const start = startOf('with-overrides');
    assert.equal(start?.settings.model.hidden, 16);
    assert.equal(start?.settings.train.epochs, 1);
  });

  await t.test('a run into an existing model asks first; No keeps it untouched, Replace trains', async () => {
    await noRun();
    const dir = join(models, 'g2p-sample');
    assert.ok(existsSync(join(dir, 'model.json')), 'the sample model is installed');
    const before = fileTree(dir);
    ui.asked.length = 0;
    ui.answers = { message: () => undefined }; // the user closes the question
    await panel.send({ type: 'start-training', dataFile: '<sample>', name: 'g2p-sample', preset: 'fast', settings: {} });
    const asked = ui.asked.find((a) => a.kind === 'warning');
    assert.ok(asked?.modal, `a modal question was asked: ${JSON.stringify(ui.asked)}`);
    assert.match(asked.message, /Replace the model "g2p-sample"\?/);
    assert.deepEqual(asked.items, ['Replace']);
    assert.equal((await host!.state()).training, null, 'nothing started');
    assert.deepEqual(fileTree(dir), before, 'the model is untouched');
    assert.match(String(panel.ofType('error').pop()?.message), /Not started: the model "g2p-sample" was kept/);

    ui.answers = { message: (a) => (a.items.includes('Replace') ? 'Replace' : undefined) };
    await panel.send({ type: 'start-training', dataFile: '<sample>', name: 'g2p-sample', preset: 'fast', settings: {} });
    assert.equal((await host!.state()).training?.model, 'g2p-sample', 'Replace starts the run');
    const end = await until('the replacing run to end', () => endsOf('g2p-sample')[0]);
    assert.equal(end.reason, 'completed', end.error);
  });
});
