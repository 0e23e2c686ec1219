import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { DEFAULT_DECODE, type DecodeOptions } from '../../src/model/decoding/decodeOptions';
import { beamDecode, decodeBatch, greedyDecode, lengthPenalty, sampleRow } from '../../src/model/decoding/search';
import { rng } from '../../src/model/data/data';
import { BOS, EOS } from '../../src/model/data/tokenizer';
import type { DecoderState } from '../../src/model/network/seq2seq';
import { tinyModel, tinyTransformer } from '../helpers/tinyModel';

const opts = (o: Partial<DecodeOptions>): DecodeOptions => ({ ...DEFAULT_DECODE, lengthPenalty: 0, ...o });
const inputs = ['abc', 'cab', 'b', 'acbca'];

test('beam size 1 equals greedy (tokens and log-probabilities)', async () => {
  const model = await tinyModel({ model: { attention: 'bahdanau', bidirectional: true } });
  const g = greedyDecode(model, inputs, opts({ maxLength: 8 }));
  const b = beamDecode(model, inputs, opts({ strategy: 'beam', beamSize: 1, maxLength: 8 }));
  for (let i = 0; i < inputs.length; i++) {
    assert.deepEqual(b[i][0].ids, g[i][0].ids);
    assert.ok(Math.abs(b[i][0].logProb - g[i][0].logProb) < 1e-5);
  }
  model.dispose();
});

test('a beam wide enough to hold every prefix finds exactly the most probable sequence', async () => {
  const model = await tinyModel({ model: { attention: 'luong', hidden: 8, emb: 4 } }, ['ab', 'ba'], ['x', 'y']);
  const V = model.target.size; // 6 with specials
  const L = 3;
  // Enumerate every output of length <= L that ends in </s>, or reaches length L, with its log-probability.
  const best = tf.tidy(() => {
    const { ids, S, B } = model.encodeSources(['ab']);
    let bestSeq: number[] = [];
    let bestLp = -Infinity;
    const walk = (prefix: number[], lp: number, state: DecoderState) => {
      const r = model.step(tf.tensor1d([prefix.length ? prefix[prefix.length - 1] : BOS], 'int32'), state);
      const p = r.logProbs.dataSync();
      for (let v = 0; v < V; v++) {
        const seq = [...prefix, v];
        const total = lp + p[v];
        if (v === EOS || seq.length === L) { if (total > bestLp) { bestLp = total; bestSeq = seq; } } else walk(seq, total, r.state);
      }
    };
    walk([], 0, model.startDecoding(ids, S, B));
    return { seq: bestSeq, lp: bestLp };
  });
  const [found] = beamDecode(model, ['ab'], opts({ strategy: 'beam', beamSize: V ** L, nBest: 1, maxLength: L }));
  assert.deepEqual(found[0].ids, best.seq);
  assert.ok(Math.abs(found[0].logProb - best.lp) < 1e-5);
  model.dispose();
});

test('n-best lists are sorted by score and distinct', async () => {
  const model = await tinyModel();
  const out = decodeBatch(model, inputs, opts({ strategy: 'beam', beamSize: 5, nBest: 5, maxLength: 6, lengthPenalty: 0.6 }));
  for (const hyps of out) {
    assert.equal(hyps.length, 5);
    for (let i = 1; i < hyps.length; i++) assert.ok(hyps[i - 1].score >= hyps[i].score);
    assert.equal(new Set(hyps.map((h) => h.tokens.join(' ') + '|' + h.logProb.toFixed(6))).size, 5);
    for (const h of hyps) assert.ok(Math.abs(h.score - h.logProb / lengthPenalty(h.tokens.length + (h.tokens.length < 6 ? 1 : 0), 0.6)) < 1e-6 || h.tokens.length === 6);
  }
  model.dispose();
});

test('sampling at temperature -> 0 equals greedy; top-k 1 equals greedy', async () => {
  const model = await tinyModel({ model: { bidirectional: true } });
  const g = decodeBatch(model, inputs, opts({ maxLength: 8 }));
  const cold = decodeBatch(model, inputs, opts({ strategy: 'sample', temperature: 1e-4, seed: 3, maxLength: 8 }));
  const top1 = decodeBatch(model, inputs, opts({ strategy: 'sample', temperature: 5, topK: 1, seed: 4, maxLength: 8 }));
  assert.deepEqual(cold.map((h) => h[0].tokens), g.map((h) => h[0].tokens));
  assert.deepEqual(top1.map((h) => h[0].tokens), g.map((h) => h[0].tokens));
  model.dispose();
});

