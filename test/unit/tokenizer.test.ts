import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOS, DEFAULT_SUBWORD_VOCAB, EOS, PAD, SUBWORD_MIN_PAIRS, UNK, Vocabulary, chooseTokenizerKind, detectTokenizerKind } from '../../src/model/data/tokenizer';
import { resolveSettings } from '../../src/model/training/train';

test('char tokenizer round-trips text exactly, including spaces, accents and astral characters', () => {
  const texts = ['Grüße, Welt!', '  two  spaces ', 'emoji 🙂 ok', 'tab\there'];
  const v = Vocabulary.build(texts, { kind: 'char', lowercase: false, maxVocab: 1000 });
  for (const t of texts) assert.equal(v.decode([...v.encode(t), EOS]), t);
  assert.deepEqual(v.tokens.slice(0, 4), ['<pad>', '<s>', '</s>', '<unk>']);
});

test('decode stops at </s> and drops <s> and <pad>; unknown tokens become <unk>', () => {
  const v = Vocabulary.build(['ab'], { kind: 'char', lowercase: false, maxVocab: 100 });
  const a = v.index.get('a')!;
  assert.equal(v.decode([BOS, a, PAD, a, EOS, a]), 'aa');
  assert.deepEqual(v.encode('az'), [a, UNK]);
});

test('vocabulary size cap keeps the most frequent tokens', () => {
  const v = Vocabulary.build(['aaaa bbb cc d'], { kind: 'char', lowercase: false, maxVocab: 6 });
  assert.equal(v.size, 6);
  assert.ok(v.index.has('a') && v.index.has(' '));
  assert.ok(!v.index.has('d'));
});

test('word tokenizer splits punctuation and rejoins it without stray spaces; lower-casing applies', () => {
  const v = Vocabulary.build(['Hello, World! (test) it\'s'], { kind: 'word', lowercase: true, maxVocab: 100 });
  assert.deepEqual(v.tokenize('Hello, World!'), ['hello', ',', 'world', '!']);
  assert.equal(v.detokenize(v.tokenize('Hello, World! (test)')), 'hello, world! (test)');
});

test('detectTokenizerKind: phoneme-like symbol sequences are word level, prose is char level', () => {
  assert.deepEqual(detectTokenizerKind(['HH AH L OW', 'W ER L D', 'K AE T']), { kind: 'word', whitespaceOnly: true });
  assert.equal(detectTokenizerKind(['hello', 'world']).kind, 'char');
  const prose = Array.from({ length: 400 }, (_, i) => `sentence number ${i} with word${i}`);
  assert.equal(detectTokenizerKind(prose).kind, 'char');
});

test('vocabulary survives JSON round trip and rejects malformed data', () => {
  const v = Vocabulary.build(['HH AH', 'L OW'], { kind: 'word', lowercase: false, maxVocab: 50 }, true);
  const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
  assert.deepEqual(back.encode('HH OW'), v.encode('HH OW'));
  assert.equal(back.detokenize(['HH', 'AH']), 'HH AH');
  assert.throws(() => Vocabulary.fromJSON({ kind: 'char', lowercase: false, whitespaceOnly: false, tokens: ['x'] }), /malformed/);
});

/** `n` pairs of made-up sentences over ~600 distinct words (so prose, not a small symbol inventory). */
function sentencePairs(n: number): { source: string; target: string; line: number }[] {
  const word = (i: number) => `w${(i * 7919) % 600}x${'aeiou'[i % 5]}`;
  return Array.from({ length: n }, (_, i) => ({
    source: `${word(i)} ${word(i + 1)} ${word(i * 3)}`,
    target: `${word(i + 5)} ${word(i * 2)}`,
    line: i + 1,
  }));
}

test('chooseTokenizerKind: sentences with 10,000+ pairs get subwords; single words, symbol sequences and small data do not', () => {
  const sentences = sentencePairs(SUBWORD_MIN_PAIRS).map((p) => p.source);
  assert.equal(chooseTokenizerKind(sentences, SUBWORD_MIN_PAIRS), 'subword');
  assert.equal(chooseTokenizerKind(sentences, SUBWORD_MIN_PAIRS - 1), 'char');
  const singleWords = Array.from({ length: 2000 }, (_, i) => `word${i}`);
  assert.equal(chooseTokenizerKind(singleWords, 100000), 'char');
  const phonemes = Array.from({ length: 2000 }, (_, i) => ['K AE T', 'D AO G', 'HH AW S'][i % 3]);
  assert.equal(chooseTokenizerKind(phonemes, 100000), 'word');
});

test('resolveSettings: an automatic or explicit subword side gets DEFAULT_SUBWORD_VOCAB pieces unless --vocab is given', () => {
  const pairs = sentencePairs(SUBWORD_MIN_PAIRS);
  const auto = resolveSettings(pairs, 'fast', undefined);
  assert.equal(auto.source.kind, 'subword');
  assert.equal(auto.target.kind, 'subword');
  assert.equal(auto.source.maxVocab, DEFAULT_SUBWORD_VOCAB);
  const sized = resolveSettings(pairs, 'fast', { source: { maxVocab: 1000 }, target: { kind: 'char' } });
  assert.equal(sized.source.maxVocab, 1000);
  assert.equal(sized.target.kind, 'char');
  assert.equal(sized.target.maxVocab, 20000);
  const few = resolveSettings(pairs.slice(0, 500), 'fast', undefined);
  assert.equal(few.source.kind, 'char');
});

test('resolveSettings: a shared vocabulary is the target side\'s tokeniser on both sides; other settings of it are errors naming model.sharedVocab', () => {
  const pairs = sentencePairs(SUBWORD_MIN_PAIRS);
  const shared = resolveSettings(pairs, 'balanced', { model: { arch: 'transformer', sharedVocab: true }, target: { maxVocab: 3000 } });
  assert.deepEqual(shared.source, shared.target);
  assert.equal(shared.source.maxVocab, 3000);
  const field = (f: () => unknown) => { try { f(); } catch (e) { return String((e as Error).message); } return 'no error'; };
  assert.match(field(() => resolveSettings(pairs, 'balanced', { model: { arch: 'rnn', sharedVocab: true } })), /model\.sharedVocab.*Transformer/);
  assert.match(field(() => resolveSettings(pairs, 'balanced', { model: { arch: 'transformer', sharedVocab: true }, source: { kind: 'char' } })), /model\.sharedVocab.*same tokeniser/);
});

test('text that spells a special token ("</s>", "<s>") is <unk>, never the special id (found by the fuzz tier)', () => {
  const v = Vocabulary.build(['a </s> b', 'b <s> a'], { kind: 'word', lowercase: false, maxVocab: 100 }, true);
  assert.deepEqual(v.encode('a </s> b <s> <pad>'), [v.index.get('a'), UNK, v.index.get('b'), UNK, UNK]);
  assert.equal(new Set(v.tokens).size, v.tokens.length, 'no special spelling twice in the vocabulary');
});
