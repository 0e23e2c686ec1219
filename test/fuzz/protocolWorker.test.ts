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
import { recordedAttention, recordedEvents, recordedModels, recordedTryResult } from '../browser/fixtures';
import { attentionMapFits } from '../../src/protocol/records';
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

test('attention maps in a translate result: the recorded ones pass unchanged; a bad weight, shape or size is refused naming the field', () => {
  const { rnn, transformer } = recordedAttention();
  const outputs = [rnn.hypotheses, transformer.hypotheses];
  assert.deepEqual(parseWorkerResult('translate', structuredClone({ outputs })), { outputs });
  const maps = outputs.flatMap((hs, i) => hs.map((h, j) => ({ at: `result.outputs[${i}][${j}].attention`, i, j, map: h.attention! })));
  const badWeight = fc.oneof(fc.double({ min: 1.0001, max: 1e9, noNaN: true }), fc.double({ min: -1e9, max: -1e-6, noNaN: true }),
    fc.constantFrom<unknown>(Number.NaN, Infinity, null, '0.5', [0.5], true));
  const result = (i: number, j: number, attention: unknown) => ({ outputs: outputs.map((hs, a) => hs.map((h, b) => (a === i && b === j ? { ...h, attention } : h))) });
  fc.assert(fc.property(fc.constantFrom(...maps), fc.nat(), fc.nat(), fc.nat(), badWeight, ({ at, i, j, map }, pickHead, pickRow, pickCol, w) => {
    // One weight of the average or of a head.
    const head = map.heads.length ? pickHead % (map.heads.length + 1) : 0;
    const t = pickRow % map.target.length;
    const s = pickCol % map.source.length;
    const path = head === 0 ? ['weights', t, s] : ['heads', head - 1, 'weights', t, s];
    const r = outcome(() => parseWorkerResult('translate', result(i, j, withAt(map, path, w))));
    assert.equal(r.ok, false, `${at}.${path.join('.')} = ${String(w)} refused`);
    if (!r.ok) assert.match(r.error.message, new RegExp(`^field "${(head === 0 ? `${at}.weights[${t}]` : `${at}.heads[${head - 1}].weights[${t}]`).replace(/[.[\]]/g, '\\$&')}(\\[${s}\\])?" must be`));
  }), { ...RUNS, numRuns: 500 });
  const { at, map } = maps[0];
  const refused = (attention: unknown, field: string, what: RegExp) => {
    const r = outcome(() => parseWorkerResult('translate', result(0, 0, attention)));
    assert.equal(r.ok, false, field);
    if (!r.ok) {
      assert.ok(r.error.message.startsWith(`field "${at}${field}"`), `${r.error.message} names ${at}${field}`);
      assert.match(r.error.message, what);
    }
  };
  refused({ ...map, weights: map.weights.slice(1) }, '.weights', /a list of \d+ rows/);
  refused({ ...map, weights: map.weights.map((row, t) => (t === 2 ? row.slice(1) : row)) }, '.weights[2]', /a list of \d+ weights/);
  refused({ ...map, weights: map.weights.map((row, t) => (t === 1 ? row.map((w) => w / 2) : row)) }, '.weights[1]', /summing to 1/);
  refused({ ...map, source: [] }, '.source', /1 to 1000 tokens/);
  refused({ ...map, target: Array(1001).fill('x') }, '.target', /at most 1000/);
  refused({ ...map, heads: [{ layer: 0, head: 0, weights: map.weights.slice(1) }] }, '.heads[0].weights', /rows/);
  refused({ ...map, heads: [{ layer: -1, head: 0, weights: map.weights }] }, '.heads[0].layer', /whole number/);
  // Too large to carry: tokens x tokens x matrices beyond the bound.
  const wide = { source: Array(500).fill('a'), target: Array(501).fill('b'), weights: Array.from({ length: 501 }, () => Array(500).fill(1 / 500)), heads: [] };
  assert.equal(attentionMapFits(wide), false, 'the worker leaves such a map out');
  refused(wide, '', /at most 250000 weights/);
  assert.ok(maps.every((m) => attentionMapFits(m.map)));
});

test('the backend preference travels in argv and always reads back as one the engine takes', () => {
  for (const p of BACKEND_PREFERENCES) assert.equal(backendFromArgv(['--role=x', backendArg(p)]), p);
  fc.assert(fc.property(fc.array(fc.string()), (argv) => {
    assert.ok(BACKEND_PREFERENCES.includes(backendFromArgv(argv)));
  }), RUNS);
});
