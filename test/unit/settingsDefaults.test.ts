/**
 * One definition of each default: package.json's `seq2seq.*` settings declare the engine's own
 * defaults and values (DEFAULT_DECODE, the strategies, presets and backend preferences), so the
 * CLI and VS Code decode alike when nothing is set.
 */
import { setSetting } from '../helpers/vscodeStandIn';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DECODE, DEFAULT_GENERATE, MAX_GENERATE_LINES } from '../../src/model/decoding/decodeOptions';
import { DECODE_STRATEGIES, PRESET_NAMES } from '../../src/protocol/records';
import { BACKEND_PREFERENCES, MAX_GENERATE_TOKENS } from '../../src/protocol/worker';
import * as settings from '../../src/extension/settings';

interface Property { default?: unknown; enum?: string[]; maximum?: number }
const properties = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Property> } };
}).contributes.configuration.properties;

test('every seq2seq.decoding.* default is the engine\'s DEFAULT_DECODE', () => {
  const decoding = Object.entries(properties).filter(([k]) => k.startsWith('seq2seq.decoding.'));
  assert.ok(decoding.length >= 7);
  for (const [key, p] of decoding) {
    const field = key.slice('seq2seq.decoding.'.length) as keyof typeof DEFAULT_DECODE;
    assert.ok(field in DEFAULT_DECODE, `${key} is a decoding option`);
    assert.equal(p.default, DEFAULT_DECODE[field], `${key}`);
  }
  assert.deepEqual(properties['seq2seq.decoding.strategy'].enum, [...DECODE_STRATEGIES]);
});

test('Generate Text samples and stops with the same defaults as the CLI when nothing is set', () => {
  const { decode, limits } = settings.generateOptions();
  assert.equal(decode.strategy, 'sample');
  assert.equal(decode.temperature, DEFAULT_DECODE.temperature);
  assert.equal(decode.topP, DEFAULT_DECODE.topP);
  assert.equal(decode.topK, DEFAULT_DECODE.topK);
  assert.equal(decode.repetitionPenalty, DEFAULT_DECODE.repetitionPenalty);
  assert.deepEqual(limits, DEFAULT_GENERATE);
  for (const [field, value] of Object.entries(DEFAULT_GENERATE)) assert.equal(properties[`seq2seq.generate.${field}`]?.default, value, `seq2seq.generate.${field}`);
  assert.equal(properties['seq2seq.generate.maxTokens'].maximum, MAX_GENERATE_TOKENS);
  assert.equal(properties['seq2seq.generate.maxLines'].maximum, MAX_GENERATE_LINES);
});

test('bad generation settings fall back to the defaults, in range', () => {
  setSetting('seq2seq.generate.maxLines', -3);
  setSetting('seq2seq.generate.stopAtBlankLine', 'yes');
  setSetting('seq2seq.decoding.repetitionPenalty', 0.2);
  try {
    const { decode, limits } = settings.generateOptions();
    assert.equal(limits.maxLines, 0);
    assert.equal(limits.stopAtBlankLine, DEFAULT_GENERATE.stopAtBlankLine);
    assert.equal(decode.repetitionPenalty, 1);
  } finally {
    setSetting('seq2seq.generate.maxLines', undefined);
    setSetting('seq2seq.generate.stopAtBlankLine', undefined);
    setSetting('seq2seq.decoding.repetitionPenalty', undefined);
  }
});

test('the backend and preset settings offer exactly values the engine takes', () => {
  const backends = properties['seq2seq.backend'].enum ?? [];
  for (const b of backends) assert.ok((BACKEND_PREFERENCES as readonly string[]).includes(b), `${b} is a backend preference`);
  for (const b of backends) {
    setSetting('seq2seq.backend', b);
    assert.equal(settings.backend(), b, 'the setting is passed on as it is');
  }
  setSetting('seq2seq.backend', 'quantum');
  assert.equal(settings.backend(), 'auto');
  assert.deepEqual(properties['seq2seq.training.defaultPreset'].enum, [...PRESET_NAMES]);
});

test('the CLI\'s generate and Generate Text write the same text from the same seed', async () => {
  const { tinyModel } = await import('../helpers/tinyModel');
  const { generate } = await import('../../src/model/generation/generate');
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  // Random weights over a wide vocabulary: every temperature or top-p gives other samples.
  const model = await tinyModel({}, [letters], [letters]);
  try {
    const write = async (options: object) => (await generate(model, 'abc', options, () => {})).text;
    const cli = await write({ decode: { strategy: 'sample', seed: 3 }, maxTokens: 40 }); // what `seq2seq generate --seed 3 --max-tokens 40` passes
    const { decode, limits } = settings.generateOptions();
    const vscode = await write({ decode: { ...decode, seed: 3 }, ...limits, maxTokens: 40 }); // what Generate Text sends the worker
    assert.ok(cli.length > 0);
    assert.equal(vscode, cli);
  } finally {
    model.dispose();
  }
});
