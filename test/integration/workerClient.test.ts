/**
 * The extension's worker client against a worker that answers wrongly: a script in the worker's
 * place (the client is what is tested) sends malformed results, errors and progress. Each request
 * fails with a clear protocol error or succeeds with a checked value; none waits for ever, bad
 * progress never reaches the caller, and the client keeps serving the next request.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerClient, WorkerError, type Logger } from '../../src/extension/workerClient';

/** Answers each request type in its own wrong way. */
const MISBEHAVING_WORKER = `
process.on('message', (req) => {
  const reply = (m) => process.send(m);
  switch (req.type) {
    case 'info': reply({ type: 'result', id: req.id, result: { backend: 5, tfjsVersion: '4', pid: 1, node: 'v20' } }); break;
    case 'profile': reply({ type: 'error', id: req.id, message: 42 }); break;
    case 'inspect': reply({ type: 'result', id: req.id, result: { name: 'm' } }); break;
    case 'translate':
      reply({ type: 'translate-progress', id: req.id, done: 'half', total: 2 });
      reply({ type: 'translate-progress', id: req.id, done: 1, total: 2 });
      reply({ type: 'result', id: req.id, result: { outputs: [[{ text: 'x', tokens: ['x'], logProb: -1, score: -1 }]] } });
      break;
    case 'generate': reply({ type: 'result', id: req.id, result: { text: 'fine', stopped: 'max-tokens', tokens: 4 } }); break;
  }
});
`;

test('worker client: malformed replies fail their request clearly; nothing waits for ever', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-client-'));
  const script = join(dir, 'worker.js');
  writeFileSync(script, MISBEHAVING_WORKER);
  const errors: string[] = [];
  const log: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) };
  const client = new WorkerClient({ script, role: 'test', backend: () => 'auto', log });
  t.after(() => { client.dispose(); rmSync(dir, { recursive: true, force: true }); });

  await t.test('a result of the wrong shape is refused, naming the field', async () => {
    await assert.rejects(client.request({ type: 'info' }), (e: unknown) => {
      assert.ok(e instanceof WorkerError);
      assert.equal(e.code, 'protocol');
      assert.match(e.message, /invalid info result: field "result\.backend" must be a string \(got the number 5\)/);
      return true;
    });
    await assert.rejects(client.request({ type: 'inspect', modelDir: '/m' }), /invalid inspect result: field "result\.dir" must be a string \(got nothing\)/);
  });

  await t.test('a malformed error reply fails its request instead of leaving it waiting', { timeout: 10_000 }, async () => {
    await assert.rejects(client.request({ type: 'profile', dataFile: '/d.tsv' }), /invalid reply: field "message" must be a string \(got the number 42\)/);
  });

  await t.test('malformed progress is dropped and logged; the request still completes', async () => {
    const progress: unknown[] = [];
    const { outputs } = await client.request({ type: 'translate', modelDir: '/m', inputs: ['x'] }, { onProgress: (done, total) => progress.push([done, total]) });
    assert.deepEqual(progress, [[1, 2]]);
    assert.equal(outputs[0][0].text, 'x');
    assert.ok(errors.some((m) => /field "done" must be a number of at least 0 \(got the string "half"\)/.test(m)), errors.join('\n'));
  });

  await t.test('the client keeps serving', async () => {
    assert.deepEqual(await client.request({ type: 'generate', modelDir: '/m', prompt: 'p', maxTokens: 5 }), { text: 'fine', stopped: 'max-tokens', tokens: 4 });
  });
});
