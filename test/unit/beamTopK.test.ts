/**
 * Search asks each decoding step for each row's best few tokens instead of the whole distribution
 * (greedy: 1, beam K: K + 1). The results must be exactly those of looking at every token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { kernels, withKernels, type Kernels } from '../../src/model/acceleration/kernels';
import { DEFAULT_DECODE, type DecodeOptions } from '../../src/model/decoding/decodeOptions';
import { beamDecode, greedyDecode } from '../../src/model/decoding/search';
import { EOS } from '../../src/model/data/tokenizer';
import { tinyModel } from '../helpers/tinyModel';

const INPUTS = ['abc', 'cab', 'b', 'acbca', 'ccba', 'ab'];

/** The backend's kernels, except that a step asked for its k best returns every token, best first (k = V). */
function everyToken(V: number): Kernels {
  const k = kernels();
  return { ...k, decoderStep: (w, prev, states, memory, topK) => k.decoderStep(w, prev, states, memory, topK > 0 ? V : 0) };
}

for (const attention of ['none', 'luong'] as const) {
  test(`beam search on each row's K + 1 best tokens equals beam search on every token (${attention})`, async () => {
    const model = await tinyModel({ model: { attention, emb: 6, hidden: 12 } }, INPUTS, ['xyzw', 'wzyx', 'uvxy', 'vu', 'stu']);
    let seed = 3;
    for (const v of model.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.8, 'float32', seed++));
    const V = model.target.size;
    // </s> often the best token: a row then gives the beam K continuing tokens besides the one that ends.
    const bias = model.params.get('output/bias')!;
    bias.assign(tf.add(bias, tf.tensor1d(Array.from({ length: V }, (_, v) => (v === EOS ? 2.5 : 0)))));
    for (const beamSize of [2, 5]) {
      const opts: DecodeOptions = { ...DEFAULT_DECODE, strategy: 'beam', beamSize, nBest: beamSize, maxLength: 7, lengthPenalty: 0.6 };
      const few = beamDecode(model, INPUTS, opts);
      const all = withKernels(everyToken(V), () => beamDecode(model, INPUTS, opts));
      assert.deepEqual(few, all, `beam ${beamSize}`);
      assert.ok(few.some((hyps) => hyps.some((h) => h.ids.length > 1)), 'hypotheses of several tokens');
    }
    const g = greedyDecode(model, INPUTS, { ...DEFAULT_DECODE, maxLength: 7 });
    assert.deepEqual(g, withKernels(everyToken(V), () => greedyDecode(model, INPUTS, { ...DEFAULT_DECODE, maxLength: 7 })));
    model.dispose();
  });
}
