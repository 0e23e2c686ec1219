/**
 * The attention view's data: each hypothesis's attention map from the same decoding call. Rows are
 * the output tokens (</s> included), columns the input's own tokens (not the batch's padding), every
 * row sums to 1; the rows are those the hypothesis's tokens were produced with (beam search moves
 * them with its beams: replaying a hypothesis token by token gives the same weights); asking for
 * them changes no output; and on a toy copy task, trained in seconds, each output token attends
 * most to the input token it copies (recurrent with Luong and Bahdanau attention, and the Transformer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/model/tf';
import type { SettingsOverrides } from '../../src/model/config';
import { DEFAULT_DECODE, type AttentionMap, type DecodeOptions, type Hypothesis } from '../../src/model/decoding/decodeOptions';
import { decodeBatch } from '../../src/model/decoding/search';
import { translate } from '../../src/model/decoding/translate';
import { BOS, EOS, PAD, SPECIALS } from '../../src/model/data/tokenizer';
import type { Seq2SeqModel } from '../../src/model/network/seq2seq';
import { loadModel } from '../../src/model/storage/store';
import { trainModel } from '../../src/model/training/train';
import { tinyModel, tinyTransformer } from '../helpers/tinyModel';

const INPUTS = ['abcab', 'c', 'bca', 'ccab'];
const TARGETS = ['xyz', 'yx', 'zwx', 'wzv', 'uvw'];

/** Weights at a scale where the attention is far from uniform and beams disagree. */
function randomize(model: Seq2SeqModel, seed: number): Seq2SeqModel {
  for (const v of model.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.8, 'float32', seed++));
  return model;
}

const MODELS: [string, () => Promise<Seq2SeqModel>][] = [
  ['LSTM, Luong', async () => randomize(await tinyModel({ model: { attention: 'luong', bidirectional: true } }, INPUTS, TARGETS), 10)],
  ['GRU, Bahdanau, 2 layers', async () => randomize(await tinyModel({ model: { cell: 'gru', attention: 'bahdanau', layers: 2 } }, INPUTS, TARGETS), 20)],
  ['Transformer', async () => randomize(await tinyTransformer({}, INPUTS, TARGETS), 30)],
];

const STRATEGIES: [string, Partial<DecodeOptions>][] = [
  ['greedy', { strategy: 'greedy' }],
  ['beam 4, 4-best', { strategy: 'beam', beamSize: 4, nBest: 4, lengthPenalty: 0.6 }],
  ['sampling, 3 samples', { strategy: 'sample', nBest: 3, temperature: 1, seed: 4 }],
];

const options = (o: Partial<DecodeOptions>, attention: boolean): DecodeOptions => ({ ...DEFAULT_DECODE, maxLength: 6, ...o, attention });

/** A hypothesis's ids as the search produced them: its tokens, then </s> when the map says it ended so. */
function idsOf(model: Seq2SeqModel, a: AttentionMap): number[] {
  return a.target.map((tok) => model.target.index.get(tok)!);
}

function assertRowsSumToOne(m: number[][], what: string): void {
  m.forEach((row, t) => {
    assert.ok(row.every((w) => w >= 0 && w <= 1), `${what}: row ${t} has weights outside [0, 1]`);
    const sum = row.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `${what}: row ${t} sums to ${sum}`);
  });
}