test('seeded sampling is reproducible and different seeds differ', async () => {
  const model = await tinyModel();
  const run = (seed: number) => decodeBatch(model, inputs, opts({ strategy: 'sample', temperature: 1.5, seed, nBest: 3, maxLength: 8 })).map((hs) => hs.map((h) => h.tokens.join('')));
  assert.deepEqual(run(11), run(11));
  assert.notDeepEqual(run(11), run(12));
  model.dispose();
});

test('sampleRow honours top-k and top-p', () => {
  const lp = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
  const random = rng(1);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[sampleRow(lp, { temperature: 1, topK: 2, topP: 1 }, random)]++;
  assert.equal(counts[2] + counts[3], 0);
  assert.ok(Math.abs(counts[0] / 4000 - 0.5 / 0.8) < 0.04, `top-k renormalised: ${counts}`);
  const c2 = [0, 0, 0, 0];
  for (let i = 0; i < 2000; i++) c2[sampleRow(lp, { temperature: 1, topK: 0, topP: 0.75 }, random)]++;
  assert.equal(c2[2] + c2[3], 0, `top-p keeps the smallest set reaching 0.75: ${c2}`);
});

test('transformer: beam size 1 equals greedy, and sampling at temperature -> 0 equals greedy', async () => {
  const model = await tinyTransformer();
  const g = greedyDecode(model, inputs, opts({ maxLength: 8 }));
  const b = beamDecode(model, inputs, opts({ strategy: 'beam', beamSize: 1, maxLength: 8 }));
  const cold = decodeBatch(model, inputs, opts({ strategy: 'sample', temperature: 1e-4, seed: 3, maxLength: 8 }));
  for (let i = 0; i < inputs.length; i++) {
    assert.deepEqual(b[i][0].ids, g[i][0].ids);
    assert.ok(Math.abs(b[i][0].logProb - g[i][0].logProb) < 1e-5);
  }
  const greedyTokens = decodeBatch(model, inputs, opts({ maxLength: 8 })).map((h) => h[0].tokens);
  assert.deepEqual(cold.map((h) => h[0].tokens), greedyTokens);
  model.dispose();
});

test('transformer: a beam wide enough to hold every prefix finds exactly the most probable sequences, in order (caches reordered every step)', async () => {
  const model = await tinyTransformer({}, ['ab', 'ba'], ['x', 'y']);
  const V = model.target.size;
  const L = 3;
  // Every output of length <= L that ends in </s> or reaches length L, with its log-probability.
  const all = tf.tidy(() => {
    const { ids, S, B } = model.encodeSources(['ab']);
    const out: { seq: number[]; lp: number }[] = [];
    const walk = (prefix: number[], lp: number, state: DecoderState) => {
      const r = model.step(tf.tensor1d([prefix.length ? prefix[prefix.length - 1] : BOS], 'int32'), state);
      const p = r.logProbs.dataSync();
      for (let v = 0; v < V; v++) {
        const seq = [...prefix, v];
        if (v === EOS || seq.length === L) out.push({ seq, lp: lp + p[v] }); else walk(seq, lp + p[v], r.state);
      }
    };
    walk([], 0, model.startDecoding(ids, S, B));
    return out.sort((a, b) => b.lp - a.lp);
  });
  const n = 12;
  const [found] = beamDecode(model, ['ab'], opts({ strategy: 'beam', beamSize: V ** L, nBest: n, maxLength: L }));
  assert.ok(all.slice(0, n).some((h) => h.seq.length === L), 'the test needs full-length sequences among the best');
  assert.deepEqual(found.map((h) => h.ids), all.slice(0, n).map((h) => h.seq));
  found.forEach((h, i) => assert.ok(Math.abs(h.logProb - all[i].lp) < 1e-5, `hypothesis ${i}: ${h.logProb} vs ${all[i].lp}`));
  model.dispose();
});

test('bestTokens: the n highest of a row in order, ties to the lower id, as sorting the whole row would', async () => {
  const { bestTokens } = await import('../../src/model/decoding/search');
  const random = rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const V = 1 + Math.floor(random() * 60);
    // Few distinct values, so ties are common.
    const row = Float32Array.from({ length: V + 7 }, () => Math.round(random() * 6) / 2 - 3);
    const n = 1 + Math.floor(random() * 12);
    const want = Array.from({ length: V }, (_, v) => v).sort((a, b) => row[7 + b] - row[7 + a] || a - b).slice(0, n);
    assert.deepEqual(bestTokens(row, 7, V, n), want);
  }
});
