/**
 * The seam's decoderStep: the native kernel (native/blas/decoder_step.c) against the TF.js-ops
 * reference for every cell, attention and depth, every output kind (all log-probabilities, top-k,
 * top-k with ties), with and without the input table, all rows or some (the others keep their
 * state), with and without the attention weights as an output; and the input table against projecting the embedding. Rows come from real encoder outputs of sources of different lengths (padding in the memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { kernels, referenceKernels, withKernels, type DecoderStepWeights, type Kernels } from '../../src/model/acceleration/kernels';
import { decoderStepWeights } from '../../src/model/network/decoder';
import type { AttentionKind, CellKind } from '../../src/model/config';
import type { Seq2SeqModel } from '../../src/model/network/seq2seq';
import { nativeKernelsHere } from '../helpers/nativeKernels';
import { tinyModel } from '../helpers/tinyModel';
import { maxDiff, randomize as randomizeWeights } from '../helpers/compareSteps';

/** Every weight at a scale where each nonlinearity matters. */
const randomize = (model: Seq2SeqModel) => randomizeWeights(model, 0.7, 100);
import type { RecurrentNetwork } from '../../src/model/network/recurrent';

const SOURCES = ['abcab', 'c', 'bca', 'cc'];
const TARGETS = ['xy', 'yx', 'zw', 'wzv', 'uv'];

interface StepData {
  h: ArrayLike<number>[]; c: (ArrayLike<number> | undefined)[]; logProbs: ArrayLike<number>; shape: number[]; ids: ArrayLike<number> | null;
  attention: number[][] | null;
}

/** One step of every row from the encoder's states, with `k`'s kernels; everything read back. */
function stepWith(
  k: Kernels, model: Seq2SeqModel, topK: number, edit: (w: DecoderStepWeights) => DecoderStepWeights = (w) => w, active: number[] | null = null,
  withAttention = false,
): StepData {
  let out!: StepData;
  tf.tidy(() => withKernels(k, () => {
    const { ids, S, B } = model.encodeSources(SOURCES);
    const enc = (model.network as RecurrentNetwork).encode(ids, S, B, null);
    const w = edit(decoderStepWeights(model.settings.model, model.params));
    const prev = tf.tensor1d([1, 4, 5, 6], 'int32');
    const r = k.decoderStep(w, prev, enc.encoder.finalStates, enc.memory, topK, active && Int32Array.from(active), withAttention);
    out = {
      h: r.states.map((s) => s.h.dataSync()), c: r.states.map((s) => s.c?.dataSync()),
      logProbs: r.logProbs.dataSync(), shape: r.logProbs.shape, ids: r.ids?.dataSync() ?? null,
      attention: r.attention && (r.attention.arraySync() as number[][]),
    };
  }));
  return out;
}

