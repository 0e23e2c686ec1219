import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpeEncoder, learnBpe, WORD_START } from '../../src/model/data/bpe';
import { EOS, SPECIALS, UNK, Vocabulary, type VocabularyJSON } from '../../src/model/data/tokenizer';
import { DEFAULT_SETTINGS, mergeSettings, settingsErrors } from '../../src/model/config';

const M = WORD_START;
/** Sennrich et al.'s example: low ×5, lower ×2, newest ×6, widest ×3. */
const CLASSIC = [...Array(5).fill('low'), ...Array(2).fill('lower'), ...Array(6).fill('newest'), ...Array(3).fill('widest')];
const classicCounts = () => new Map([[`${M}low`, 5], [`${M}lower`, 2], [`${M}newest`, 6], [`${M}widest`, 3]]);
const subword = (maxVocab: number, lowercase = false) => ({ kind: 'subword' as const, lowercase, maxVocab });

const FREEDICT = join(__dirname, '..', '..', '..', 'shared', 'data', 'freedict-eng-deu', 'train.tsv');
const freedictLines = (): string[][] => readFileSync(FREEDICT, 'utf8').split('\n').slice(0, 500).filter(Boolean).map((l) => l.split('\t'));

test('learnBpe: the classic example merges e+s, es+t, then l+o, ▁+lo, ▁lo+w (ties: smaller ids first)', () => {
  const m = learnBpe(classicCounts(), { maxPieces: 100 });
  assert.deepEqual(m.alphabet, ['d', 'e', 'i', 'l', 'n', 'o', 'r', 's', 't', 'w', M]);
  assert.deepEqual(m.merges.slice(0, 7), [['e', 's'], ['es', 't'], ['l', 'o'], [M, 'lo'], [`${M}lo`, 'w'], ['e', 'w'], ['n', 'ew']]);
  // Pairs seen once are never merged, so learning stops early on this tiny corpus.
  assert.ok(m.merges.length < 100 - m.alphabet.length);
  // Applying the merges gives the segmentation learned.
  const enc = new BpeEncoder(m.merges);
  assert.deepEqual(enc.encodeWord(`${M}low`), [`${M}low`]);
  assert.deepEqual(enc.encodeWord(`${M}lowest`), [`${M}low`, 'est']);
});

test('learnBpe is independent of word order and stops at the piece budget', () => {
  const reversed = new Map([...classicCounts()].reverse());
  assert.deepEqual(learnBpe(reversed, { maxPieces: 100 }), learnBpe(classicCounts(), { maxPieces: 100 }));
  const m = learnBpe(classicCounts(), { maxPieces: 13 });
  assert.equal(m.alphabet.length + m.pieces.length, 13);
  assert.deepEqual(m.merges, [['e', 's'], ['es', 't']]);
});

test('subword vocabulary: maxVocab counts specials, characters and pieces; unknown characters are <unk>', () => {
  const v = Vocabulary.build(CLASSIC, subword(20));
  assert.equal(v.size, 20);
  assert.deepEqual(v.tokens.slice(0, 4), [...SPECIALS]);
  assert.equal(v.merges.length, 5);
  assert.deepEqual(v.tokenize('lowest newer'), [`${M}low`, 'est', `${M}`, 'n', 'e', 'w', 'e', 'r']);
  const ids = v.encode('low zoo');
  assert.deepEqual(ids, [v.index.get(`${M}low`), v.index.get(M), UNK, v.index.get('o'), v.index.get('o')]);
  // Over budget for characters alone: the most frequent characters are kept (e 17, then w and ▁ 16, by code point).
  const tiny = Vocabulary.build(CLASSIC, subword(7));
  assert.deepEqual(tiny.tokens, [...SPECIALS, 'e', 'w', M]);
  assert.deepEqual(tiny.encode('we'), [tiny.index.get(M), tiny.index.get('w'), tiny.index.get('e')]);
  assert.deepEqual(tiny.encode('low'), [tiny.index.get(M), UNK, UNK, tiny.index.get('w')]);
});

test('subword decoding is exact for text with single spaces; lower-casing applies', () => {
  const texts = ['the lower newest', 'Grüße, Welt!', 'emoji 🙂 ok'];
  const v = Vocabulary.build([...texts, ...CLASSIC], subword(60));
  for (const t of texts) assert.equal(v.decode([...v.encode(t), EOS]), t);
  assert.equal(v.detokenize(v.tokenize('  two   spaces\there ')), 'two spaces here');
  const lower = Vocabulary.build(['Low LOWER'], subword(40, true));
  assert.equal(lower.decode(lower.encode('LOW lower')), 'low lower');
});

