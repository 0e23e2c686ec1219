/**
 * The training panel is untrusted web content. Each attack from issue 12 is sent as the panel's
 * message to the real extension (activated against the `vscode` stand-in, with the real model store,
 * model commands and workers), with the user answering yes to whatever is asked; nothing outside the
 * models folder may be read, written or deleted, and each message is refused naming its field.
 */
import { commands, setSetting, ui } from '../helpers/vscodeStandIn';
import { startExtension, type ExtensionHost } from '../helpers/extensionHost';
import { parseExtensionMessage } from '../../src/protocol/toWebview';
import { fileTree } from '../helpers/fileTree';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const WORKER = join(ROOT, 'dist', 'worker.js');

interface Scene { root: string; home: string; models: string; thesis: string; ssh: string; victim: string; secret: string; host: ExtensionHost }

/** A home folder with things worth stealing, the models folder inside it, and the extension running. */
async function scene(): Promise<Scene> {
  const root = mkdtempSync(join(tmpdir(), 'seq2seq-panel-attack-'));
  const home = join(root, 'home');
  const sc = {
    root, home, models: join(home, 'store', 'models'), thesis: join(home, 'Documents', 'thesis'), ssh: join(home, '.ssh'),
    victim: join(home, 'store', 'victim'), secret: join(home, 'secret.tsv'),
  };
  mkdirSync(sc.thesis, { recursive: true });
  writeFileSync(join(sc.thesis, 'chapter1.tex'), '\\chapter{Years of work}\n');
  mkdirSync(sc.ssh, { recursive: true });
  writeFileSync(join(sc.ssh, 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
  // A model folder outside the models folder: resuming into it would overwrite it.
  cpSync(join(ROOT, 'samples', 'model'), sc.victim, { recursive: true });
  // Parses as pairs: trained on, its lines would come back as the dev samples of each epoch.
  writeFileSync(sc.secret, Array.from({ length: 400 }, (_, i) => `account${i}\thunter2-${i}`).join('\n') + '\n');
  mkdirSync(join(root, 'out', 'x', 'exports'), { recursive: true });
  setSetting('seq2seq.modelsDirectory', sc.models);
  // The user says yes to everything: the protection must not depend on the user noticing.
  ui.asked.length = 0;
  ui.answers = {
    message: (a) => a.items.find((i) => ['Delete', 'Replace', 'Resume Training'].includes(i)),
    openDialog: () => [join(root, 'out', 'x', 'exports')],
    quickPick: (_a, items) => items.find((i) => /Sample data/.test(i.label)),
  };
  const host = await startExtension(join(root, 'storage'));
  assert.ok(existsSync(join(sc.models, 'g2p-sample', 'model.json')), 'the sample model is installed: the models folder is in use');
  return { ...sc, host };
}

/** Sends one message as the panel; then nothing outside changed, nothing trained, and the panel was told why. */
async function attack(message: (sc: Scene) => Record<string, unknown>, field: string): Promise<void> {
  const sc = await scene();
  const msg = message(sc);
  try {
    const homeBefore = fileTree(sc.home, [sc.models]);
    const outBefore = fileTree(join(sc.root, 'out'));
    await sc.host.panel.send(msg);
    assert.deepEqual(fileTree(sc.home, [sc.models]), homeBefore, 'no file outside the models folder was changed or deleted');
    assert.deepEqual(fileTree(join(sc.root, 'out')), outBefore, 'nothing was exported');
    const s = await sc.host.state();
    assert.equal(s.training, null, 'no training started');
    assert.equal(s.workers.train.running, false, 'the training process was not even started');
    assert.ok(!JSON.stringify(sc.host.panel.posted).includes('hunter2'), 'nothing of the secret file reached the panel');
    assert.deepEqual(ui.asked.map((a) => a.message), [], 'the user was not even asked');
    const error = sc.host.panel.ofType('error').pop();
    assert.ok(error, 'the panel is told that its message was refused');
    assert.match(String(error.message), new RegExp(`field "${field}"`));
    if (msg.type === 'start-training') assert.equal(existsSync(join(sc.models, String(msg.name))), false, 'no model folder was made');
  } finally {
    sc.host.dispose();
    rmSync(sc.root, { recursive: true, force: true });
  }
}

/** Runs a model command with a name that leads outside, as a script or another extension could. */
async function commandAttack(id: string, arg: (sc: Scene) => Record<string, unknown>): Promise<void> {
  const sc = await scene();
  try {
    const homeBefore = fileTree(sc.home, [sc.models]);
    const outBefore = fileTree(join(sc.root, 'out'));
    await commands.executeCommand(id, arg(sc));
    assert.deepEqual(fileTree(sc.home, [sc.models]), homeBefore, 'no file outside the models folder was changed or deleted');
    assert.deepEqual(fileTree(join(sc.root, 'out')), outBefore, 'nothing was exported');
    assert.equal((await sc.host.state()).training, null, 'no training started');
    const shown = ui.asked.filter((a) => a.kind === 'error').map((a) => a.message);
    assert.ok(shown.some((m) => /model name .* is not allowed|no model named/.test(m)), `the user is told why: ${JSON.stringify(shown)}`);
  } finally {
    sc.host.dispose();
    rmSync(sc.root, { recursive: true, force: true });
  }
}

test('the model commands check the name again where they build the path', { timeout: 300_000 }, async (t) => {
  await t.test('Delete Model', () => commandAttack('seq2seq.deleteModel', () => ({ name: '../../Documents/thesis' })));
  await t.test('Export Model', () => commandAttack('seq2seq.exportModel', (sc) => ({ name: '../../.ssh', folder: join(sc.root, 'out', 'x', 'exports') })));
  await t.test('Resume Training', () => commandAttack('seq2seq.resumeTraining', () => ({ name: '../victim' })));
});

test('the training panel cannot reach files outside the models folder', { timeout: 300_000 }, async (t) => {
  assert.ok(existsSync(WORKER), `${WORKER} is built (npm run build)`);

  await t.test('delete-model ../../Documents/thesis deletes nothing', async () => {
    await attack(() => ({ type: 'delete-model', model: '../../Documents/thesis' }), 'model');
  });

  await t.test('export-model ../../.ssh copies nothing', async () => {
    await attack(() => ({ type: 'export-model', model: '../../.ssh' }), 'model');
  });

  await t.test('resume-training ../victim writes nothing into a model folder outside', async () => {
    await attack(() => ({ type: 'resume-training', model: '../victim' }), 'model');
  });

  await t.test('start-training on a file the user never chose reads nothing (no profile, no dev samples)', async () => {
    await attack((sc) => ({ type: 'start-training', dataFile: sc.secret, name: 'stolen', preset: 'fast', settings: {} }), 'dataFile');
    await attack(() => ({ type: 'start-training', dataFile: '/proc/self/status', name: 'stolen', preset: 'fast', settings: {} }), 'dataFile');
  });
});

test('Compare reads only models in the models folder', { timeout: 300_000 }, async (t) => {
  await t.test('compare-models with ../victim reveals nothing of the folder outside', async () => {
    await attack(() => ({ type: 'compare-models', models: ['g2p-sample', '../victim'] }), 'models\\[1\\]');
    await attack(() => ({ type: 'compare-models', models: ['g2p-sample', 'g2p-sample'] }), 'models');
  });

  await t.test('two models in the folder: their settings, history and dev samples, read from their files', async () => {
    const sc = await scene();
    try {
      cpSync(join(sc.models, 'g2p-sample'), join(sc.models, 'g2p-copy'), { recursive: true });
      await sc.host.panel.send({ type: 'compare-models', models: ['g2p-copy', 'g2p-sample'] });
      const sent = sc.host.panel.ofType('comparison').pop();
      assert.ok(sent, `the panel got a comparison (errors: ${JSON.stringify(sc.host.panel.ofType('error'))})`);
      const runs = sent.runs as { name: string; history: unknown[]; settings: { model: { hidden: number } }; samples: unknown[] }[];
      const metrics = JSON.parse(readFileSync(join(ROOT, 'samples', 'model', 'metrics.json'), 'utf8')) as { history: unknown[] };
      const config = JSON.parse(readFileSync(join(ROOT, 'samples', 'model', 'config.json'), 'utf8')) as { settings: { model: { hidden: number } } };
      assert.deepEqual(runs.map((r) => r.name), ['g2p-copy', 'g2p-sample']);
      for (const r of runs) {
        assert.equal(r.history.length, metrics.history.length);
        assert.equal(r.settings.model.hidden, config.settings.model.hidden);
        assert.ok(r.samples.length > 0, 'the best epoch\'s dev samples');
      }
    } finally {
      sc.host.dispose();
      rmSync(sc.root, { recursive: true, force: true });
    }
  });
});

test('Try it asks for attention maps: the active model\'s answer carries maps the panel accepts, from the real run worker', { timeout: 300_000 }, async () => {
  const sc = await scene();
  try {
    await sc.host.panel.send({ type: 'try-translate', text: 'seq', nBest: 3 });
    const sent = sc.host.panel.ofType('try-result').pop();
    assert.ok(sent, `the panel got an answer (errors: ${JSON.stringify(sc.host.panel.ofType('error'))})`);
    const parsed = parseExtensionMessage(JSON.parse(JSON.stringify(sent)));
    assert.ok(parsed?.type === 'try-result');
    assert.equal(parsed.hypotheses.length, 3);
    for (const h of parsed.hypotheses) {
      assert.deepEqual(h.attention?.source, ['s', 'e', 'q'], 'each hypothesis has its map, columns the input letters');
      assert.equal(h.attention!.weights.length, h.attention!.target.length);
    }
  } finally {
    sc.host.dispose();
    rmSync(sc.root, { recursive: true, force: true });
  }
});
