/**
 * Text generation (issue 18): white space through tokenisers, window pairs and generation; the
 * folder reader (.gitignore, binary files); the held-out split by file; per-character perplexity of
 * known distributions (the n-gram by hand, a model whose weights make a uniform distribution); a
 * generation request of any length bounded and cancellable.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { tf } from '../../src/model/tf';
import { BOS, EOS, PAD, Vocabulary } from '../../src/model/data/tokenizer';
import { padBatch } from '../../src/model/data/data';
import { listCorpus } from '../../src/model/generation/textFolder';
import { splitCorpus, textExamples, type TextPart } from '../../src/model/generation/generationData';
import { contextWindow, windowExamples } from '../../src/model/generation/windows';
import { CharNgram } from '../../src/model/generation/ngram';
import { modelPerplexity, ngramPerplexity } from '../../src/model/generation/perplexity';
import { generate } from '../../src/model/generation/generate';
import { CancelledError } from '../../src/model/decoding/translate';
import { MAX_GENERATE_TOKENS } from '../../src/model/decoding/decodeOptions';
import { trainModel } from '../../src/model/training/train';
import { loadModel } from '../../src/model/storage/store';
import { tinyModel, tinyTransformer } from '../helpers/tinyModel';

const dir = mkdtempSync(join(tmpdir(), 'seq2seq-generation-'));
const KINDS = ['char', 'word', 'subword'] as const;
/** Text with every kind of white space code has: runs of spaces, tabs, blank lines, CR inside a line, a "▁". */
const textArb = fc.array(fc.constantFrom('a', 'b', 'def', '(', ')', ':', ' ', '  ', '    ', '\t', '\n', '\n\n', '\r', '▁', 'é', '😀', '_x'), { maxLength: 60 }).map((p) => p.join(''));

test('exact tokenisers (char, word, subword) give back every space, tab and newline', () => {
  fc.assert(fc.property(textArb, textArb, fc.constantFrom(...KINDS), (train, text, kind) => {
    const v = Vocabulary.build([text, train], { kind, lowercase: false, maxVocab: kind === 'subword' ? 60 : 10000 }, false, true);
    assert.equal(v.tokenize(text).join(''), text, 'the tokens spell the text');
    // Saved and loaded, ids and back: the same text (every character of it was in the training text).
    const loaded = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    assert.equal(loaded.decode(loaded.encode(text)), text);
  }), { seed: 18, numRuns: 600 });
  const code = 'class A:\n    def f(self):\n\t\treturn  1\n\n\n    # end \n';
  for (const kind of KINDS) {
    const v = Vocabulary.build([code], { kind, lowercase: false, maxVocab: 100 }, false, true);
    assert.equal(v.decode(v.encode(code)), code, kind);
  }
  // Without exactness, subwords normalise white space (what pairs models keep doing).
  const plain = Vocabulary.build([code], { kind: 'subword', lowercase: false, maxVocab: 100 });
  assert.notEqual(plain.decode(plain.encode(code)), code);
});

test('window pairs: the targets are the text in order, each source the window before it, <s> where it reaches the start', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 4, max: 30 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), (ids, window, chunk) => {
    const all = Int32Array.from(ids);
    const ex = windowExamples(all, window, chunk);
    assert.deepEqual(ex.flatMap((e) => Array.from(e.tgt)), ids);
    let at = 0;
    ex.forEach((e, i) => {
      const src = Array.from(e.src);
      assert.ok(src.length >= 1 && src.length <= window);
      const text = ids.slice(Math.max(0, at - window), at);
      if (at < window) assert.deepEqual(src, [BOS, ...ids.slice(0, at)].slice(-window));
      else assert.deepEqual(src, text);
      assert.equal(e.open, i < ex.length - 1, 'only the last chunk of a text ends it');
      at += e.tgt.length;
    });
  }), { seed: 5, numRuns: 300 });
  assert.deepEqual(Array.from(contextWindow([7, 8, 9], 3, 10)), [BOS, 7, 8, 9]);
});

