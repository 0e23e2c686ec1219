/**
 * Small data: the presets regularise more the fewer the pairs; with a time budget the run uses the
 * time (no epoch cap or early stopping from the preset); the trivial baselines a model must beat
 * are scored like the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetOverrides, type DataProfile } from '../../src/model/config';
import { resolveSettings } from '../../src/model/training/settingsFromData';
import { baselines, mostFrequentTarget } from '../../src/model/training/baselines';
import type { Pair } from '../../src/model/data/data';

const profile = (pairs: number): DataProfile => ({ pairs, sourceVocab: 60, targetVocab: 70, sourceLen95: 12, targetLen95: 14 });

test('the fewer the pairs, the more dropout and label smoothing; large data keeps the presets\' values', () => {
  const at = (pairs: number) => presetOverrides('balanced', profile(pairs));
  assert.equal(at(100_000).model!.dropout, 0.1);
  assert.equal(at(100_000).train!.labelSmoothing, 0);
  assert.equal(at(100_000).train!.batch, 64);
  assert.equal(at(15_000).model!.dropout, 0.2);
  assert.equal(at(7_000).model!.dropout, 0.3);
  assert.equal(at(7_000).train!.labelSmoothing, 0.1);
  assert.equal(at(7_000).train!.batch, 32);
  assert.equal(at(1_000).model!.dropout, 0.4);
  assert.equal(presetOverrides('fast', profile(7_000)).model!.dropout, 0.2);
  assert.equal(presetOverrides('accurate', profile(1_000)).model!.dropout, 0.5, 'capped');
  for (const n of [500, 2_000, 7_000, 19_999, 20_000, 200_000]) {
    const d = [n, n * 2].map((x) => at(x).model!.dropout!);
    assert.ok(d[0] >= d[1], `more data, no more dropout (${n}: ${d.join(' vs ')})`);
  }
});

const pairs: Pair[] = Array.from({ length: 300 }, (_, i) => ({ source: `w${i}`, target: `v${i % 7}`, line: i + 1 }));

test('with a time budget the time is the limit: no epoch cap or early stopping from the preset', () => {
  const noBudget = resolveSettings(pairs, 'balanced', undefined);
  assert.equal(noBudget.train.epochs, 30);
  assert.equal(noBudget.train.patience, 5);
  const budget = resolveSettings(pairs, 'balanced', { train: { minutes: 5 } });
  assert.equal(budget.train.minutes, 5);
  assert.equal(budget.train.epochs, 100_000);
  assert.equal(budget.train.patience, 0);
  assert.equal(budget.train.lrPatience, noBudget.train.lrPatience, 'the learning rate still halves on plateaus');
  const explicit = resolveSettings(pairs, 'fast', { train: { minutes: 5, epochs: 12, patience: 3 } });
  assert.equal(explicit.train.epochs, 12, 'epochs given explicitly still count');
  assert.equal(explicit.train.patience, 3);
  assert.equal(resolveSettings(pairs, 'fast', { train: { minutes: 0 } }).train.epochs, 10);
});

test('baselines: copying the input and the most frequent training target, scored like the model', () => {
  const train: Pair[] = [
    { source: 'a', target: 'X Y', line: 1 }, { source: 'b', target: 'Z', line: 2 }, { source: 'c', target: 'X Y', line: 3 }, { source: 'd', target: 'Q', line: 4 },
  ];
  assert.equal(mostFrequentTarget(train), 'X Y');
  const dev: Pair[] = [{ source: 'hund', target: 'hund', line: 1 }, { source: 'cat', target: 'X Y', line: 2 }, { source: 'P Q', target: 'P R', line: 3 }];
  const words = (s: string) => s.split(' ').filter(Boolean);
  const b = baselines(train, dev, words);
  // copy: exact on 1 of 3; tokens wrong: hund 0/1, cat vs X Y 2/2, P Q vs P R 1/2 -> 3 of 5.
  assert.ok(Math.abs(b.copy.wer - 200 / 3) < 1e-9, `${b.copy.wer}`);
  assert.ok(Math.abs(b.copy.per - 60) < 1e-9, `${b.copy.per}`);
  // most frequent ("X Y"): exact on 1 of 3; edits 2 (X Y for hund) + 0 + 2 = 4 of 5.
  assert.equal(b.mostFrequent.output, 'X Y');
  assert.ok(Math.abs(b.mostFrequent.wer - 200 / 3) < 1e-9);
  assert.ok(Math.abs(b.mostFrequent.per - 80) < 1e-9, `${b.mostFrequent.per}`);
  const perfect = baselines(train, [{ source: 'same', target: 'same', line: 1 }], words);
  assert.equal(perfect.copy.per, 0);
  assert.equal(perfect.copy.chrf, 100);
});
