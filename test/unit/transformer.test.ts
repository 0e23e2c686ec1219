/** The Transformer encoder-decoder: masks, causality, incremental decoding and learning a toy task. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/model/tf';
import { padBatch, type BatchArrays, type Example } from '../../src/model/data/data';
import { BOS, EOS } from '../../src/model/data/tokenizer';
import type { Seq2SeqModel } from '../../src/model/network/seq2seq';
import type { SettingsOverrides } from '../../src/model/config';
import { trainModel } from '../../src/model/training/train';
import { loadModel } from '../../src/model/storage/store';
import { translate } from '../../src/model/decoding/translate';
import { reversePairs, tinyTransformer } from '../helpers/tinyModel';

const VARIANTS: [string, SettingsOverrides][] = [
  ['sinusoidal, tied, relu', {}],
  ['learned positions, untied, gelu', { model: { positions: 'learned', tieEmbeddings: false, activation: 'gelu', maxPositions: 32 } }],
  ['shared vocabulary, learned positions', { model: { sharedVocab: true, positions: 'learned', maxPositions: 32 } }],
];

const examples = (model: Seq2SeqModel): Example[] => [
  { src: model.source.encode('abcab'), tgt: model.target.encode('xyxyy'), line: 1 },
  { src: model.source.encode('c'), tgt: model.target.encode('y'), line: 2 },
  { src: model.source.encode('bca'), tgt: model.target.encode('yx'), line: 3 },
];

/** The batch with `extra` more padding steps on each side. */
function widen(b: BatchArrays, srcExtra: number, tgtExtra: number): BatchArrays {
  const grow = (ids: Int32Array, T: number, extra: number) => { const out = new Int32Array((T + extra) * b.batch); out.set(ids); return out; };
  return {
    ...b, src: grow(b.src, b.srcLen, srcExtra), srcLen: b.srcLen + srcExtra,
    tgtIn: grow(b.tgtIn, b.tgtLen, tgtExtra), tgtOut: grow(b.tgtOut, b.tgtLen, tgtExtra), tgtLen: b.tgtLen + tgtExtra,
  };
}

