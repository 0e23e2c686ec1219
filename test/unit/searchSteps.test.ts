/**
 * Search asks each decoding step only for what it reads: each row's best few tokens instead of the
 * whole distribution (greedy: 1, beam K: K + 1), and only the rows still decoding (not those that
 * have ended, nor the beams of finished inputs or empty beams). The results must be exactly those of
 * computing every row and looking at every token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { kernels, withKernels, type Kernels } from '../../src/model/acceleration/kernels';
import { DEFAULT_DECODE, type DecodeOptions } from '../../src/model/decoding/decodeOptions';
import { beamDecode, greedyDecode, sampleDecode } from '../../src/model/decoding/search';
import { EOS } from '../../src/model/data/tokenizer';
import { tinyModel } from '../helpers/tinyModel';

const INPUTS = ['abc', 'cab', 'b', 'acbca', 'ccba', 'ab'];

/** The backend's kernels, except that every step computes every row and, asked for its k best, returns every token, best first (k = V). */
function everyToken(V: number): Kernels {
  const k = kernels();
  return { ...k, decoderStep: (w, prev, states, memory, topK, _active, withAttention) => k.decoderStep(w, prev, states, memory, topK > 0 ? V : 0, null, withAttention) };
}

/**
 * The same hypotheses (ids and texts, in the same order) with the same scores to float32 rounding:
 * a step over fewer rows can take another BLAS path (sgemv for a few rows, sgemm for many) whose
 * sums round differently in the last bit, depending on the CPU's OpenBLAS kernels.
 */
type Searched = ReturnType<typeof greedyDecode>;

function assertSameSearch(actual: Searched, expected: Searched, what: string): void {
  const strip = (r: Searched) => r.map((hs) => hs.map(({ logProb: _l, score: _s, ...rest }) => rest));
  assert.deepEqual(strip(actual), strip(expected), what);
  actual.forEach((hs, i) => hs.forEach((h, j) => {
    const e = expected[i][j];
    for (const k of ['logProb', 'score'] as const) {
      assert.ok(Math.abs(h[k] - e[k]) <= 1e-5 * Math.max(1, Math.abs(e[k])), `${what}: input ${i} hypothesis ${j} ${k} ${h[k]} vs ${e[k]}`);
    }
  }));
}

for (const attention of ['none', 'luong'] as const) {
  test(`greedy and beam search on each row's best tokens, live rows only, equal search on every token of every row (${attention})`, async () => {
    const model = await tinyModel({ model: { attention, emb: 6, hidden: 12 } }, INPUTS, ['xyzw', 'wzyx', 'uvxy', 'vu', 'stu']);
    let seed = 3;
    for (const v of model.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.8, 'float32', seed++));
    const V = model.target.size;
    const bias = model.params.get('output/bias')!;
    const favourEnd = (by: number) => bias.assign(tf.add(bias, tf.tensor1d(Array.from({ length: V }, (_, v) => (v === EOS ? by : 0)))));
    favourEnd(0.5); // outputs of different lengths
    const g = greedyDecode(model, INPUTS, { ...DEFAULT_DECODE, maxLength: 7 });
    assertSameSearch(g, withKernels(everyToken(V), () => greedyDecode(model, INPUTS, { ...DEFAULT_DECODE, maxLength: 7 })), 'greedy');
    assert.ok(new Set(g.map((h) => h[0].ids.length)).size > 1, 'rows that end at different steps');
    const sampling: DecodeOptions = { ...DEFAULT_DECODE, strategy: 'sample', nBest: 3, temperature: 0.9, topK: 4, seed: 5, maxLength: 7 };
    assertSameSearch(sampleDecode(model, INPUTS, sampling), withKernels(everyToken(V), () => sampleDecode(model, INPUTS, sampling)), 'sampling');
    // </s> often the best token: a row then gives the beam K continuing tokens besides the one that ends.
    favourEnd(2);
    for (const beamSize of [2, 5]) {
      const opts: DecodeOptions = { ...DEFAULT_DECODE, strategy: 'beam', beamSize, nBest: beamSize, maxLength: 7, lengthPenalty: 0.6 };
      const few = beamDecode(model, INPUTS, opts);
      const all = withKernels(everyToken(V), () => beamDecode(model, INPUTS, opts));
      assertSameSearch(few, all, `beam ${beamSize}`);
      assert.ok(few.some((hyps) => hyps.some((h) => h.ids.length > 1)), 'hypotheses of several tokens');
    }
    model.dispose();
  });
}