test('an open chunk (mid-text) learns no </s>; the last chunk of a text does', () => {
  const ex = windowExamples(Int32Array.from([5, 6, 7, 8, 9]), 4, 3);
  const b = padBatch(ex, [0, 1], BOS, EOS);
  // Time-major [T * B]: chunk 0 = 5 6 7 (open), chunk 1 = 8 9 </s>.
  assert.deepEqual(Array.from(b.tgtOut), [5, 8, 6, 9, 7, EOS, PAD, PAD]);
  assert.equal(b.targetTokens, 3 + 3);
});

test('pairs from an indented file keep its indentation, blank lines and line ends exactly', async () => {
  const code = 'def f(x):\n    if x:\n        return 1\n\n    return 2\n';
  const p = join(dir, 'indented.py');
  writeFileSync(p, code.repeat(5));
  const { corpus, train } = await splitCorpus(p, undefined, 0, 1);
  assert.equal(corpus.files.length, 1);
  for (const kind of KINDS) {
    const v = Vocabulary.build([code], { kind, lowercase: false, maxVocab: 200 }, false, true);
    const { examples, pairs, chars } = await textExamples(train, v, 12, 7, true);
    assert.equal(pairs.map((x) => x.target).join(''), code.repeat(5), kind);
    assert.equal(chars, code.length * 5);
    assert.equal(v.decode(examples.flatMap((e) => Array.from(e.tgt))), code.repeat(5));
  }
});

