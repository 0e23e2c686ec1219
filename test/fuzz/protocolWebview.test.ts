/**
 * Property-based tests of the panel protocol, both directions: whatever the webview sends, the
 * extension gets a clear ProtocolError naming the field or a correct message, never a raw TypeError;
 * a message may name only models that exist and data files the user chose; whatever the extension
 * sends, the webview's parser returns a clean message or null and never throws.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { resolveInside } from '../../src/model/storage/confinedPath';
import { parseExtensionMessage } from '../../src/protocol/toWebview';
import { isValidModelName, MAX_COMPARE, parseWebviewMessage, SAMPLE_DATA, type WebviewReferences } from '../../src/protocol/webview';
import { recordedEvents, recordedModels, recordedTryResult, panelState } from '../browser/fixtures';
import { hostile, numericSettings, outcome, preset, RUNS, settingsOverrides, withAt } from './protocolArbitraries';

const MODELS = ['g2p-sample', 'notes 2', 'a.b_c-d'];
const CHOSEN = [SAMPLE_DATA, '/home/me/data/pairs.tsv', 'C:\\Users\\me\\notes.txt'];
const asked: string[] = [];
const refs: WebviewReferences = {
  hasModel: (name) => { asked.push(name); return MODELS.includes(name); },
  hasDataFile: (ref) => CHOSEN.includes(ref),
};

const modelName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$/).filter((n) => !n.includes('..'));
const validMessage = fc.oneof(
  fc.constantFrom({ type: 'ready' }, { type: 'stop-training' }, { type: 'pick-data-file' }),
  fc.record({ type: fc.constant('start-training'), dataFile: fc.constantFrom(...CHOSEN), name: modelName, preset: fc.oneof(preset, fc.constant('custom')), settings: settingsOverrides }, { noNullPrototype: true }),
  fc.record({ type: fc.constantFrom('resume-training', 'set-active-model', 'export-model', 'delete-model'), model: fc.constantFrom(...MODELS) }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('try-translate'), text: fc.string({ maxLength: 10000 }), nBest: fc.integer({ min: 1, max: 16 }) }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('compare-models'), models: fc.shuffledSubarray(MODELS, { minLength: 2 }) }, { noNullPrototype: true }),
);

test('any value from the webview: a correct message or a ProtocolError, never a raw error', () => {
  fc.assert(fc.property(hostile, (v) => {
    const r = outcome(() => parseWebviewMessage(v, refs));
    if (r.ok) assert.deepEqual(parseWebviewMessage(r.value, refs), r.value, 'what passes, passes again unchanged');
    else assert.match(r.error.message, /^(the message|field "[^"]+")/);
  }), RUNS);
});

test('a valid message comes back unchanged, also after JSON (how a webview posts)', () => {
  fc.assert(fc.property(validMessage, (msg) => {
    assert.deepEqual(parseWebviewMessage(msg, refs), msg);
    const json = JSON.parse(JSON.stringify(msg)) as unknown;
    assert.deepEqual(parseWebviewMessage(json, refs), json);
  }), RUNS);
});

test('a setting of the wrong kind is refused naming it, with what was expected and what came', () => {
  const start = fc.record({ type: fc.constant('start-training'), dataFile: fc.constant(SAMPLE_DATA), name: modelName, preset, settings: settingsOverrides }, { noNullPrototype: true });
  fc.assert(fc.property(start, fc.constantFrom(...numericSettings), fc.double({ noNaN: true }), (msg, [section, key], n) => {
    const bad = withAt({ ...msg, settings: { ...msg.settings, [section]: { ...msg.settings[section] } } }, ['settings', section, key], String(n));
    const r = outcome(() => parseWebviewMessage(bad, refs));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.message, `field "settings.${section}.${key}" must be a number (got the string ${JSON.stringify(String(n))})`);
  }), RUNS);
});

test('a message names only a model in the models folder, by a name that stays inside it', () => {
  const models = mkdtempSync(join(tmpdir(), 'seq2seq-fuzz-models-'));
  try {
    const name = fc.oneof(modelName, fc.string(), fc.constantFrom('..', '../x', '/etc', 'a/b', 'a\\b', 'a\0b', '.hidden', '', ' x', 'C:x'), fc.constantFrom(...MODELS));
    const type = fc.constantFrom('resume-training', 'set-active-model', 'export-model', 'delete-model');
    fc.assert(fc.property(type, name, (t, model) => {
      asked.length = 0;
      const r = outcome(() => parseWebviewMessage({ type: t, model }, refs));
      assert.equal(r.ok, MODELS.includes(model), `accepted exactly the existing models (${JSON.stringify(model)})`);
      if (r.ok) resolveInside(models, model, 'model name', true); // throws if it led outside
      else assert.match(r.error.message, /^field "model"/);
      assert.ok(asked.every(isValidModelName), 'the models folder is only asked about valid names');
    }), RUNS);
  } finally {
    rmSync(models, { recursive: true, force: true });
  }
});

test('compare-models names only different models in the models folder', () => {
  const name = fc.oneof(fc.constantFrom(...MODELS), modelName, fc.constantFrom('..', '../x', '/etc', 'a/b', '', '.hidden'));
  fc.assert(fc.property(fc.array(name, { maxLength: 8 }), (models) => {
    asked.length = 0;
    const r = outcome(() => parseWebviewMessage({ type: 'compare-models', models }, refs));
    const ok = models.length >= 2 && models.length <= MAX_COMPARE && new Set(models).size === models.length && models.every((m) => MODELS.includes(m));
    assert.equal(r.ok, ok, JSON.stringify(models));
    if (!r.ok) assert.match(r.error.message, /^field "models(\[\d+\])?"/);
    assert.ok(asked.every(isValidModelName), 'the models folder is only asked about valid names');
  }), RUNS);
});

test('start-training trains only on a file the user chose or the sample', () => {
  const dataFile = fc.oneof(fc.constantFrom(...CHOSEN), fc.string(), fc.constantFrom('/proc/self/status', '/etc/passwd', '../secret.tsv', `${SAMPLE_DATA} `));
  fc.assert(fc.property(dataFile, modelName, (file, name) => {
    const r = outcome(() => parseWebviewMessage({ type: 'start-training', dataFile: file, name, preset: 'fast', settings: {} }, refs));
    assert.equal(r.ok, CHOSEN.includes(file));
    if (!r.ok) assert.match(r.error.message, /^field "dataFile"/);
  }), RUNS);
});

test('any value from the extension: the webview gets a clean message or null, never an exception', () => {
  fc.assert(fc.property(hostile, fc.constantFrom('state', 'train-event', 'models', 'data-file', 'try-result', 'comparison', 'error', 'eval'), (v, type) => {
    parseExtensionMessage(v);
    parseExtensionMessage({ type, state: v, event: v, models: v, path: v, profile: v, text: v, hypotheses: v, message: v, runs: v });
  }), RUNS);
});

test('recorded messages reach the webview unchanged; a broken field drops the message or the item', () => {
  const events = recordedEvents();
  for (const event of events) assert.deepEqual(parseExtensionMessage({ type: 'train-event', event }), { type: 'train-event', event });
  assert.deepEqual(parseExtensionMessage({ type: 'models', models: recordedModels(), activeModel: 'x' }), { type: 'models', models: recordedModels(), activeModel: 'x' });
  const tryResult = recordedTryResult();
  assert.deepEqual(parseExtensionMessage(tryResult), tryResult);
  const state = panelState();
  assert.deepEqual(parseExtensionMessage({ type: 'state', state })?.type, 'state');
  fc.assert(fc.property(fc.constantFrom(...events), fc.string(), (event, junk) => {
    const keys = Object.keys(event).filter((k) => k !== 'kind' && (event as unknown as Record<string, unknown>)[k] !== undefined);
    const key = keys[junk.length % keys.length];
    const broken = withAt(event, [key], { junk });
    assert.equal(parseExtensionMessage({ type: 'train-event', event: broken }), null, `an event with a broken ${key} is dropped`);
    const list = parseExtensionMessage({ type: 'models', models: [recordedModels()[0], { ...recordedModels()[1], [key]: junk }] });
    assert.ok(list && list.type === 'models' && list.models.length >= 1);
  }), RUNS);
});
