import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOS, EOS, PAD, UNK, Vocabulary, detectTokenizerKind } from '../../src/model/tokenizer';

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
