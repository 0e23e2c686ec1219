/**
 * The worker process driven over its real IPC, through the same client the extension uses:
 * dist/worker.js is forked (`npm test` builds it first), asked for its info, trains a tiny model
 * on generated data, is cancelled mid-training, resumes, translates (also while training), streams
 * generated text, rejects malformed requests, and a killed worker is reported and replaced.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fork } from 'node:child_process';
import type { TrainEvent } from '../../src/model/training/events';
import { parseWorkerMessage } from '../../src/protocol/worker';
import { WorkerClient, WorkerError, type Logger, type WorkerExit } from '../../src/extension/workerClient';

const WORKER = resolve(__dirname, '..', '..', 'dist', 'worker.js');
const logs: string[] = [];
const log: Logger = {
  trace: (m) => logs.push(`trace ${m}`), debug: (m) => logs.push(`debug ${m}`), info: (m) => logs.push(`info ${m}`),
  warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`),
};
const TINY = { model: { hidden: 32, emb: 16, layers: 1, bidirectional: false, attention: 'luong' as const, dropout: 0 }, train: { epochs: 2, batch: 32, logEvery: 1 } };

function reverseData(dir: string, lines: number): string {
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const w = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => 'abcdefgh'[Math.floor(rand() * 8)]).join('');
    out.push(`${w}\t${[...w].reverse().join('')}`);
  }
  const file = join(dir, 'reverse.tsv');
  writeFileSync(file, out.join('\n') + '\n');
  return file;
}

test('worker process over real IPC', { timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(WORKER), `${WORKER} is built (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-worker-'));
  const exits: WorkerExit[] = [];
  const client = new WorkerClient({ script: WORKER, role: 'test', backend: () => 'auto', log, onExit: (e) => exits.push(e) });
  t.after(() => { client.dispose(); rmSync(dir, { recursive: true, force: true }); });
  const data = reverseData(dir, 600);
  const modelDir = join(dir, 'model');

  await t.test('info names the backend, TF.js version and Node', async () => {
    assert.equal(client.running, false, 'not forked before the first request');
    const info = await client.request({ type: 'info' });
    assert.ok(client.running);
    assert.equal(info.pid, client.pid);
    assert.match(info.backend, /^(tensorflow|wasm|cpu)$/);
    assert.match(info.tfjsVersion, /^\d+\.\d+\.\d+/);
    assert.equal(info.node, process.version);
  });

  await t.test('malformed requests get a protocol error naming the field, what was expected and what came', async () => {
    const child = fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    try {
      const replies = new Map<string, unknown>();
      const got = new Promise<void>((res) => {
        child.on('message', (m) => {
          const msg = parseWorkerMessage(m);
          if (msg.type === 'error') replies.set(msg.id, msg);
          if (replies.size === 2) res();
        });
      });
      child.send({ type: 'translate', id: 'bad-1', modelDir: 42, inputs: [] });
      // A string where a number belongs is refused here, before the engine could read it as a number.
      child.send({ type: 'train', id: 'bad-2', dataFile: data, modelDir, resume: false, settings: { train: { epochs: '32' } } });
      await got;
      assert.deepEqual(replies.get('bad-1'), { type: 'error', id: 'bad-1', message: 'invalid request: field "modelDir" must be a string (got the number 42)', code: 'protocol' });
      assert.deepEqual(replies.get('bad-2'), {
        type: 'error', id: 'bad-2', message: 'invalid request: field "settings.train.epochs" must be a number (got the string "32")', code: 'protocol',
      });
    } finally {
      child.kill();
    }
  });

  await t.test('training streams events, is cancelled between batches, and resumes from its checkpoint', async () => {
    const events: TrainEvent[] = [];
    const controller = new AbortController();
    const end = await client.request(
      { type: 'train', dataFile: data, modelDir, preset: 'fast', settings: { ...TINY, train: { ...TINY.train, epochs: 30 } }, resume: false },
      { onTrainEvent: (e) => {
        events.push(e);
        // Cancel once the first epoch is checkpointed.
        if (e.kind === 'epoch' && e.checkpointSaved) controller.abort();
      } },
      controller.signal,
    ).catch((err: unknown) => err);
    assert.equal(events[0]?.kind, 'start');
    assert.ok(events.some((e) => e.kind === 'step'), 'step events');
    const epochs = events.filter((e) => e.kind === 'epoch');
    assert.ok(epochs.length >= 1 && epochs.length < 30, `stopped early (after ${epochs.length} epochs)`);
    // Either the engine ends the run with reason "stopped", or the request is rejected as cancelled.
    if (end instanceof WorkerError) assert.equal(end.code, 'cancelled');
    else assert.equal((end as { reason: string }).reason, 'stopped');
    assert.ok(existsSync(join(modelDir, 'checkpoint', 'state.json')), 'checkpoint written');

    const resumedEvents: TrainEvent[] = [];
    const resumed = await client.request(
      { type: 'train', dataFile: data, modelDir, preset: 'fast', settings: { ...TINY, train: { ...TINY.train, epochs: epochs.length + 1 } }, resume: true },
      { onTrainEvent: (e) => resumedEvents.push(e) },
    );
    const start = resumedEvents[0];
    assert.ok(start?.kind === 'start' && start.resumedFrom, 'start event says where it resumed from');
    assert.notEqual(resumed.reason, 'error', resumed.error);
    assert.ok(existsSync(join(modelDir, 'model.json')), 'a loadable model is saved');
  });

  await t.test('profile measures a data file as the presets do', async () => {
    const profile = await client.request({ type: 'profile', dataFile: data });
    // 600 reversed words of 3-6 letters from an 8-letter alphabet: 8 letters + 4 special tokens per side.
    assert.deepEqual(profile, { pairs: 600, sourceVocab: 12, targetVocab: 12, sourceLen95: 6, targetLen95: 6 });
    await assert.rejects(client.request({ type: 'profile', dataFile: join(dir, 'missing.tsv') }), /cannot read the data file/);
  });

  await t.test('inspect reads the summary without loading the model', async () => {
    const summary = await client.request({ type: 'inspect', modelDir });
    assert.equal(summary.dir, modelDir);
    assert.ok(summary.complete);
  });

  await t.test('translate returns one hypothesis list per input, with progress', async () => {
    const progress: number[] = [];
    const inputs = ['abc', 'hgfe', 'dcba', ''];
    const { outputs } = await client.request({ type: 'translate', modelDir, inputs, decode: { strategy: 'greedy', maxLength: 12 } }, { onProgress: (done) => progress.push(done) });
    assert.equal(outputs.length, inputs.length);
    for (const o of outputs) assert.ok(o.length >= 1 && typeof o[0]!.text === 'string');
    assert.equal(progress[progress.length - 1], inputs.length);
  });

  await t.test('translate with attention: maps the client accepted, one row per output token (</s> included), and none unless asked', async () => {
    const inputs = ['abc', 'hgfe'];
    const { outputs } = await client.request({ type: 'translate', modelDir, inputs, decode: { strategy: 'beam', beamSize: 3, nBest: 2, maxLength: 12, attention: true } });
    outputs.forEach((hyps, i) => hyps.forEach((h) => {
      const a = h.attention!;
      assert.deepEqual(a.source, [...inputs[i]]);
      assert.ok(a.target.length >= h.tokens.length && a.weights.length === a.target.length);
    }));
    const plain = await client.request({ type: 'translate', modelDir, inputs, decode: { strategy: 'beam', beamSize: 3, nBest: 2, maxLength: 12 } });
    assert.ok(plain.outputs.flat().every((h) => h.attention === undefined));
    assert.deepEqual(plain.outputs.map((hs) => hs.map((h) => h.text)), outputs.map((hs) => hs.map((h) => h.text)));
  });

  await t.test('translating while training is answered before training ends', async () => {
    const controller = new AbortController();
    let trainEnded = false;
    let steps = 0;
    const training = client.request(
      { type: 'train', dataFile: data, modelDir: join(dir, 'model2'), preset: 'fast', settings: { ...TINY, train: { ...TINY.train, epochs: 30 } }, resume: false },
      { onTrainEvent: (e) => { if (e.kind === 'step') steps++; } }, controller.signal,
    ).finally(() => { trainEnded = true; });
    while (steps < 2) await new Promise((r) => setTimeout(r, 50));
    const { outputs } = await client.request({ type: 'translate', modelDir, inputs: ['abc'], decode: { maxLength: 12 } });
    assert.equal(outputs.length, 1);
    assert.equal(trainEnded, false, 'the translation did not wait for training to finish');
    controller.abort();
    await training.catch(() => undefined);
  });

  await t.test('a cancelled translation is rejected as cancelled', async () => {
    const controller = new AbortController();
    const inputs = Array.from({ length: 3000 }, (_, i) => 'abcdefgh'.slice(0, 3 + (i % 5)));
    const p = client.request({ type: 'translate', modelDir, inputs, decode: { maxLength: 12 } }, { onProgress: () => controller.abort() }, controller.signal);
    await assert.rejects(p, (err: unknown) => err instanceof WorkerError && err.code === 'cancelled');
  });

  await t.test('generate streams chunks that add up to the result', async () => {
    const chunks: string[] = [];
    const { text } = await client.request({ type: 'generate', modelDir, prompt: 'abc', decode: { seed: 1, temperature: 0.8 }, maxTokens: 8 }, { onChunk: (c) => chunks.push(c) });
    assert.equal(chunks.join(''), text);
  });

  await t.test('a changed backend preference restarts the idle worker; the next request is served by the new one', async () => {
    let pref: 'auto' | 'cpu' = 'auto';
    const own = new WorkerClient({ script: WORKER, role: 'backend', backend: () => pref, log });
    try {
      const first = await own.request({ type: 'info' });
      pref = 'cpu';
      const { outputs } = await own.request({ type: 'translate', modelDir, inputs: ['abc'], decode: { maxLength: 12 } });
      assert.equal(outputs.length, 1);
      const second = await own.request({ type: 'info' });
      assert.equal(second.backend, 'cpu');
      assert.notEqual(second.pid, first.pid);
    } finally {
      own.dispose();
    }
  });

  await t.test('a request right after stop() goes to a new process', async () => {
    const own = new WorkerClient({ script: WORKER, role: 'restart', backend: () => 'auto', log });
    try {
      const first = await own.request({ type: 'info' });
      own.stop();
      const second = await own.request({ type: 'info' });
      assert.notEqual(second.pid, first.pid);
    } finally {
      own.dispose();
    }
  });

  await t.test('a killed worker is reported in plain words and replaced on the next request', async () => {
    const pid = client.pid!;
    const pending = client.request({ type: 'translate', modelDir, inputs: Array.from({ length: 2000 }, () => 'abcdef'), decode: { maxLength: 12 } });
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, (err: unknown) => err instanceof WorkerError && err.code === 'worker-died' && /killed/.test(err.message));
    const exit = exits[exits.length - 1]!;
    assert.equal(exit.expected, false);
    assert.deepEqual(exit.interrupted, ['translate']);
    const info = await client.request({ type: 'info' });
    assert.notEqual(info.pid, pid, 'a new process');
  });
});
