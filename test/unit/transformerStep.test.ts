/**
 * The seam's transformerDecoderStep: the native kernel (native/blas/transformer_step.c) against the
 * composition of the reference operations, over several steps of a tiled (beam) state with
 * reorders between steps, every output kind (all log-probabilities, top-1, top-k), all rows or some,
 * with and without the cross-attention weights; tied and untied output, ReLU and GELU; sources of
 * different lengths (padding in the memory). Then: a step is one kernel call, and decoding leaks no tensor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { kernels, referenceKernels, withKernels, type Kernels } from '../../src/model/acceleration/kernels';
import { TRANSFORMER_STEP } from '../../src/model/acceleration/native/transformerStep';
import type { SettingsOverrides } from '../../src/model/config';
import { BOS, type DecoderState, type Seq2SeqModel } from '../../src/model/network/seq2seq';
import { translate } from '../../src/model/decoding/translate';
import { nativeKernelsHere } from '../helpers/nativeKernels';
import { tinyTransformer } from '../helpers/tinyModel';
import { maxDiff, randomize as randomizeWeights } from '../helpers/compareSteps';

/** Every weight at a scale where each block matters. */
const randomize = (model: Seq2SeqModel) => randomizeWeights(model, 0.5, 300);

const SOURCES = ['abcab', 'c', 'bca'];
const TARGETS = ['xy', 'yx', 'zw', 'wzv', 'uv'];
const VARIANTS: [string, SettingsOverrides][] = [
  ['sinusoidal, tied, relu', {}],
  ['learned positions, untied, gelu', { model: { positions: 'learned', tieEmbeddings: false, activation: 'gelu', maxPositions: 32 } }],
];

/** One step of the script: what to ask for, and how beam search reorders the rows after it. */
interface Step { prev: number[]; topK: number; active: number[] | null; attention: boolean; reorder?: number[] }

// 3 inputs x 2 beams; ids 4.. are target tokens.
const SCRIPT: Step[] = [
  { prev: [BOS, BOS, BOS, BOS, BOS, BOS], topK: 0, active: null, attention: false },
  { prev: [4, 5, 6, 4, 7, 8], topK: 1, active: [0, 1, 3, 4, 5], attention: true, reorder: [1, 0, 2, 2, 5, 4] },
  { prev: [5, 5, 6, 7, 4, 4], topK: 3, active: null, attention: false },
  { prev: [6, 4, 8, 5, 7, 6], topK: 0, active: [2, 5], attention: true, reorder: [0, 0, 3, 2, 4, 4] },
  { prev: [7, 8, 4, 6, 5, 5], topK: 2, active: [1], attention: false },
  { prev: [8, 6, 5, 4, 6, 7], topK: 0, active: null, attention: true },
];

interface StepData { logProbs: Float32Array; ids: Int32Array | null; attention: Float32Array | null; caches: Float32Array[]; shape: number[] }

/** The script run with `k`'s kernels, everything read back after each step. */
function run(k: Kernels, model: Seq2SeqModel): StepData[] {
  const out: StepData[] = [];
  tf.tidy(() => withKernels(k, () => {
    const { ids, S, B } = model.encodeSources(SOURCES);
    let state: DecoderState = model.startDecoding(ids, S, B).tile(tf.tensor1d([0, 0, 1, 1, 2, 2], 'int32'));
    for (const s of SCRIPT) {
      const r = model.step(tf.tensor1d(s.prev, 'int32'), state, s.topK, s.active && Int32Array.from(s.active), s.attention);
      const layers = model.settings.model.decLayers;
      out.push({
        logProbs: r.logProbs.dataSync() as Float32Array, ids: (r.ids?.dataSync() as Int32Array | undefined) ?? null, shape: r.logProbs.shape,
        attention: (r.attention?.dataSync() as Float32Array | undefined) ?? null,
        caches: r.state.tensors().slice(0, layers).map((c) => c.dataSync() as Float32Array),
      });
      state = s.reorder ? r.state.reorder(tf.tensor1d(s.reorder, 'int32')) : r.state;
    }
  }));
  return out;
}

function argMaxRows(lp: Float32Array, V: number): number[] {
  return Array.from({ length: lp.length / V }, (_, r) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (lp[r * V + v] > lp[r * V + best]) best = v;
    return best;
  });
}

