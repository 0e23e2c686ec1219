/**
 * API-level tests that run INSIDE a real VS Code (code-server's extension host), loaded through
 * VS Code's extension test runner (`extensionTestsPath`). They call the extension's commands and
 * check editors, files and state. Results go to the file named by SEQ2SEQ_E2E_RESULTS and to the
 * console; a failure makes `run()` reject, which exits the extension host with code 1.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

interface Result { name: string; ok: boolean; ms: number; error?: string; notes?: Record<string, unknown> }

const EXT_ID = 'seq2seq-studio.seq2seq-studio';
const results: Result[] = [];
let notes: Record<string, unknown> = {};

type State = {
  activeModel: string | null; modelsDir: string; backend: string | null;
  training: { model: string; stopping: boolean; progress: { epoch: number; epochs: number; loss: number | null } | null } | null;
  workers: { train: { running: boolean; pid: number | null }; run: { running: boolean; pid: number | null } };
};
const state = async () => (await vscode.commands.executeCommand('seq2seq.getState')) as State;

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tinyData(dir: string, lines = 400): string {
  // The "reverse" toy task: a few letters and the same letters backwards.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 3 + Math.floor(rand() * 4);
    const w = Array.from({ length: n }, () => 'abcdefgh'[Math.floor(rand() * 8)]).join('');
    out.push(`${w}\t${[...w].reverse().join('')}`);
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'reverse.tsv');
  writeFileSync(file, out.join('\n') + '\n');
  return file;
}

const TINY = { model: { hidden: 32, emb: 16, layers: 1, bidirectional: false, attention: 'luong', dropout: 0 }, train: { epochs: 2, batch: 32, logEvery: 2 } };

async function openEditor(text: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
  return vscode.window.showTextDocument(doc);
}

const tests: [string, () => Promise<void>][] = [
  ['activates without loading TensorFlow or starting a worker', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, 'extension is installed');
    const api = (await ext.activate()) as { activationMs: number };
    notes.activationMs = Math.round(api.activationMs * 10) / 10;
    notes.sampleModel = (await state()).activeModel;
    assert.ok(api.activationMs < 500, `activation took ${api.activationMs} ms`);
    const s = await state();
    assert.equal(s.workers.train.running, false, 'no training worker at activation');
    assert.equal(s.workers.run.running, false, 'no model worker at activation');
    const loaded = Object.keys(require.cache).filter((k) => /tfjs|tensorflow/i.test(k));
    assert.deepEqual(loaded, [], 'no TensorFlow module in the extension host');
    // The extension is one bundle: TF.js would be inside it, so look there too.
    const bundle = readFileSync(join(ext.extensionPath, 'dist', 'extension.js'), 'utf8');
    assert.ok(!bundle.includes('registerKernel'), 'no TF.js code in dist/extension.js');
    notes.extensionBundleKB = Math.round(bundle.length / 1024);
    const cmds = await vscode.commands.getCommands(true);
    for (const id of ['seq2seq.trainModel', 'seq2seq.trainOnFile', 'seq2seq.trainOnFolder', 'seq2seq.stopTraining', 'seq2seq.resumeTraining', 'seq2seq.translateSelection',
      'seq2seq.generateText', 'seq2seq.loadModel', 'seq2seq.exportModel', 'seq2seq.deleteModel', 'seq2seq.selectModel', 'seq2seq.showTrainingPanel', 'seq2seq.showLogs', 'seq2seq.exportTrainingJob']) {
      assert.ok(cmds.includes(id), `command ${id} is registered`);
    }
  }],

  ['trains a tiny model, stops it at once, and resumes it to the end', async () => {
    const data = tinyData(join(process.env.SEQ2SEQ_E2E_DIR ?? '/tmp', 'data'), 800);
    const started = (await vscode.commands.executeCommand('seq2seq.trainModel', { dataFile: data, name: 'tiny', preset: 'fast', settings: { ...TINY, train: { ...TINY.train, epochs: 4 } } })) as { name: string; modelDir: string };
    assert.equal(started.name, 'tiny');
    await until('training progress', async () => (await state()).training?.progress?.loss != null);
    const s = await state();
    assert.ok(s.workers.train.running, 'training worker forked on first need');
    notes.backend = s.backend;
    // Stop during epoch 2, after the checkpoint of epoch 1, so there is something to resume from.
    await until('a checkpoint', () => existsSync(join(started.modelDir, 'checkpoint', 'state.json')), 180_000);
    await until('epoch 2', async () => ((await state()).training?.progress?.epoch ?? 0) >= 2, 60_000);
    const t0 = Date.now();
    await vscode.commands.executeCommand('seq2seq.stopTraining');
    await until('training to stop', async () => (await state()).training === null, 30_000);
    notes.stopMs = Date.now() - t0;
    const resumed = (await vscode.commands.executeCommand('seq2seq.resumeTraining', { name: 'tiny', wait: true })) as { done: { reason: string; epochs: number } };
    assert.ok(resumed?.done, 'resume ran');
    assert.notEqual(resumed.done.reason, 'error', JSON.stringify(resumed.done));
  }],

  ['a killed training worker leaves a resumable checkpoint, and training resumes', async () => {
    const data = tinyData(join(process.env.SEQ2SEQ_E2E_DIR ?? '/tmp', 'data2'), 600);
    const started = (await vscode.commands.executeCommand('seq2seq.trainModel', { dataFile: data, name: 'killed', preset: 'fast', settings: { ...TINY, train: { ...TINY.train, epochs: 50 } } })) as { modelDir: string };
    await until('a checkpoint', () => existsSync(join(started.modelDir, 'checkpoint', 'state.json')), 180_000);
    const pid = (await state()).workers.train.pid;
    assert.ok(pid, 'training worker pid');
    process.kill(pid, 'SIGKILL');
    await until('the training to end', async () => (await state()).training === null, 30_000);
    const s = await state();
    assert.equal(s.workers.train.running, false, 'dead worker is not reused');
    assert.ok(existsSync(join(started.modelDir, 'model.json')), 'a saved model is left behind');
    // The model left behind is loadable: translate with it.
    await vscode.commands.executeCommand('seq2seq.selectModel', { name: 'killed' });
    const editor = await openEditor('abc');
    editor.selection = new vscode.Selection(0, 0, 0, 3);
    const tr = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { inputs: number; placement: string };
    assert.equal(tr?.placement, 'replace');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const resumed = (await vscode.commands.executeCommand('seq2seq.resumeTraining', { name: 'killed', wait: false })) as { name: string };
    assert.equal(resumed?.name, 'killed');
    await until('resumed training progress', async () => (await state()).training?.progress?.loss != null, 120_000);
    assert.ok((await state()).workers.train.pid !== pid, 'a new worker process');
    await vscode.commands.executeCommand('seq2seq.stopTraining');
    await until('training to stop', async () => (await state()).training === null, 30_000);
  }],

  ['Translate Selection replaces each selected line; one undo restores it', async () => {
    const s = await state();
    assert.ok(s.activeModel, 'there is an active model');
    notes.activeModel = s.activeModel;
    const original = 'hello\nworld\n  cat';
    const editor = await openEditor(original);
    editor.selection = new vscode.Selection(0, 0, 2, 5);
    const r = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { inputs: number; placement: string; ms: number };
    assert.equal(r.inputs, 3);
    assert.equal(r.placement, 'replace');
    notes.translate3LinesMs = r.ms;
    const text = editor.document.getText();
    assert.notEqual(text, original);
    const lines = text.split('\n');
    assert.equal(lines.length, 3, text);
    assert.ok(lines[2]!.startsWith('  '), 'indentation kept');
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original, 'one undo restores the original');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }],

  ['multi-cursor selections are translated in one batch; "below" placement keeps the source', async () => {
    const editor = await openEditor('one\ntwo\nthree');
    editor.selections = [new vscode.Selection(0, 0, 0, 3), new vscode.Selection(2, 0, 2, 5)];
    let r = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { inputs: number };
    assert.equal(r.inputs, 2);
    let lines = editor.document.getText().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[1], 'two', 'unselected line untouched');
    assert.notEqual(lines[0], 'one');
    await vscode.commands.executeCommand('undo');
    await vscode.workspace.getConfiguration('seq2seq').update('translation.output', 'below', vscode.ConfigurationTarget.Global);
    try {
      editor.selections = [new vscode.Selection(0, 0, 0, 3), new vscode.Selection(2, 0, 2, 5)];
      r = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { inputs: number };
      lines = editor.document.getText().split('\n');
      assert.equal(lines.length, 5, editor.document.getText());
      assert.equal(lines[0], 'one');
      assert.equal(lines[2], 'two');
      assert.equal(lines[3], 'three');
    } finally {
      await vscode.workspace.getConfiguration('seq2seq').update('translation.output', undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }],

  ['translates while a model trains', async () => {
    const data = tinyData(join(process.env.SEQ2SEQ_E2E_DIR ?? '/tmp', 'data3'));
    await vscode.commands.executeCommand('seq2seq.trainModel', { dataFile: data, name: 'busy', preset: 'fast', settings: { ...TINY, train: { ...TINY.train, epochs: 50 } } });
    await until('training progress', async () => (await state()).training?.progress?.loss != null);
    const editor = await openEditor('table');
    editor.selection = new vscode.Selection(0, 0, 0, 5);
    const t0 = Date.now();
    const r = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { inputs: number };
    notes.translateWhileTrainingMs = Date.now() - t0;
    assert.equal(r.inputs, 1);
    assert.notEqual(editor.document.getText(), 'table');
    assert.ok((await state()).training, 'training still running');
    await vscode.commands.executeCommand('seq2seq.stopTraining');
    await until('training to stop', async () => (await state()).training === null, 30_000);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }],

  ['a 5,000-line selection is translated in one request', async () => {
    const bundled = (await state()).activeModel;
    const words = ['alpha', 'window', 'garden', 'teacher', 'mountain'];
    const text = Array.from({ length: 5000 }, (_, i) => words[i % 5]! + String.fromCharCode(97 + (i % 26))).join('\n');
    const editor = await openEditor(text);
    editor.selection = new vscode.Selection(0, 0, 4999, editor.document.lineAt(4999).text.length);
    const r = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { inputs: number; ms: number };
    assert.equal(r.inputs, 5000);
    notes.model = bundled;
    notes.translate5000LinesMs = r.ms;
    assert.equal(editor.document.lineCount, 5000);
    assert.notEqual(editor.document.lineAt(0).text, 'alphaa');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }],

  ['Generate Text inserts what the model produces after the cursor', async () => {
    const editor = await openEditor('abc');
    editor.selection = new vscode.Selection(0, 3, 0, 3);
    const r = (await vscode.commands.executeCommand('seq2seq.generateText')) as { text: string; cancelled: boolean; ms: number };
    assert.equal(r.cancelled, false);
    assert.equal(editor.document.getText(), `abc${r.text}`, 'the streamed chunks are exactly what was inserted');
    notes.generated = r.text.slice(0, 40);
    notes.generateMs = r.ms;
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }],

  ['Train Model on a folder trains a generation model of its text (the task follows from the folder)', async () => {
    const dir = join(process.env.SEQ2SEQ_E2E_DIR ?? '/tmp', 'notes');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (let f = 0; f < 4; f++) writeFileSync(join(dir, f % 2 ? 'sub' : '', `n${f}.md`), Array.from({ length: 30 }, (_, i) => `- item ${i}\n  indented ${f}\n`).join(''));
    const done = (await vscode.commands.executeCommand('seq2seq.trainModel', {
      dataFile: dir, name: 'notes', preset: 'fast', wait: true,
      settings: { ...TINY, train: { ...TINY.train, epochs: 1, window: 16, chunk: 16 } },
    })) as { modelDir: string; done: { reason: string } };
    assert.notEqual(done.done.reason, 'error', JSON.stringify(done.done));
    const config = JSON.parse(readFileSync(join(done.modelDir, 'config.json'), 'utf8')) as { task: string; trainPairs: number };
    assert.equal(config.task, 'generate', 'a folder is text to generate from');
    assert.ok(config.trainPairs > 0, 'windows of the folder\'s files');
  }],

  ['a changed backend setting applies to the next request without a reload', async () => {
    const config = vscode.workspace.getConfiguration('seq2seq');
    await config.update('backend', 'cpu', vscode.ConfigurationTarget.Global);
    try {
      const editor = await openEditor('cat');
      editor.selection = new vscode.Selection(0, 0, 0, 3);
      const r = (await vscode.commands.executeCommand('seq2seq.translateSelection')) as { placement: string } | undefined;
      assert.equal(r?.placement, 'replace', `translated (${JSON.stringify(r)}): "${editor.document.getText()}"`);
      const s = await state();
      assert.equal(s.backend, 'cpu', 'the idle model process restarted on the cpu backend');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      await config.update('backend', undefined, vscode.ConfigurationTarget.Global);
    }
  }],

  ['Select Active Model, Export Model and Delete Model work on folders', async () => {
    assert.equal(await vscode.commands.executeCommand('seq2seq.selectModel', { name: 'tiny' }), 'tiny');
    assert.equal((await state()).activeModel, 'tiny');
    const dest = join(process.env.SEQ2SEQ_E2E_DIR ?? '/tmp', 'exported');
    mkdirSync(dest, { recursive: true });
    const out = (await vscode.commands.executeCommand('seq2seq.exportModel', { name: 'tiny', folder: dest })) as string;
    assert.ok(existsSync(join(out, 'model.json')), 'exported model.json');
    const loaded = (await vscode.commands.executeCommand('seq2seq.loadModel', { folder: out, name: 'tiny-copy' })) as { name: string };
    assert.equal(loaded.name, 'tiny-copy');
    assert.equal((await state()).activeModel, 'tiny-copy');
    assert.equal(await vscode.commands.executeCommand('seq2seq.deleteModel', { name: 'tiny-copy', confirm: false }), true);
    assert.notEqual((await state()).activeModel, 'tiny-copy');
  }],

  ['Export Training Job writes a job for PyTorch DDP; a name leaving its folder is refused', async () => {
    const base = process.env.SEQ2SEQ_E2E_DIR ?? '/tmp';
    const data = tinyData(join(base, 'data'), 800);
    const folder = join(base, 'jobs');
    mkdirSync(folder, { recursive: true });
    const r = (await vscode.commands.executeCommand('seq2seq.exportTrainingJob', { dataFile: data, preset: 'fast', folder, name: 'tiny-job', settings: TINY })) as { dir: string; trainPairs: number };
    assert.equal(r.dir, join(folder, 'tiny-job'));
    for (const f of ['job.json', 'tokenizers.json', 'train.jsonl', 'README.md']) assert.ok(existsSync(join(r.dir, f)), f);
    assert.ok(r.trainPairs > 700, `${r.trainPairs} training pairs`);
    const refused = await vscode.commands.executeCommand('seq2seq.exportTrainingJob', { dataFile: data, preset: 'fast', folder, name: '../outside' });
    assert.equal(refused, undefined);
    assert.ok(!existsSync(join(base, 'outside')), 'nothing written outside the chosen folder');
  }],
];

export async function run(): Promise<void> {
  for (const [name, fn] of tests) {
    const t0 = Date.now();
    notes = {};
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0, notes });
      console.log(`ok - ${name} (${Date.now() - t0} ms) ${JSON.stringify(notes)}`);
    } catch (err) {
      results.push({ name, ok: false, ms: Date.now() - t0, error: (err as Error).stack ?? String(err), notes });
      console.log(`not ok - ${name}: ${(err as Error).message}`);
    }
    if (process.env.SEQ2SEQ_E2E_RESULTS) writeFileSync(process.env.SEQ2SEQ_E2E_RESULTS, JSON.stringify(results, null, 2));
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length) throw new Error(`${failed.length} of ${results.length} extension tests failed: ${failed.map((f) => f.name).join('; ')}`);
}