function assertWellFormed(model: Seq2SeqModel, text: string, h: Hypothesis, what: string): void {
  const a = h.attention;
  assert.ok(a, `${what}: a map`);
  assert.deepEqual(a.source, model.sourceTokens(text), `${what}: the input's own tokens are the columns`);
  // Every token produced is a row, </s>, <s> and <pad> too (the text leaves those out).
  const ended = a.target.at(-1) === '</s>';
  assert.ok(!a.target.slice(0, -1).includes('</s>'), `${what}: </s> only at the end`);
  const unseen = new Set<string>([SPECIALS[PAD], SPECIALS[BOS], SPECIALS[EOS]]);
  assert.deepEqual(a.target.filter((tok) => !unseen.has(tok)), h.tokens, `${what}: the output tokens are the rows`);
  assert.ok(ended || a.target.length === options({}, true).maxLength, `${what}: rows up to </s> or the length limit`);
  assert.equal(a.weights.length, a.target.length, `${what}: one row per output token`);
  for (const row of a.weights) assert.equal(row.length, a.source.length, `${what}: one column per input token`);
  assertRowsSumToOne(a.weights, what);
  if (model.settings.model.arch !== 'transformer') {
    assert.deepEqual(a.heads, []);
    return;
  }
  const { decLayers, heads } = model.settings.model;
  assert.deepEqual(a.heads.map((x) => [x.layer, x.head]), Array.from({ length: decLayers * heads }, (_, i) => [Math.floor(i / heads), i % heads]));
  for (const x of a.heads) assertRowsSumToOne(x.weights, `${what}: layer ${x.layer} head ${x.head}`);
  const last = a.heads.filter((x) => x.layer === decLayers - 1);
  a.weights.forEach((row, t) => row.forEach((w, s) => {
    const mean = last.reduce((sum, x) => sum + x.weights[t][s], 0) / last.length;
    assert.ok(Math.abs(w - mean) < 1e-6, `${what}: weights are the last layer's heads averaged`);
  }));
}

/** The hypothesis decoded again alone, token by token, with its own ids: the weights of each step (the RNN's one map, or every head). */
function replay(model: Seq2SeqModel, text: string, ids: number[]): number[][][] {
  return tf.tidy(() => {
    const { ids: src, S, B } = model.encodeSources([text]);
    let state = model.startDecoding(src, S, B);
    let prev = BOS;
    const rows: number[][][] = [];
    for (const id of ids) {
      const r = model.step(tf.tensor1d([prev], 'int32'), state, 0, null, true);
      rows.push((r.attention!.arraySync() as number[][][])[0]);
      state = r.state;
      prev = id;
    }
    return rows;
  });
}

for (const [name, make] of MODELS) {
  test(`attention maps (${name}): rows for the output tokens over the input's tokens, summing to 1, the same outputs as without`, async () => {
    const model = await make();
    for (const [how, o] of STRATEGIES) {
      const plain = decodeBatch(model, INPUTS, options(o, false));
      const withMaps = decodeBatch(model, INPUTS, options(o, true));
      assert.deepEqual(withMaps.map((hs) => hs.map(({ attention: _a, ...rest }) => rest)), plain, `${how}: the same hypotheses and scores`);
      assert.ok(plain.flat().every((h) => h.attention === undefined), `${how}: no maps unless asked`);
      withMaps.forEach((hs, i) => hs.forEach((h, j) => assertWellFormed(model, INPUTS[i], h, `${how}, input ${i}, hypothesis ${j}`)));
    }
    model.dispose();
  });

  test(`attention maps (${name}): each hypothesis's rows are the weights its own tokens were produced with (beams move them along)`, async () => {
    const model = await make();
    for (const [how, o] of STRATEGIES) {
      const out = decodeBatch(model, INPUTS, options(o, true));
      let reordered = false;
      out.forEach((hs, i) => hs.forEach((h, j) => {
        const a = h.attention!;
        const again = replay(model, INPUTS[i], idsOf(model, a));
        const maps = a.heads.length ? a.heads.map((x) => x.weights) : [a.weights];
        again.forEach((step, t) => maps.forEach((m, k) => {
          const got = m[t];
          const want = step[k].slice(0, a.source.length);
          const diff = Math.max(...got.map((w, s) => Math.abs(w - want[s])));
          assert.ok(diff < 1e-4, `${how}, input ${i}, hypothesis ${j}, token ${t}, map ${k}: differs from the replay by ${diff}`);
        }));
        // A hypothesis that is not beam 0's all along: its rows came through reordering.
        if (how.startsWith('beam') && j > 0) reordered = true;
      }));
      if (how.startsWith('beam')) assert.ok(reordered, 'beam search gave hypotheses besides the first');
    }
    model.dispose();
  });
}

