/** Presets and settings for both architectures: what --arch transformer brings with it, one rule for the architecture, errors naming the field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, mergeSettings, presetOverrides, settingsErrors, validateSettings, type DataProfile } from '../../src/model/config';
import { resolveSettings } from '../../src/model/training/train';
import { resolveTextSettings, textProfile, textSide } from '../../src/model/training/settingsFromData';
import { reversePairs } from '../helpers/tinyModel';

const profile: DataProfile = { pairs: 50_000, sourceVocab: 4000, targetVocab: 4000, sourceLen95: 12, targetLen95: 14 };

test('a Transformer preset brings its training: label smoothing 0.1, Adam (0.9, 0.98), warm-up + inverse sqrt; the recurrent one keeps its own', () => {
  for (const preset of ['fast', 'balanced', 'accurate'] as const) {
    const t = validateSettings(mergeSettings(DEFAULT_SETTINGS, presetOverrides(preset, profile, 'transformer')));
    assert.equal(t.model.arch, 'transformer');
    assert.deepEqual([t.train.labelSmoothing, t.train.adamBeta1, t.train.adamBeta2, t.train.lrSchedule], [0.1, 0.9, 0.98, 'inverse-sqrt']);
    assert.ok(t.train.warmupSteps >= 500 && t.model.dModel % t.model.heads === 0 && t.model.tieEmbeddings);
    const r = validateSettings(mergeSettings(DEFAULT_SETTINGS, presetOverrides(preset, profile, 'rnn')));
    assert.equal(r.model.arch, 'rnn');
    assert.deepEqual([r.train.labelSmoothing, r.train.adamBeta2, r.train.lrSchedule], [0, 0.999, 'constant']);
  }
  // Bigger presets are bigger.
  const d = (p: 'fast' | 'balanced' | 'accurate') => mergeSettings(DEFAULT_SETTINGS, presetOverrides(p, profile, 'transformer')).model;
  assert.ok(d('fast').encLayers + d('fast').decLayers < d('balanced').encLayers + d('balanced').decLayers && d('balanced').dModel < d('accurate').dModel);
  // From 20,000 pairs on, the fast and balanced Transformers train without dropout; smaller data keeps it.
  const at = (pairs: number) => mergeSettings(DEFAULT_SETTINGS, presetOverrides('balanced', { ...profile, pairs }, 'transformer')).model;
  assert.deepEqual([at(20_000).dropout, at(20_000).attentionDropout], [0, 0]);
  assert.ok(at(19_999).dropout > 0 && at(19_999).attentionDropout > 0);
});

test('resolveSettings: --arch transformer with the default preset; explicit flags win over the preset', () => {
  const pairs = reversePairs(500).map((l, i) => { const [source, target] = l.split('\t'); return { source, target, line: i + 1 }; });
  const s = resolveSettings(pairs, 'balanced', { model: { arch: 'transformer', heads: 2 }, train: { labelSmoothing: 0 } });
  assert.equal(s.model.arch, 'transformer');
  assert.equal(s.model.heads, 2);
  assert.equal(s.train.labelSmoothing, 0);
  assert.equal(s.train.lrSchedule, 'inverse-sqrt');
  assert.equal(resolveSettings(pairs, 'balanced', undefined).model.arch, 'rnn');
});

test('bad Transformer settings name their field', () => {
  const bad = mergeSettings(DEFAULT_SETTINGS, {
    model: { arch: 'transformer', dModel: 100, heads: 8, positions: 'learned', maxPositions: 10, activation: 'swish' as 'gelu' },
    train: { lrSchedule: 'inverse-sqrt', warmupSteps: 0, adamBeta2: 1.5 },
  });
  const fields = settingsErrors(bad).map((e) => e.field);
  for (const f of ['model.heads', 'model.maxPositions', 'model.activation', 'train.warmupSteps', 'train.adamBeta2']) assert.ok(fields.includes(f), `${f} not reported: ${fields}`);
  assert.throws(() => validateSettings(bad), /model\.heads: must divide model\.dModel \(100\) into equal heads \(got 8\)/);
});

test("the Transformer's warm-up is at most one epoch of the data, so a short run does not spend its time at a rising rate", () => {
  const small: DataProfile = { ...profile, pairs: 20_000 };
  for (const preset of ['fast', 'balanced', 'accurate'] as const) {
    const t = mergeSettings(DEFAULT_SETTINGS, presetOverrides(preset, small, 'transformer')).train;
    assert.ok(t.warmupSteps <= Math.ceil(small.pairs / t.batch), `${preset}: ${t.warmupSteps} warm-up steps for ${Math.ceil(small.pairs / t.batch)} steps an epoch`);
    assert.ok(t.warmupSteps >= 100);
  }
  const big = mergeSettings(DEFAULT_SETTINGS, presetOverrides('accurate', { ...profile, pairs: 1_000_000 }, 'transformer')).train;
  assert.equal(big.warmupSteps, 2000, 'large data keeps the preset warm-up');
});

test('text generation presets: the recurrent model on batches of 16 windows at twice the preset\'s rate (measured); pairs keep theirs; flags still win', () => {
  const text = textProfile(38_000, 2000, 128, 128);
  const side = textSide(undefined);
  for (const [preset, lr] of [['fast', 0.006], ['balanced', 0.004], ['accurate', 0.003]] as const) {
    const g = resolveTextSettings(text, side, preset, undefined);
    assert.deepEqual([g.model.arch, g.train.batch, g.train.lr], ['rnn', 16, lr], preset);
    const p = validateSettings(mergeSettings(DEFAULT_SETTINGS, presetOverrides(preset, profile, 'rnn')));
    assert.deepEqual([p.train.batch, p.train.lr], [64, lr / 2], `${preset} for pairs`);
  }
  const pinned = resolveTextSettings(text, side, 'balanced', { train: { batch: 64, lr: 0.001 } });
  assert.deepEqual([pinned.train.batch, pinned.train.lr], [64, 0.001]);
});