/** Log-probabilities [B, T, V] of every target position (all rows), teacher forced. */
function fullLogProbs(model: Seq2SeqModel, b: BatchArrays): number[][][] {
  return tf.tidy(() => {
    const rows = tf.range(0, b.batch * b.tgtLen, 1, 'int32') as tf.Tensor1D;
    const lp = tf.logSoftmax(model.network.teacherForcedLogits(b, rows, null));
    return tf.reshape(lp, [b.batch, b.tgtLen, -1]).arraySync() as number[][][];
  });
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

for (const [name, overrides] of VARIANTS) {
  test(`transformer (${name}): the loss and every real position's logits do not depend on source or target padding`, async () => {
    const model = await tinyTransformer(overrides);
    const b = padBatch(examples(model), [0, 1, 2], BOS, EOS);
    const base = tf.tidy(() => model.batchLoss(b, null).loss.dataSync()[0]);
    const baseLp = fullLogProbs(model, b);
    assert.ok(Number.isFinite(base) && base > 0);
    for (const [s, t] of [[3, 0], [0, 4], [5, 5]]) {
      const wide = widen(b, s, t);
      const l = tf.tidy(() => model.batchLoss(wide, null).loss.dataSync()[0]);
      assert.ok(Math.abs(l - base) < 1e-5, `padding ${s}/${t}: loss ${l} vs ${base}`);
      const lp = fullLogProbs(model, wide);
      // Row 1 ('c' -> 'y') is the padded one: its two real positions must not move.
      for (let r = 0; r < b.batch; r++) {
        const realPositions = examples(model)[r].tgt.length + 1;
        for (let p = 0; p < realPositions; p++) assert.ok(maxDiff(lp[r][p], baseLp[r][p]) < 1e-5, `row ${r} position ${p} moved with padding ${s}/${t}`);
      }
    }
    model.dispose();
  });

  test(`transformer (${name}): causal: changing later target tokens leaves earlier logits unchanged, and earlier ones change later logits`, async () => {
    const model = await tinyTransformer(overrides);
    const b = padBatch(examples(model), [0, 1, 2], BOS, EOS);
    const base = fullLogProbs(model, b);
    const changed = { ...b, tgtIn: b.tgtIn.slice() };
    const t0 = 3; // change row 0's inputs from position 3 on
    for (let t = t0; t < b.tgtLen; t++) changed.tgtIn[t * b.batch] = changed.tgtIn[t * b.batch] === 4 ? 5 : 4;
    const after = fullLogProbs(model, changed);
    for (let t = 0; t < t0; t++) assert.ok(maxDiff(after[0][t], base[0][t]) < 1e-6, `position ${t} saw a later token`);
    assert.ok(maxDiff(after[0][t0], base[0][t0]) > 1e-4, 'the changed position itself did not change');
    // And a change at position 1 reaches position 2 (the decoder does look back).
    const early = { ...b, tgtIn: b.tgtIn.slice() };
    early.tgtIn[1 * b.batch] = early.tgtIn[1 * b.batch] === 4 ? 5 : 4;
    assert.ok(maxDiff(fullLogProbs(model, early)[0][2], base[0][2]) > 1e-4, 'position 2 ignores position 1');
    model.dispose();
  });

  test(`transformer (${name}): incremental decoding with key/value caches equals the full forward pass at every step`, async () => {
    const model = await tinyTransformer(overrides);
    const b = padBatch(examples(model), [0, 1, 2], BOS, EOS);
    const full = fullLogProbs(model, b);
    const realPositions = examples(model).map((e) => e.tgt.length + 1);
    tf.tidy(() => {
      let state = model.startDecoding(b.src, b.srcLen, b.batch);
      for (let t = 0; t < b.tgtLen; t++) {
        const prev = tf.tensor1d(Array.from({ length: b.batch }, (_, r) => b.tgtIn[t * b.batch + r]), 'int32');
        const out = model.step(prev, state);
        const lp = out.logProbs.arraySync() as number[][];
        for (let r = 0; r < b.batch; r++) {
          if (t < realPositions[r]) assert.ok(maxDiff(lp[r], full[r][t]) < 1e-5, `step ${t} row ${r}: ${maxDiff(lp[r], full[r][t])}`);
        }
        state = out.state;
      }
    });
    model.dispose();
  });

  test(`transformer (${name}): stepping only the rows still decoding gives them the same log-probabilities and attention, and skips the rest`, async () => {
    const model = await tinyTransformer(overrides);
    const b = padBatch(examples(model), [0, 1, 2], BOS, EOS);
    const realPositions = examples(model).map((e) => e.tgt.length + 1);
    tf.tidy(() => {
      let all = model.startDecoding(b.src, b.srcLen, b.batch);
      let some = all;
      let skipped = 0;
      for (let t = 0; t < b.tgtLen; t++) {
        const prev = tf.tensor1d(Array.from({ length: b.batch }, (_, r) => b.tgtIn[t * b.batch + r]), 'int32');
        // A row is active until its real positions end, as search drops rows that produced </s>.
        const active = Int32Array.from([0, 1, 2].filter((r) => t < realPositions[r]));
        const full = model.step(prev, all, 0, null, true);
        const part = model.step(prev, some, 0, active.length < b.batch ? active : null, true);
        const [lpFull, lpPart] = [full.logProbs.arraySync() as number[][], part.logProbs.arraySync() as number[][]];
        const [atFull, atPart] = [full.attention!.arraySync() as number[][][], part.attention!.arraySync() as number[][][]];
        for (let r = 0; r < b.batch; r++) {
          if (active.includes(r)) {
            assert.ok(maxDiff(lpPart[r], lpFull[r]) < 1e-5, `step ${t} row ${r}: ${maxDiff(lpPart[r], lpFull[r])}`);
            assert.ok(maxDiff(atPart[r].flat(), atFull[r].flat()) < 1e-5, `step ${t} row ${r}: attention`);
          } else {
            assert.ok(lpPart[r].every((x) => x === 0), `step ${t} row ${r} finished but was computed`);
            skipped++;
          }
        }
        all = full.state;
        some = part.state;
      }
      assert.ok(skipped > 0, 'some row finished early');
    });
    model.dispose();
  });
}

test('transformer: a shared vocabulary is one embedding, read by the encoder, the decoder and the output', async () => {
  const model = await tinyTransformer({ model: { sharedVocab: true } });
  assert.equal(model.source, model.target);
  assert.ok(!model.params.has('encoder/embedding'));
  assert.equal(model.params.get('decoder/embedding')!.shape[0], model.target.size);
  // 'a' is a source-only token: its row of the one table moves its own (tied) output column, and
  // every other column only through the encoder. The same model (same seed) with that row moved,
  // before its first forward pass, gives other logits in the other columns.
  const a = model.source.encode('a')[0];
  const bumped = await tinyTransformer({ model: { sharedVocab: true } });
  const table = bumped.params.get('decoder/embedding')!;
  const rows = table.arraySync() as number[][];
  rows[a] = rows[a].map((x, i) => x + (i % 2 ? 0.5 : -0.3)); // not a constant shift, which every LayerNorm removes
  table.assign(tf.tensor2d(rows));
  const otherColumns = (m: Seq2SeqModel) => tf.tidy(() => {
    const b = padBatch(examples(m), [0, 1, 2], BOS, EOS);
    const logits = m.network.teacherForcedLogits(b, tf.range(0, b.batch * b.tgtLen, 1, 'int32') as tf.Tensor1D, null);
    return (logits.arraySync() as number[][]).flatMap((row) => row.filter((_, j) => j !== a));
  });
  assert.ok(maxDiff(otherColumns(bumped), otherColumns(model)) > 1e-3, 'the encoder does not read the shared table');
  model.dispose();
  bumped.dispose();
});

test('transformer: a step costs O(t): the self-attention caches grow by one position per step and hold every layer', async () => {
  const model = await tinyTransformer();
  tf.tidy(() => {
    const { ids, S, B } = model.encodeSources(['abc', 'ba']);
    let state = model.startDecoding(ids, S, B);
    for (let t = 1; t <= 4; t++) {
      state = model.step(tf.tensor1d([BOS, BOS], 'int32'), state).state;
      const shapes = state.tensors().map((x) => x.shape);
      // Per layer (2) the cache of keys and values [B, t, 2d], then per layer the memory's [B, S, 2d], then the mask.
      assert.deepEqual(shapes.slice(0, 2), [[2, t, 32], [2, t, 32]]);
      assert.deepEqual(shapes.slice(2, 4), [[2, S, 32], [2, S, 32]]);
    }
  });
  model.dispose();
});

test('transformer: beams reorder the caches: each beam continues its own history', async () => {
  // Decode two different prefixes in two rows, swap the rows, and step: each row's output must follow its prefix.
  const model = await tinyTransformer();
  tf.tidy(() => {
    const { ids, S, B } = model.encodeSources(['abc']);
    const rows2 = tf.tensor1d([0, 0], 'int32');
    let state = model.startDecoding(ids, S, B).tile(rows2);
    state = model.step(tf.tensor1d([BOS, BOS], 'int32'), state).state;
    state = model.step(tf.tensor1d([4, 5], 'int32'), state).state;
    const straight = model.step(tf.tensor1d([EOS, EOS], 'int32'), state).logProbs.arraySync() as number[][];
    const swapped = state.reorder(tf.tensor1d([1, 0], 'int32'));
    const after = model.step(tf.tensor1d([EOS, EOS], 'int32'), swapped).logProbs.arraySync() as number[][];
    assert.ok(maxDiff(straight[0], straight[1]) > 1e-4, 'the two histories give the same output');
    assert.ok(maxDiff(after[0], straight[1]) < 1e-6 && maxDiff(after[1], straight[0]) < 1e-6, 'the caches did not follow their rows');
  });
  model.dispose();
});

test('transformer: a tiny model learns to reverse strings to 100 % exact match within seconds, and its saved folder translates the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'transformer-reverse-'));
  const data = join(dir, 'train.tsv');
  const dev = join(dir, 'dev.tsv');
  writeFileSync(data, reversePairs(3000, 3).join('\n') + '\n');
  const devLines = reversePairs(200, 99);
  writeFileSync(dev, devLines.join('\n') + '\n');
  const modelDir = join(dir, 'model');
  const end = await trainModel({
    dataFile: data, devFile: dev, modelDir, resume: false, threads: 1,
    settings: {
      model: { arch: 'transformer', dModel: 64, heads: 4, ff: 128, encLayers: 2, decLayers: 2, dropout: 0, attentionDropout: 0 },
      train: { epochs: 16, batch: 64, lr: 0.0015, warmupSteps: 100, patience: 0, seed: 2 },
    },
  }, () => {});
  assert.equal(end.reason, 'completed');
  const model = await loadModel(modelDir);
  assert.equal(model.settings.model.arch, 'transformer');
  const sources = devLines.map((l) => l.split('\t')[0]);
  const out = await translate(model, sources, { strategy: 'greedy' });
  const wrong = sources.filter((s, i) => out[i][0].text !== [...s].reverse().join(''));
  assert.deepEqual(wrong, [], `not reversed: ${wrong.slice(0, 5).join(', ')}`);
  model.dispose();
});
