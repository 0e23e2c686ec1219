/**
 * Property-based tests of the worker protocol, both directions: whatever reaches the worker, and
 * whatever reaches the extension from it (messages, and each result against its request), gives a
 * correct value or a ProtocolError that names the field, says what was expected and what came —
 * never a raw TypeError. Valid messages come back unchanged after IPC's structured clone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BACKEND_PREFERENCES, backendArg, backendFromArgv, parseWorkerMessage, parseWorkerRequest, parseWorkerResult, type WorkerResults,
} from '../../src/protocol/worker';
import { recordedEvents, recordedModels, recordedTryResult } from '../browser/fixtures';
import { decodeOverrides, hostile, id, numericSettings, outcome, path, preset, RUNS, settingsOverrides, task, withAt } from './protocolArbitraries';

const opt = { noNullPrototype: true } as const;
const someOf = { requiredKeys: [] as never[], noNullPrototype: true } as const;

const validRequest = fc.oneof(
  fc.record({
    type: fc.constant('train'), id, dataFile: path, modelDir: path, resume: fc.boolean(),
    extra: fc.record({
      devFile: path, preset, settings: settingsOverrides, task,
      checkpointMinutes: fc.double({ min: 0, max: 1e6, noNaN: true }), maxDevDecode: fc.nat(), threads: fc.integer({ min: 1, max: 2 }),
    }, someOf),
  }, opt).map(({ extra, ...r }) => ({ ...r, ...extra })),
  fc.record({ type: fc.constant('translate'), id, modelDir: path, inputs: fc.array(fc.string(), { maxLength: 20 }), decode: decodeOverrides }, { requiredKeys: ['type', 'id', 'modelDir', 'inputs'], noNullPrototype: true }),
  fc.record({
    type: fc.constant('generate'), id, modelDir: path, prompt: fc.string(), atStart: fc.boolean(), decode: decodeOverrides, maxTokens: fc.integer({ min: 1, max: 100000 }),
    maxLines: fc.integer({ min: 0, max: 100000 }), stopAtBlankLine: fc.boolean(),
  }, { requiredKeys: ['type', 'id', 'modelDir', 'prompt', 'maxTokens'], noNullPrototype: true }),
  fc.record({ type: fc.constant('inspect'), id, modelDir: path }, opt),
  fc.record({ type: fc.constant('info'), id }, opt),
  fc.record({ type: fc.constant('profile'), id, dataFile: path, task }, { requiredKeys: ['type', 'id', 'dataFile'], noNullPrototype: true }),
  fc.record({ type: fc.constant('cancel'), id, target: id }, opt),
);

const describeArb = (v: unknown): string => (typeof v === 'string' ? `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}` : String(v));

test('any value sent to the worker: a correct request or a ProtocolError, never a raw error', () => {
  fc.assert(fc.property(hostile, (v) => {
    const r = outcome(() => parseWorkerRequest(v));
    if (r.ok) assert.deepEqual(parseWorkerRequest(r.value), r.value);
    else assert.match(r.error.message, /^(the message|field "[^"]+") (must|is not known)/);
  }), RUNS);
});

test('a valid request comes back unchanged after IPC (structured clone)', () => {
  fc.assert(fc.property(validRequest, (req) => {
    assert.deepEqual(parseWorkerRequest(structuredClone(req)), req);
  }), RUNS);
});

test('a setting of the wrong kind in a training request is refused naming it (the "32" case)', () => {
  const train = fc.record({ type: fc.constant('train'), id, dataFile: path, modelDir: path, resume: fc.boolean(), settings: settingsOverrides }, opt);
  const wrong = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant(Number.NaN), fc.constant(Infinity));
  fc.assert(fc.property(train, fc.constantFrom(...numericSettings), wrong, (req, [section, key], value) => {
    const bad = withAt({ ...req, settings: { ...req.settings, [section]: { ...req.settings[section] } } }, ['settings', section, key], value);
    const r = outcome(() => parseWorkerRequest(bad));
    assert.equal(r.ok, false);
    if (r.ok) return;
    const expected = typeof value === 'number' ? 'a finite number' : 'a number';
    const got = value === null ? 'null' : typeof value === 'number' ? `the number ${value}` : describeArb(value);
    assert.equal(r.error.message, `field "settings.${section}.${key}" must be ${expected} (got ${got})`);
  }), RUNS);
  // The case from the issue, word for word.
  assert.throws(() => parseWorkerRequest({ type: 'train', id: 'a', dataFile: 'd', modelDir: 'm', resume: false, settings: { model: { hidden: '32' } } }),
    { name: 'ProtocolError', message: 'field "settings.model.hidden" must be a number (got the string "32")' });
});

test('any value from the worker: a correct message or a ProtocolError; each result is checked against its request', () => {
  const types = Object.keys({ train: 0, tune: 0, translate: 0, generate: 0, inspect: 0, info: 0, profile: 0, cancel: 0 } satisfies Record<keyof WorkerResults, 0>) as (keyof WorkerResults)[];
  fc.assert(fc.property(hostile, fc.constantFrom(...types), (v, type) => {
    const m = outcome(() => parseWorkerMessage(v));
    if (m.ok) assert.deepEqual(parseWorkerMessage(m.value), m.value);
    const r = outcome(() => parseWorkerResult(type, v));
    if (!r.ok) assert.match(r.error.message, /^field "result/);
    outcome(() => parseWorkerMessage({ type: 'train-event', id: 'x', event: v }));
    outcome(() => parseWorkerMessage({ type: 'tune-event', id: 'x', event: v }));
    outcome(() => parseWorkerMessage({ type: 'result', id: 'x', result: v }));
  }), RUNS);
});

test('recorded worker output passes unchanged; any broken field is refused naming it', () => {
  const events = [...recordedEvents(), ...recordedEvents('train-events-text.jsonl')];
  for (const event of events) assert.deepEqual(parseWorkerMessage({ type: 'train-event', id: 'r-1', event }), { type: 'train-event', id: 'r-1', event });
  for (const m of recordedModels()) assert.deepEqual(parseWorkerResult('inspect', m), m);
  const outputs = [recordedTryResult().hypotheses];
  assert.deepEqual(parseWorkerResult('translate', { outputs }), { outputs });
  // NaN and Infinity survive IPC: a diverging run's loss is reported as it is.
  const step = events.find((e) => e.kind === 'step')!;
  assert.ok(Number.isNaN((parseWorkerMessage({ type: 'train-event', id: 'r', event: { ...step, loss: Number.NaN } }) as { event: { loss: number } }).event.loss));
  // Junk of a kind no field of an event takes (a string is right for a text field, null for `dev`, true for a flag).
  fc.assert(fc.property(fc.constantFrom(...events), fc.nat(), fc.constantFrom<unknown>({ junk: 1 }, [1, 2], 7n), (event, pick, junk) => {
    const keys = Object.keys(event).filter((k) => k !== 'kind');
    const key = keys[pick % keys.length];
    const r = outcome(() => parseWorkerMessage({ type: 'train-event', id: 'r', event: withAt(event, [key], junk) }));
    assert.equal(r.ok, false, `a broken ${key} is refused`);
    if (!r.ok) assert.match(r.error.message, new RegExp(`^field "event\\.${key}(\\.|\\[|")`));
  }), RUNS);
});

test('the backend preference travels in argv and always reads back as one the engine takes', () => {
  for (const p of BACKEND_PREFERENCES) assert.equal(backendFromArgv(['--role=x', backendArg(p)]), p);
  fc.assert(fc.property(fc.array(fc.string()), (argv) => {
    assert.ok(BACKEND_PREFERENCES.includes(backendFromArgv(argv)));
  }), RUNS);
});