test('attention maps: a model without attention has none, even when asked', async () => {
  const model = randomize(await tinyModel({ model: { attention: 'none' } }, INPUTS, TARGETS), 40);
  for (const [, o] of STRATEGIES) {
    const out = decodeBatch(model, INPUTS, options(o, true));
    assert.ok(out.flat().every((h) => h.attention === undefined));
  }
  model.dispose();
});

test('attention maps: an empty input has none; translate passes the flag through', async () => {
  const model = randomize(await tinyModel({}, INPUTS, TARGETS), 50);
  const out = await translate(model, ['', 'abc'], { attention: true, maxLength: 5 });
  assert.equal(out[0][0].attention, undefined);
  assert.deepEqual(out[1][0].attention?.source, ['a', 'b', 'c']);
  model.dispose();
});

// ---- a known alignment: copying ---------------------------------------------------------------

/** Copy pairs of 4-9 letters from 12: the copy of letter t is output token t. */
function copyPairs(n: number, seed: number): string[] {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  return Array.from({ length: n }, () => {
    const w = Array.from({ length: 4 + Math.floor(rand() * 6) }, () => 'abcdefghijkl'[Math.floor(rand() * 12)]).join('');
    return `${w}\t${w}`;
  });
}

const COPY_MODELS: [string, SettingsOverrides][] = [
  ['LSTM with Luong attention', { model: { cell: 'lstm', attention: 'luong', emb: 24, hidden: 48, layers: 1, bidirectional: false, dropout: 0 }, train: { lr: 0.005 } }],
  ['GRU with Bahdanau attention', { model: { cell: 'gru', attention: 'bahdanau', emb: 24, hidden: 48, layers: 1, bidirectional: false, dropout: 0 }, train: { lr: 0.005 } }],
  ['Transformer', {
    model: { arch: 'transformer', dModel: 32, heads: 2, ff: 64, encLayers: 1, decLayers: 2, dropout: 0, attentionDropout: 0 },
    train: { lr: 0.003, warmupSteps: 100 },
  }],
];

for (const [name, settings] of COPY_MODELS) {
  test(`attention maps follow a known alignment: a ${name} trained to copy attends from each output letter to the letter it copies`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'attention-copy-'));
    try {
      const data = join(dir, 'train.tsv');
      writeFileSync(data, copyPairs(2000, 5).join('\n') + '\n');
      await trainModel({
        dataFile: data, modelDir: join(dir, 'model'), resume: false, threads: 1,
        settings: { ...settings, train: { ...settings.train, epochs: 10, batch: 32, patience: 0, seed: 2, labelSmoothing: 0 } },
      }, () => {});
      const model = await loadModel(join(dir, 'model'));
      const inputs = copyPairs(60, 77).map((l) => l.split('\t')[0]);
      const out = await translate(model, inputs, { strategy: 'greedy', attention: true });
      let rows = 0;
      let aligned = 0;
      out.forEach(([h], i) => {
        assertWellFormed(model, inputs[i], h, inputs[i]);
        // Output letter t copies input letter t (the </s> row has no letter of its own).
        h.attention!.weights.slice(0, inputs[i].length).forEach((row, t) => {
          rows++;
          if (row.indexOf(Math.max(...row)) === t) aligned++;
        });
      });
      const copied = inputs.filter((s, i) => out[i][0].text === s).length;
      t.diagnostic(`${copied} of ${inputs.length} copied exactly; ${aligned} of ${rows} output letters attend most to the letter they copy`);
      assert.ok(copied >= 0.9 * inputs.length, `the model learned to copy (${copied} of ${inputs.length})`);
      assert.ok(aligned >= 0.9 * rows, `${aligned} of ${rows} output letters attend most to the letter they copy`);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