for (const [name, overrides] of VARIANTS) {
  test(`transformer step (${name}): native equals the reference over steps with beam reorders, active rows, top-k and attention weights`, async (t) => {
    if (!(await nativeKernelsHere(t))) return;
    const model = randomize(await tinyTransformer(overrides, SOURCES, TARGETS));
    const V = model.target.size;
    const ref = run(referenceKernels, model);
    const got = run(kernels(), model);
    SCRIPT.forEach((s, i) => {
      const what = `step ${i} (topK ${s.topK}, rows ${s.active ? `[${s.active}]` : 'all'})`;
      const [g, r] = [got[i], ref[i]];
      assert.deepEqual(g.shape, [6, s.topK > 0 ? s.topK : V], what);
      assert.ok(maxDiff(g.logProbs, r.logProbs) < 1e-4, `${what}: log-probabilities differ by ${maxDiff(g.logProbs, r.logProbs)}`);
      if (s.topK > 0) assert.deepEqual(Array.from(g.ids!), Array.from(r.ids!), `${what}: ids`);
      else {
        assert.equal(g.ids, null, what);
        assert.deepEqual(argMaxRows(g.logProbs, V), argMaxRows(r.logProbs, V), `${what}: argmax`);
      }
      // Rows not computed get zeros (and ids 0).
      for (let row = 0; row < 6; row++) {
        if (s.active && !s.active.includes(row)) assert.ok(g.logProbs.subarray(row * g.shape[1], (row + 1) * g.shape[1]).every((x) => x === 0), `${what}: row ${row}`);
      }
      g.caches.forEach((c, l) => assert.ok(maxDiff(c, r.caches[l]) < 1e-4, `${what}: layer ${l}'s cache differs by ${maxDiff(c, r.caches[l])}`));
      assert.equal(g.caches[0].length, 6 * (i + 1) * 2 * model.settings.model.dModel, `${what}: the cache grows one position a step`);
      if (!s.attention) assert.equal(g.attention, null, what);
      else assert.ok(maxDiff(g.attention!, r.attention!) < 1e-5, `${what}: attention weights differ by ${maxDiff(g.attention!, r.attention!)}`);
    });
    model.dispose();
  });
}

test('transformer step: one native kernel call per decoder step', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const model = await tinyTransformer({}, SOURCES, TARGETS);
  const { ids, S, B } = model.encodeSources(SOURCES);
  let state!: DecoderState;
  tf.tidy(() => { state = model.startDecoding(ids, S, B); state.tensors().forEach((x) => tf.keep(x)); });
  const prev = tf.tensor1d([BOS, BOS, BOS], 'int32');
  const info = await tf.profile(() => model.step(prev, state, 1, Int32Array.from([0, 2]), false).logProbs);
  const names = info.kernels.map((k) => k.name);
  assert.deepEqual(names, [TRANSFORMER_STEP], `kernels of a step: ${names.join(', ')}`);
  tf.dispose([prev, ...state.tensors()]);
  model.dispose();
});

test('transformer step: decoding (greedy, beam, with attention) leaves no tensor behind', async (t) => {
  if (!(await nativeKernelsHere(t))) return;
  const model = await tinyTransformer({}, SOURCES, TARGETS);
  const decodeAll = async () => {
    await translate(model, SOURCES, { strategy: 'greedy', maxLength: 6 });
    await translate(model, SOURCES, { strategy: 'beam', beamSize: 3, maxLength: 6 });
    await translate(model, SOURCES, { strategy: 'beam', beamSize: 2, maxLength: 6, attention: true });
  };
  await decodeAll();
  const before = tf.memory().numTensors;
  await decodeAll();
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('transformer step: a pending beam reorder composes with another and with tile, on both kernel sets', async () => {
  const model = randomize(await tinyTransformer({}, SOURCES, TARGETS));
  for (const k of [referenceKernels, kernels()]) {
    tf.tidy(() => withKernels(k, () => {
      const { ids, S, B } = model.encodeSources(['abc']);
      let state: DecoderState = model.startDecoding(ids, S, B).tile(tf.tensor1d([0, 0, 0], 'int32'));
      state = model.step(tf.tensor1d([BOS, BOS, BOS], 'int32'), state).state;
      state = model.step(tf.tensor1d([4, 5, 6], 'int32'), state).state;
      const next = (s: DecoderState, n: number) => model.step(tf.tensor1d(new Array(n).fill(7), 'int32'), s).logProbs.arraySync() as number[][];
      const straight = next(state, 3);
      assert.ok(maxDiff(straight[0], straight[1]) > 1e-4 && maxDiff(straight[1], straight[2]) > 1e-4, 'the three histories differ');
      const twice = next(state.reorder(tf.tensor1d([2, 0, 1], 'int32')).reorder(tf.tensor1d([0, 0, 2], 'int32')), 3);
      [2, 2, 1].forEach((from, r) => assert.ok(maxDiff(twice[r], straight[from]) < 1e-5, `${k.name}: reordered twice, row ${r}`));
      const tiled = next(state.reorder(tf.tensor1d([2, 0, 1], 'int32')).tile(tf.tensor1d([1, 1, 0, 2], 'int32')), 4);
      [0, 0, 2, 1].forEach((from, r) => assert.ok(maxDiff(tiled[r], straight[from]) < 1e-5, `${k.name}: reordered then tiled, row ${r}`));
    }));
  }
  model.dispose();
});
