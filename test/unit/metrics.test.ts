import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusBleu, corpusChrf, editDistance, errorRates, tokenize13a } from '../../src/model/training/metrics';

test('13a tokenisation splits punctuation but keeps decimal numbers', () => {
  assert.deepEqual(tokenize13a('Hello, world. It costs 3.50$!'), ['Hello', ',', 'world', '.', 'It', 'costs', '3.50', '$', '!']);
});

test('BLEU: identical corpus scores 100; no match at all scores 0 (sacreBLEU 2 stops early); empty output scores 0', () => {
  assert.equal(Math.round(corpusBleu(['the cat sat on the mat'], ['the cat sat on the mat']).score * 1e6) / 1e6, 100);
  assert.equal(corpusBleu(['a b c d'], ['e f g h']).score, 0);
  assert.equal(corpusBleu([''], ['e f g h']).score, 0);
  // One unigram match: exp smoothing applies to the unmatched orders, p_n = 1 / (2^k * total_n).
  const expected = 100 * Math.pow((1 / 4) * (1 / (2 * 3)) * (1 / (4 * 2)) * (1 / (8 * 1)), 1 / 4);
  assert.ok(Math.abs(corpusBleu(['a x y z'], ['a b c d']).score - expected) < 1e-9);
});

test('BLEU matches a hand computation (with brevity penalty and exp smoothing)', () => {
  // hyp: "the cat sat on mat" (5), ref: "the cat sat on the mat" (6)
  // 1-grams 5/5, 2-grams 3/4 (the cat, cat sat, sat on), 3-grams 2/3, 4-grams 1/2
  // BP = exp(1 - 6/5)
  const expected = 100 * Math.exp(1 - 6 / 5) * Math.exp((Math.log(1) + Math.log(3 / 4) + Math.log(2 / 3) + Math.log(1 / 2)) / 4);
  const r = corpusBleu(['the cat sat on mat'], ['the cat sat on the mat']);
  assert.ok(Math.abs(r.score - expected) < 1e-9, `${r.score} vs ${expected}`);
  // Exp smoothing: no 4-gram match -> p4 = 100 / (2 * total4)
  const s = corpusBleu(['a b c x y'], ['a b c d e']);
  // 1: 3/5, 2: 2/4, 3: 1/3, 4: 0/2 -> 1/(2*2)
  const exp2 = 100 * Math.exp((Math.log(3 / 5) + Math.log(2 / 4) + Math.log(1 / 3) + Math.log(1 / 4)) / 4);
  assert.ok(Math.abs(s.score - exp2) < 1e-9, `${s.score} vs ${exp2}`);
});

test('BLEU is a corpus statistic, not an average of sentence scores', () => {
  const r = corpusBleu(['a b c d', 'w x y z'], ['a b c d', 'w x y q']);
  // 1: 7/8, 2: 5/6, 3: 3/4, 4: 1/2
  const expected = 100 * Math.exp((Math.log(7 / 8) + Math.log(5 / 6) + Math.log(3 / 4) + Math.log(1 / 2)) / 4);
  assert.ok(Math.abs(r.score - expected) < 1e-9);
});

test('chrF matches a hand computation (sacreBLEU 2: precision and recall averaged over effective orders, then F-beta)', () => {
  // hyp "ab", ref "abc": order 1: hyp 2, ref 3, match 2 (P 1, R 2/3); order 2: hyp 1, ref 2, match 1
  // (P 1, R 1/2); orders 3-6: the hypothesis has none, so they are not effective.
  // avg P = 1, avg R = 7/12, chrF2 = 5 P R / (4 P + R) = 35/55.
  const got = corpusChrf(['ab'], ['abc']);
  assert.ok(Math.abs(got - (100 * 35) / 55) < 1e-9, `${got}`);
  assert.ok(Math.abs(corpusChrf(['same text'], ['same text']) - 100) < 1e-9);
  assert.equal(corpusChrf(['xyz'], ['abc']), 0);
  // Corpus level: statistics are summed before scoring, not averaged per sentence.
  const corpus = corpusChrf(['ab', 'ab'], ['abc', 'ab']);
  // order 1: hyp 4, ref 5, match 4; order 2: hyp 2, ref 3, match 2 -> P 1, R (4/5 + 2/3)/2 = 11/15
  const R = 11 / 15;
  assert.ok(Math.abs(corpus - (100 * 5 * R) / (4 + R)) < 1e-9, `${corpus}`);
});

test('edit distance and PER/WER', () => {
  assert.equal(editDistance(['a', 'b', 'c'], ['a', 'c']), 1);
  assert.equal(editDistance([], ['x', 'y']), 2);
  const r = errorRates([['HH', 'AH', 'L', 'OW'], ['W', 'ER', 'D']], [['HH', 'AH', 'L', 'OW'], ['W', 'ER', 'L', 'D']]);
  assert.equal(r.per, (100 * 1) / 8);
  assert.equal(r.wer, 50);
});
