/**
 * Fuzz tier (issue 12): the tokenisers on arbitrary text, and vocabularies read back from arbitrary
 * JSON. Character and subword tokenisers give the text back (subwords with white space normalised);
 * every id is in the vocabulary; malformed tokenizer data is a clear error, never a raw TypeError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Vocabulary, type VocabularyJSON } from '../../src/model/data/tokenizer';
import type { TokenizerKind } from '../../src/model/config';

const RUNS = 2000;
const HANG_GUARD = { timeout: 300_000 };
/** Text as users have it: letters, digits, punctuation, white space of all kinds, accents, emoji, CJK. */
const text = fc.array(fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...'abcdeXYZ019 .,!?\'"-()'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom(' ', '  ', '\t', '\u00a0', '\u3000', '\r') },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ß', 'İ', 'ﬁ', 'e\u0301', '😀', '👍🏽', '日本', 'ա', '<s>', '</s>', '<unk>') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
), { maxLength: 24 }).map((p) => p.join(''));
const settings = (kind: TokenizerKind, lowercase: boolean, maxVocab: number) => ({ kind, lowercase, maxVocab });

test('char level gives back every text made of characters it has seen; ids are in range; JSON round trip keeps the encoding', HANG_GUARD, () => {
  fc.assert(fc.property(fc.array(text, { minLength: 1, maxLength: 8 }), (texts) => {
    const v = Vocabulary.build(texts, settings('char', false, 1_000_000));
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    for (const t of texts) {
      const ids = v.encode(t);
      assert.ok(ids.every((id) => Number.isInteger(id) && id > 3 && id < v.size));
      assert.equal(v.decode(ids), t);
      assert.deepEqual(back.encode(t), ids);
    }
  }), { seed: 101, numRuns: RUNS });
});

test('subword level gives back the text with white space normalised; a small budget never breaks it', HANG_GUARD, () => {
  fc.assert(fc.property(fc.array(text, { minLength: 1, maxLength: 10 }), fc.integer({ min: 8, max: 200 }), (texts, budget) => {
    const v = Vocabulary.build(texts, settings('subword', false, budget));
    assert.ok(v.size <= Math.max(budget, 4 + new Set(texts.join('').replace(/\s/g, '')).size + 1) || v.size <= budget + 1);
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    const seen = new Set(v.tokens);
    for (const t of texts) {
      const ids = v.encode(t);
      assert.ok(ids.every((id) => Number.isInteger(id) && id >= 3 && id < v.size));
      assert.deepEqual(back.encode(t), ids);
      const allKnown = Array.from(t.replace(/\s/g, '')).every((ch) => seen.has(ch) || seen.has('\u2581' + ch));
      if (allKnown && !t.includes('\u2581') && budget >= 200) assert.equal(v.decode(ids), t.split(/\s+/).filter(Boolean).join(' '));
    }
  }), { seed: 202, numRuns: 600 });
});

test('word level and lowercasing: any text tokenises and encodes without error, ids in range', HANG_GUARD, () => {
  fc.assert(fc.property(fc.array(text, { minLength: 1, maxLength: 8 }), text, fc.boolean(), fc.boolean(), (texts, other, lowercase, whitespaceOnly) => {
    const v = Vocabulary.build(texts, settings('word', lowercase, 50), whitespaceOnly);
    for (const t of [...texts, other]) {
      const ids = v.encode(t);
      assert.ok(ids.every((id) => id >= 3 && id < v.size));
      assert.equal(typeof v.decode(ids), 'string');
    }
  }), { seed: 303, numRuns: RUNS });
});

test('vocabularies from arbitrary JSON: a Vocabulary or "tokenizer data is malformed", never a TypeError', HANG_GUARD, () => {
  const good = Vocabulary.build(['abc abd', 'abe'], settings('subword', false, 30)).toJSON();
  const mutated = fc.oneof(
    fc.jsonValue(),
    fc.record({ kind: fc.oneof(fc.constantFrom('char', 'word', 'subword', 'bpe'), fc.jsonValue()), lowercase: fc.jsonValue(), tokens: fc.oneof(fc.array(fc.string()), fc.jsonValue()), merges: fc.jsonValue() }, { requiredKeys: [] }),
    fc.tuple(fc.constantFrom('kind', 'tokens', 'merges', 'lowercase', 'whitespaceOnly'), fc.jsonValue()).map(([k, val]) => ({ ...good, [k]: val })),
    fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }))).map((merges) => ({ ...good, merges })),
  );
  fc.assert(fc.property(mutated, text, (j, t) => {
    let v: Vocabulary;
    try { v = Vocabulary.fromJSON(j as VocabularyJSON); } catch (e) {
      assert.equal((e as Error).constructor, Error, String(e));
      assert.equal((e as Error).message, 'tokenizer data is malformed');
      return;
    }
    assert.ok(v.size >= 4);
    const ids = v.encode(t);
    assert.ok(ids.every((id) => id >= 0 && id < v.size));
    assert.equal(typeof v.decode(ids), 'string');
  }), { seed: 404, numRuns: RUNS });
});
