/**
 * Tune Model in the real extension (the `vscode` stand-in, the real training worker): the tune runs
 * one trial at a time on the training process, the panel gets its events as they come, the best
 * trial becomes a model in the models folder and the active one; training waits while a tune runs;
 * a name that would lead outside is refused.
 */
import { commands, setSetting, ui } from '../helpers/vscodeStandIn';
import { startExtension, until, type ExtensionHost } from '../helpers/extensionHost';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TuneEvent } from '../../src/model/training/tuneEvents';
import { reversePairs } from '../helpers/tinyModel';

const WORKER = resolve(__dirname, '..', '..', 'dist', 'worker.js');

test('Tune Model: trials arrive in the panel, the best becomes the active model', { timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(WORKER), `${WORKER} is built (npm run build)`);
  const root = mkdtempSync(join(tmpdir(), 'seq2seq-tune-command-'));
  const models = join(root, 'models');
  const data = join(root, 'reverse.tsv');
  writeFileSync(data, reversePairs(300, 4).join('\n') + '\n');
  setSetting('seq2seq.modelsDirectory', models);
  ui.answers = {};
  let host: ExtensionHost | null = null;
  t.after(() => { host?.dispose(); rmSync(root, { recursive: true, force: true }); });
  host = await startExtension(join(root, 'storage'));
  const panel = host.panel;
  const tuneEvents = () => panel.ofType('tune-event').map((m) => m.event as TuneEvent);

  await t.test('a tune name that leads outside is refused before anything runs', async () => {
    ui.asked.length = 0;
    await commands.executeCommand('seq2seq.tuneModel', { dataFile: data, minutes: 1, name: '../escape' });
    assert.ok(ui.asked.some((a) => a.kind === 'error' && /Use letters, digits/.test(a.message)), JSON.stringify(ui.asked));
    assert.equal(existsSync(join(root, 'storage', 'escape')), false);
    assert.equal((await host!.state()).workers.train.running, false);
  });

  await t.test('the tune runs on the training process; the panel sees each trial; the best is the active model', async () => {
    const started = commands.executeCommand('seq2seq.tuneModel', { dataFile: data, minutes: 1, name: 'reverse-tuned', wait: true }) as Promise<{ done: { model: string; best: { id: string } } }>;
    await until('the tune is running', async () => ((await host!.state()) as unknown as { tuning: unknown }).tuning);
    // Training waits for the training process: it says why.
    await panel.send({ type: 'start-training', dataFile: '<sample>', name: 'meanwhile', preset: 'fast', settings: {} });
    assert.match(String(panel.ofType('error').pop()?.message), /the tune "reverse-tuned" is running/);
    const result = await started;
    assert.ok(result?.done, 'the tune ended');
    const evs = tuneEvents();
    assert.equal(evs[0].kind, 'tune-start');
    assert.equal(evs.at(-1)!.kind, 'tune-end');
    const ended = evs.filter((e) => e.kind === 'trial' && e.change === 'end').map((e) => (e as Extract<TuneEvent, { kind: 'trial' }>).trial.id);
    assert.ok(ended.length >= 3, `trials arrived one by one: ${ended.join(', ')}`);
    assert.equal(result.done.model, 'reverse-tuned');
    const s = await host!.state();
    assert.equal(s.activeModel, 'reverse-tuned');
    assert.ok(existsSync(join(models, 'reverse-tuned', 'model.json')), 'the best trial is a model in the models folder');
    const end = evs.at(-1) as Extract<TuneEvent, { kind: 'tune-end' }>;
    assert.ok(readFileSync(join(models, 'reverse-tuned', 'weights.bin')).equals(readFileSync(join(end.dir, 'trials', end.best!.id, 'weights.bin'))), 'it is the best trial');
    assert.equal(panel.ofType('models').at(-1)?.activeModel, 'reverse-tuned');
    // The panel's state carries the tune, for a panel opened later.
    await panel.send({ type: 'ready' });
    const state = panel.ofType('state').pop()?.state as { tune: { running: boolean; name: string; events: TuneEvent[] } };
    assert.equal(state.tune.running, false);
    assert.equal(state.tune.name, 'reverse-tuned');
    assert.equal(state.tune.events.at(-1)!.kind, 'tune-end');
  });
});