test('a folder is read as git sees it: .gitignore (nested too), .git, binary and non-UTF-8 files skipped and counted', async () => {
  const root = join(dir, 'workspace');
  const put = (rel: string, content: string | Buffer) => { mkdirSync(join(root, rel, '..'), { recursive: true }); writeFileSync(join(root, rel), content); };
  put('.gitignore', 'build/\n*.log\n!keep.log\n');
  put('notes.md', '# Notes\n\n- one\n  - two\n');
  put('src/a.py', 'def a():\n    pass\n');
  put('src/.gitignore', 'secret.py\n');
  put('src/secret.py', 'password = 1\n');
  put('src/deep/b.py', 'x = 1\n');
  put('build/out.py', 'generated = True\n');
  put('debug.log', 'noise\n');
  put('keep.log', 'kept\n');
  put('.git/config', '[core]\n');
  put('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
  put('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6e, 0x61, 0xef, 0x76, 0x65, 0x0a]));
  put('empty.txt', '');
  put('mostly.txt', Buffer.concat([Buffer.from('fine line\n'.repeat(150)), Buffer.from([0x62, 0xe9, 0x0a])]));
  const c = await listCorpus(root);
  assert.deepEqual(c.files.map((f) => f.name), ['.gitignore', 'keep.log', 'notes.md', 'src/.gitignore', 'src/a.py', 'src/deep/b.py']);
  assert.equal(c.skippedBinary, 3, 'the PNG, the Latin-1 file and the one with a single bad line');
  assert.deepEqual(c.skippedExamples.sort(), ['image.png', 'latin1.txt', 'mostly.txt']);
  assert.equal(c.ignored, 3, 'build/, debug.log and src/secret.py');
  assert.equal(c.files.find((f) => f.name === 'notes.md')!.chars, '# Notes\n\n- one\n  - two\n'.length);
  await assert.rejects(listCorpus(join(root, 'image.png')), /not UTF-8 text/);
  put('assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
  await assert.rejects(listCorpus(join(root, 'assets')), /assets: no text files to learn from \(1 binary or not UTF-8, 0 ignored by \.gitignore\)/);
});

test('the held-out split is by whole file, the same every time, about devFraction of the characters', async () => {
  const root = join(dir, 'many');
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(root, `f${String(i).padStart(2, '0')}.txt`), `file ${i}\n`.repeat(10 + i));
  const a = await splitCorpus(root, undefined, 0.1, 3);
  const b = await splitCorpus(root, undefined, 0.1, 3);
  const names = (parts: TextPart[]) => parts.map((p) => p.source.name);
  assert.deepEqual(names(a.dev), names(b.dev), 'eval finds the split training made');
  assert.ok(a.dev.length >= 1 && a.train.length >= 1);
  assert.equal(new Set([...names(a.train), ...names(a.dev)]).size, 40, 'every file on one side only');
  assert.ok(a.dev.every((p) => p.fromLine === undefined && p.toLine === undefined), 'whole files');
  const share = a.dev.reduce((n, p) => n + p.source.chars, 0) / a.corpus.files.reduce((n, f) => n + f.chars, 0);
  assert.ok(share > 0.05 && share < 0.2, `held out ${share}`);
  assert.notDeepEqual(names((await splitCorpus(root, undefined, 0.1, 4)).dev), names(a.dev), 'another seed, another split');
});

test('the Witten-Bell n-gram gives the hand-computed probabilities and perplexity', async () => {
  const lm = new CharNgram(2);
  lm.add('abab');
  // Unigrams: a 2, b 2 (N 4, T 2); uniform over {a, b} + 1 unseen = 1/3.
  const pUni = (c: number) => (c + 2 / 3) / (4 + 2);
  assert.ok(Math.abs(lm.probability('a', []) - pUni(2)) < 1e-12);
  assert.ok(Math.abs(lm.probability('z', []) - pUni(0)) < 1e-12);
  // After "a": b twice (C 2, T 1): P(b | a) = (2 + 1 * P(b)) / 3; P(a | a) = (0 + P(a)) / 3.
  assert.ok(Math.abs(lm.probability('b', ['a']) - (2 + pUni(2)) / 3) < 1e-12);
  assert.ok(Math.abs(lm.probability('a', ['a']) - pUni(2) / 3) < 1e-12);
  // After "b": a once (C 1, T 1).
  assert.ok(Math.abs(lm.probability('a', ['b']) - (1 + pUni(2)) / 2) < 1e-12);
  // A history never seen backs off to the unigram.
  assert.equal(lm.probability('a', ['q']), lm.probability('a', []));
  // Every distribution sums to one over the alphabet and the unseen character.
  for (const h of [[], ['a'], ['b'], ['q']]) assert.ok(Math.abs(lm.probability('a', h) + lm.probability('b', h) + lm.probability('z', h) - 1) < 1e-12);
  // "ba" scored: P(b) then P(a | b); perplexity = exp(nats / 2).
  const s = lm.score('ba');
  const expected = -Math.log(pUni(2)) - Math.log((1 + pUni(2)) / 2);
  assert.ok(Math.abs(s.nats - expected) < 1e-12);
  const train = join(dir, 'abab.txt');
  const held = join(dir, 'ba.txt');
  writeFileSync(train, 'abab');
  writeFileSync(held, 'ba');
  const r = await ngramPerplexity((await splitCorpus(train, undefined, 0, 1)).train, (await splitCorpus(held, undefined, 0, 1)).train, 2);
  assert.ok(Math.abs(r.perplexity - Math.exp(expected / 2)) < 1e-12);
});

test('per-character perplexity of a model that is a known distribution: uniform over V is V per character; subword nats are spread over characters', async () => {
  const text = 'ab ba\n  abba\n';
  const p = join(dir, 'uniform.txt');
  writeFileSync(p, text.repeat(3));
  const parts = (await splitCorpus(p, undefined, 0, 1)).train;
  for (const kind of ['char', 'subword'] as const) {
    const model = await tinyModel({ train: { window: 5, chunk: 4 }, source: { kind }, target: { kind } }, [text], [text]);
    const vocab = Vocabulary.build([text], { kind, lowercase: false, maxVocab: 12 }, false, true);
    const exact = await tinyModelWith(model, vocab);
    // Zero output weights and bias: every token, </s> and the specials included, has probability 1 / V.
    for (const [name, v] of exact.params) if (name.startsWith('output/')) v.assign(tf.zerosLike(v));
    const V = exact.target.size;
    const r = await modelPerplexity(exact, parts);
    const tokens = vocab.tokenize(text.repeat(3)).length;
    assert.equal(r.tokens, tokens);
    assert.equal(r.chars, text.length * 3);
    assert.ok(Math.abs(r.perplexity - Math.exp((tokens * Math.log(V)) / r.chars)) < 1e-4, `${kind}: ${r.perplexity}`);
    if (kind === 'char') assert.ok(Math.abs(r.perplexity - V) < 1e-4);
    else assert.ok(tokens < r.chars && r.perplexity < V, 'fewer subword tokens than characters: below V per character');
    exact.dispose();
    model.dispose();
  }
});

/** A model with the tiny model's settings and an exact vocabulary on both sides. */
async function tinyModelWith(model: Awaited<ReturnType<typeof tinyModel>>, vocab: Vocabulary) {
  const { Seq2SeqModel } = await import('../../src/model/network/seq2seq');
  return Seq2SeqModel.create(model.settings, vocab, vocab);
}

test('a generation request of any length is bounded, stops at its limits, and is cancellable between tokens', async () => {
  const letters = 'ab\n ';
  const model = await tinyModel({ train: { window: 8, chunk: 4 } }, [letters], [letters]);
  setEndBias(model, -50);
  try {
    await assert.rejects(generate(model, 'ab', { maxTokens: MAX_GENERATE_TOKENS + 1 }, () => {}), /maxTokens must be a whole number from 1 to 100000/);
    await assert.rejects(generate(model, 'ab', { maxTokens: 0 }, () => {}), /maxTokens/);
    await assert.rejects(generate(model, 'ab', { maxLines: -1 }, () => {}), /maxLines/);
    // The largest request, cancelled after a few tokens: it stops there.
    const controller = new AbortController();
    let pieces = 0;
    await assert.rejects(generate(model, 'ab', { maxTokens: MAX_GENERATE_TOKENS, decode: { seed: 1 } }, () => { if (++pieces === 5) controller.abort(); }, controller.signal),
      (e: unknown) => e instanceof CancelledError);
    assert.equal(pieces, 5, 'no token after the cancel');
    // Streamed pieces add up to the result, and the token limit holds across chunks (4 tokens each).
    let streamed = '';
    const r = await generate(model, 'ab', { maxTokens: 37, decode: { seed: 2 } }, (t) => { streamed += t; });
    assert.equal(streamed, r.text);
    assert.ok(r.tokens <= 37 && r.text.length <= 37);
    if (r.stopped === 'max-tokens') assert.equal(r.tokens, 37);
    // Lines: stops just after the line end that reaches the limit.
    const lines = await generate(model, 'ab', { maxTokens: 5000, maxLines: 3, decode: { seed: 3, temperature: 2, topP: 1 } }, () => {});
    if (lines.stopped === 'max-lines') {
      assert.equal(lines.text.split('\n').length - 1, 3);
      assert.ok(lines.text.endsWith('\n'));
    }
    // A blank line: the text ends with the line end before it, and the white space of the blank line was never sent.
    let sent = '';
    const blank = await generate(model, 'ab', { maxTokens: 5000, stopAtBlankLine: true, decode: { seed: 4, temperature: 2, topP: 1 } }, (t) => { sent += t; });
    assert.equal(blank.stopped, 'blank-line');
    assert.equal(sent, blank.text);
    assert.ok(/\n$/.test(blank.text) && !/\n[^\S\n]*\n/.test(blank.text), JSON.stringify(blank.text));
  } finally {
    model.dispose();
  }
});

/** The output layer's bias for </s> set to `value` (large: the model ends every text at once; very negative: never). */
function setEndBias(model: Awaited<ReturnType<typeof tinyModel>>, value: number): void {
  const bias = model.params.get('output/bias')!;
  const b = bias.dataSync().slice() as Float32Array;
  b[2] = value;
  bias.assign(tf.tensor1d(b));
}

test('the Transformer generates through the same loop: chunks across the window, streamed, bounded, same text for the same seed', async () => {
  const letters = 'ab\n ';
  const model = await tinyTransformer({ train: { window: 6, chunk: 3 } }, [letters], [letters]);
  setEndBias(model, -50);
  try {
    let streamed = '';
    const r = await generate(model, 'ab\n', { maxTokens: 20, decode: { seed: 5 } }, (t) => { streamed += t; });
    assert.deepEqual([r.stopped, r.tokens, streamed], ['max-tokens', 20, r.text]);
    assert.equal((await generate(model, 'ab\n', { maxTokens: 20, decode: { seed: 5 } }, () => {})).text, r.text);
  } finally {
    model.dispose();
  }
});

test('generation stops where the model ends the text (</s>)', async () => {
  const letters = 'abc';
  const model = await tinyModel({ train: { window: 8, chunk: 4 } }, [letters], [letters]);
  try {
    setEndBias(model, 50);
    for (const [name, v] of model.params) if (name === 'output/kernel') v.assign(tf.zerosLike(v));
    const r = await generate(model, 'abc', { maxTokens: 100 }, () => {});
    assert.deepEqual([r.stopped, r.text, r.tokens], ['end-of-text', '', 1]);
  } finally {
    model.dispose();
  }
});

test('a tiny model trained on an indented file continues it with its indentation (training, saving, loading, generation)', async () => {
  const code = 'def f(x):\n    if x:\n        return 1\n    return 2\n\n';
  const data = join(dir, 'indent-corpus');
  mkdirSync(data, { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(join(data, `m${i}.py`), code.repeat(12));
  const modelDir = join(dir, 'indent-model');
  await trainModel({
    dataFile: data, modelDir, resume: false, preset: 'fast', threads: 1, task: 'generate',
    settings: {
      model: { emb: 16, hidden: 64, bidirectional: false, dropout: 0 }, train: { epochs: 60, batch: 16, patience: 0, labelSmoothing: 0, lr: 0.01, window: 24, chunk: 12 },
      source: { kind: 'char' }, target: { kind: 'char' },
    },
  }, () => {});
  const model = await loadModel(modelDir);
  try {
    assert.equal(model.target.exact, true, 'saved and loaded as an exact vocabulary');
    const r = await generate(model, 'def f(x):\n', { maxTokens: 80, decode: { temperature: 0 } }, () => {});
    const expected = code.repeat(3).slice('def f(x):\n'.length);
    assert.equal(r.text.slice(0, 60), expected.slice(0, 60));
  } finally {
    model.dispose();
  }
});

test('a stopped generation run resumes on the same split and windows, with its settings', async () => {
  const data = join(dir, 'resume-corpus');
  mkdirSync(data, { recursive: true });
  for (let i = 0; i < 6; i++) writeFileSync(join(data, `n${i}.txt`), `note ${i}:\n  - item\n`.repeat(20 + i));
  const modelDir = join(dir, 'resume-model');
  const starts: { data: { pairs: number }; dev: { pairs: number }; settings: { train: { window: number; chunk: number } } }[] = [];
  const onEvent = (e: { kind: string }) => { if (e.kind === 'start') starts.push(e as never); };
  const settings = { model: { emb: 8, hidden: 16, bidirectional: false, dropout: 0 }, train: { epochs: 1, batch: 8, window: 16, chunk: 8 }, source: { kind: 'char' as const }, target: { kind: 'char' as const } };
  const first = await trainModel({ dataFile: data, modelDir, resume: false, preset: 'fast', threads: 1, task: 'generate', settings }, onEvent);
  const again = await trainModel({ dataFile: data, modelDir, resume: true, threads: 1, settings: { train: { epochs: 2 } } }, onEvent);
  assert.equal(again.epochs, 2);
  assert.equal(again.steps, 2 * first.steps, 'the second epoch has as many steps as the first');
  assert.deepEqual(starts.map((s) => [s.data.pairs, s.dev.pairs, s.settings.train.window, s.settings.train.chunk]), [[starts[0]!.data.pairs, starts[0]!.dev.pairs, 16, 8], [starts[0]!.data.pairs, starts[0]!.dev.pairs, 16, 8]]);
  assert.ok(starts[0]!.dev.pairs > 0, 'a file held out');
});

test('a generation model is chosen by held-out loss, not by BLEU of its continuations (training and tune rank alike)', async () => {
  const { devScore } = await import('../../src/model/training/run');
  const dev = (loss: number, bleu: number) => ({ loss, accuracy: 0, perplexity: Math.exp(loss), bleu, chrf: bleu, per: 0, wer: 0 });
  assert.ok(devScore('bleu', dev(1.2, 0), 0, 'generate') > devScore('bleu', dev(1.5, 30), 0, 'generate'));
  assert.ok(devScore('bleu', dev(1.2, 0), 0, 'pairs') < devScore('bleu', dev(1.5, 30), 0, 'pairs'), 'pairs keep BLEU first');
});