for (const cell of ['lstm', 'gru'] as CellKind[]) {
  for (const attention of ['none', 'luong', 'bahdanau'] as AttentionKind[]) {
    for (const layers of [1, 2]) {
      test(`decoder step: native equals the TF.js ops (${cell}, ${attention}, ${layers} layer${layers > 1 ? 's' : ''})`, async (t) => {
        if (!(await nativeKernelsHere(t))) return;
        const model = randomize(await tinyModel({ model: { cell, attention, layers, emb: 5, hidden: 14, bidirectional: layers === 2 } }, SOURCES, TARGETS));
        const V = model.target.size;
        for (const topK of [0, 3, V]) {
          for (const [table, active] of [[true, null], [false, null], [true, [0, 2, 3]], [true, []]] as [boolean, number[] | null][]) {
            const noTable = (w: DecoderStepWeights) => (table ? w : { ...w, inputTable: null });
            const ref = stepWith(referenceKernels, model, topK, noTable, active);
            const got = stepWith(kernels(), model, topK, noTable, active);
            const what = `topK ${topK}, ${table ? 'with' : 'without'} the input table, rows ${active ? `[${active}]` : 'all'}`;
            assert.deepEqual(got.shape, ref.shape, what);
            for (let l = 0; l < layers; l++) {
              assert.ok(maxDiff(got.h[l], ref.h[l]) < 1e-5, `${what}: h of layer ${l} differs by ${maxDiff(got.h[l], ref.h[l])}`);
              if (cell === 'lstm') assert.ok(maxDiff(got.c[l]!, ref.c[l]!) < 1e-5, `${what}: c of layer ${l} differs`);
            }
            assert.ok(maxDiff(got.logProbs, ref.logProbs) < 1e-5, `${what}: log-probabilities differ by ${maxDiff(got.logProbs, ref.logProbs)}`);
            if (topK === 0) assert.equal(got.ids, null);
            else assert.deepEqual(Array.from(got.ids!), Array.from(ref.ids!), `${what}: ids`);
            assert.equal(got.attention, null, `${what}: no attention weights unless asked`);
            // Asked for the attention weights: the same step, and the weights of the same softmax.
            const refA = stepWith(referenceKernels, model, topK, noTable, active, true);
            const gotA = stepWith(kernels(), model, topK, noTable, active, true);
            assert.ok(maxDiff(gotA.logProbs, got.logProbs) === 0, `${what}: asking for the weights changes nothing else`);
            if (attention === 'none') {
              assert.equal(gotA.attention, null);
              assert.equal(refA.attention, null);
              continue;
            }
            const { S } = model.encodeSources(SOURCES);
            assert.deepEqual([gotA.attention!.length, gotA.attention![0].length], [SOURCES.length, S], `${what}: weights [B, S]`);
            gotA.attention!.forEach((row, b) => {
              assert.ok(maxDiff(row, refA.attention![b]) < 1e-5, `${what}: row ${b}'s weights differ by ${maxDiff(row, refA.attention![b])}`);
              const on = !active || active.includes(b);
              const sum = row.reduce((x, y) => x + y, 0);
              assert.ok(on ? Math.abs(sum - 1) < 1e-5 : sum === 0, `${what}: row ${b} sums to ${sum}`);
              // Padding past the source's own length gets no weight.
              for (let s = SOURCES[b].length; s < S; s++) assert.equal(row[s], 0, `${what}: row ${b} on padding position ${s}`);
            });
          }
        }
        model.dispose();
      });
    }
  }
}

test('decoder step: the input table equals projecting the embedding (reference kernels)', async () => {
  const model = randomize(await tinyModel({ model: { cell: 'gru', attention: 'luong', emb: 5, hidden: 14 } }, SOURCES, TARGETS));
  const w = decoderStepWeights(model.settings.model, model.params);
  assert.ok(w.inputTable, 'a small vocabulary gets a table');
  const a = stepWith(referenceKernels, model, 0);
  const b = stepWith(referenceKernels, model, 0, (x) => ({ ...x, inputTable: null }));
  assert.ok(maxDiff(a.logProbs, b.logProbs) < 1e-5);
  assert.ok(maxDiff(a.h[0], b.h[0]) < 1e-5);
  model.dispose();
});

test('decoder step: top-k breaks ties towards the lower id, like the reference', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const model = await tinyModel({ model: { attention: 'luong', emb: 5, hidden: 14 } }, SOURCES, TARGETS);
  const V = model.target.size;
  // An output layer that gives ids 1, 3, 4 the same top logit and every other id one lower.
  const tie = (w: DecoderStepWeights): DecoderStepWeights => ({
    ...w,
    output: { kernel: tf.zeros([14, V]) as tf.Tensor2D, bias: tf.tensor1d(Array.from({ length: V }, (_, v) => ([1, 3, 4].includes(v) ? 2 : 1))) },
  });
  for (const k of [referenceKernels, kernels()]) {
    const r = stepWith(k, model, 4, tie);
    for (let row = 0; row < SOURCES.length; row++) assert.deepEqual(Array.from(r.ids!).slice(row * 4, row * 4 + 4), [1, 3, 4, 0], k.name);
  }
  model.dispose();
});