test('subword on FreeDict (first 500 lines): exact round trip, short sequences, budget kept', { skip: !existsSync(FREEDICT) && 'FreeDict data not present' }, () => {
  const lines = freedictLines();
  for (const side of [0, 1]) {
    const texts = lines.map((p) => p[side]).filter((t) => t !== undefined);
    const v = Vocabulary.build(texts, subword(600));
    assert.ok(v.size <= 600, `size ${v.size}`);
    let pieces = 0;
    let chars = 0;
    for (const t of texts) {
      const norm = t.split(/\s+/).filter(Boolean).join(' ');
      const ids = v.encode(t);
      assert.ok(!ids.includes(UNK), `unknown piece in ${t}`);
      assert.equal(v.decode(ids), norm);
      pieces += ids.length;
      chars += Array.from(norm).length;
    }
    assert.ok(pieces < chars / 2, `${pieces} pieces for ${chars} characters`);
  }
});

test('subword vocabulary survives JSON round trip; malformed merges are rejected; old kinds unchanged', () => {
  const lines = existsSync(FREEDICT) ? freedictLines().map((p) => p[0]) : CLASSIC;
  const v = Vocabulary.build(lines, subword(300));
  const j = JSON.parse(JSON.stringify(v.toJSON())) as VocabularyJSON;
  assert.equal(j.kind, 'subword');
  assert.equal(j.merges!.length, v.merges.length);
  const back = Vocabulary.fromJSON(j);
  for (const t of [...lines.slice(0, 50), 'completely unseen wordings']) assert.deepEqual(back.encode(t), v.encode(t));

  const bad = (merges: unknown) => () => Vocabulary.fromJSON({ ...j, merges } as VocabularyJSON);
  assert.throws(bad(undefined), /malformed/);
  assert.throws(bad('e s'), /malformed/);
  assert.throws(bad([['e', 's', 't']]), /malformed/);
  assert.throws(bad([['e', '']]), /malformed/);
  assert.throws(bad([['e', 7]]), /malformed/);
  assert.throws(bad([['qqq', 'zzz']]), /malformed/);
  assert.throws(bad([['<', 's>']]), /malformed/);
  assert.throws(() => Vocabulary.fromJSON({ ...j, kind: 'bpe' } as unknown as VocabularyJSON), /malformed/);

  // Char and word vocabularies keep their old JSON shape (no merges) and load as before.
  const c = Vocabulary.build(['ab'], { kind: 'char', lowercase: false, maxVocab: 100 });
  assert.deepEqual(Object.keys(c.toJSON()).sort(), ['kind', 'lowercase', 'tokens', 'whitespaceOnly']);
  const old = Vocabulary.fromJSON({ kind: 'word', lowercase: false, whitespaceOnly: true, tokens: [...SPECIALS, 'HH', 'AH'] });
  assert.deepEqual(old.encode('HH AH'), [4, 5]);
});

test('settings accept subword; other kinds are still refused', () => {
  const ok = mergeSettings(DEFAULT_SETTINGS, { source: { kind: 'subword' }, target: { kind: 'subword' } });
  assert.deepEqual(settingsErrors(ok), []);
  const bad = mergeSettings(DEFAULT_SETTINGS, { source: { kind: 'bpe' as never } });
  assert.match(settingsErrors(bad).map((e) => e.field).join(), /source\.kind/);
});

test('a model with subword vocabularies computes a finite loss', async () => {
  const { tinyModel } = await import('../helpers/tinyModel');
  const { padBatch } = await import('../../src/model/data/data');
  const { tf } = await import('../../src/model/acceleration/backend');
  const { BOS } = await import('../../src/model/data/tokenizer');
  const src = ['the lower house', 'the newest house', 'a wide house'];
  const tgt = ['das untere Haus', 'das neueste Haus', 'ein breites Haus'];
  const model = await tinyModel({ source: subword(40), target: subword(40) }, src, tgt);
  assert.equal(model.source.kind, 'subword');
  const ex = src.map((s, i) => ({ src: model.source.encode(s), tgt: model.target.encode(tgt[i]), line: i + 1 }));
  const loss = tf.tidy(() => model.batchLoss(padBatch(ex, [0, 1, 2], BOS, EOS), null).loss.dataSync()[0]);
  assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
  model.dispose();
});
