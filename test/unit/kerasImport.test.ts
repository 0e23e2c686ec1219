/**
 * A Keras encoder-decoder in the layout tensorflowjs_converter writes (Functional topology, Keras
 * weight names, sharded weights) is imported and translates exactly like the model it was made from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importKerasModel, isKerasLayersFolder } from '../../src/model/storage/kerasImport';
import { loadModel, saveModel } from '../../src/model/storage/store';
import { translate } from '../../src/model/decoding/translate';
import { readModelSummary } from '../../src/model/storage/modelFolder';
import { tinyModel } from '../helpers/tinyModel';

const root = mkdtempSync(join(tmpdir(), 'seq2seq-keras-'));

/** Writes our model's weights as a converted Keras model (names, order and shards as Keras has them). */
function writeKerasFolder(ours: string, dir: string, cell: 'LSTM' | 'GRU', extraRnn = false): void {
  mkdirSync(dir, { recursive: true });
  const j = JSON.parse(readFileSync(join(ours, 'model.json'), 'utf8'));
  const bin = readFileSync(join(ours, 'weights.bin'));
  const ourWeights = new Map<string, { shape: number[]; bytes: Buffer }>();
  let off = 0;
  for (const w of j.weightsManifest[0].weights) {
    const n = w.shape.reduce((a: number, b: number) => a * b, 1) * 4;
    ourWeights.set(w.name, { shape: w.shape, bytes: bin.subarray(off, off + n) });
    off += n;
  }
  const cellName = cell.toLowerCase();
  const keras: [string, string][] = [
    ['dense/kernel', 'output/kernel'], ['dense/bias', 'output/bias'],
    ['embedding/embeddings', 'encoder/embedding'], ['embedding_1/embeddings', 'decoder/embedding'],
    [`${cellName}/${cellName}_cell/kernel`, 'encoder/l0/fwd/kernel'], [`${cellName}/${cellName}_cell/recurrent_kernel`, 'encoder/l0/fwd/recurrent_kernel'], [`${cellName}/${cellName}_cell/bias`, 'encoder/l0/fwd/bias'],
    [`${cellName}_1/${cellName}_cell_1/kernel`, 'decoder/l0/kernel'], [`${cellName}_1/${cellName}_cell_1/recurrent_kernel`, 'decoder/l0/recurrent_kernel'], [`${cellName}_1/${cellName}_cell_1/bias`, 'decoder/l0/bias'],
  ];
  const weights = keras.map(([k, o]) => ({ name: k, shape: ourWeights.get(o)!.shape, dtype: 'float32', bytes: ourWeights.get(o)!.bytes }));
  const all = Buffer.concat(weights.map((w) => w.bytes));
  const half = Math.floor(all.byteLength / 8) * 4;
  writeFileSync(join(dir, 'group1-shard1of2.bin'), all.subarray(0, half));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), all.subarray(half));
  const V = (name: string) => ourWeights.get(name)!.shape[0];
  const H = ourWeights.get('encoder/l0/fwd/recurrent_kernel')!.shape[0];
  const E = ourWeights.get('encoder/embedding')!.shape[1];
  const layers = [
    { class_name: 'InputLayer', name: 'input_1', config: { name: 'input_1', batch_input_shape: [null, null] }, inbound_nodes: [] },
    { class_name: 'InputLayer', name: 'input_2', config: { name: 'input_2', batch_input_shape: [null, null] }, inbound_nodes: [] },
    { class_name: 'Embedding', name: 'embedding', config: { name: 'embedding', input_dim: V('encoder/embedding'), output_dim: E, mask_zero: true }, inbound_nodes: [[['input_1', 0, 0, {}]]] },
    { class_name: 'Embedding', name: 'embedding_1', config: { name: 'embedding_1', input_dim: V('decoder/embedding'), output_dim: E, mask_zero: true }, inbound_nodes: [[['input_2', 0, 0, {}]]] },
    { class_name: cell, name: cellName, config: { name: cellName, units: H, return_state: true, reset_after: true }, inbound_nodes: [[['embedding', 0, 0, {}]]] },
    { class_name: cell, name: `${cellName}_1`, config: { name: `${cellName}_1`, units: H, return_sequences: true, return_state: true, reset_after: true },
      inbound_nodes: [[['embedding_1', 0, 0, {}], [cellName, 0, 1, {}], ...(cell === 'LSTM' ? [[cellName, 0, 2, {}]] : [])]] },
    ...(extraRnn ? [{ class_name: cell, name: 'extra', config: { name: 'extra', units: H }, inbound_nodes: [] }] : []),
    { class_name: 'Dense', name: 'dense', config: { name: 'dense', units: V('output/bias'), activation: 'softmax' }, inbound_nodes: [[[`${cellName}_1`, 0, 0, {}]]] },
  ];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Functional', config: { name: 'model', layers, input_layers: [['input_1', 0, 0], ['input_2', 0, 0]], output_layers: [['dense', 0, 0]] } } },
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
  }));
}

for (const cell of ['lstm', 'gru'] as const) {
  test(`a converted Keras ${cell.toUpperCase()} encoder-decoder imports and translates like the original`, async () => {
    const model = await tinyModel({ model: { cell, attention: 'none', bidirectional: false, layers: 1 } });
    const ours = join(root, `ours-${cell}`);
    await saveModel(model, ours, { config: { task: 'pairs', devMetric: 'bleu', dataFile: '', trainPairs: 0, createdAt: new Date().toISOString() } });
    const keras = join(root, `keras-${cell}`);
    writeKerasFolder(ours, keras, cell === 'lstm' ? 'LSTM' : 'GRU');
    assert.equal(isKerasLayersFolder(keras), true, 'recognised before its tokenizers are added');
    await assert.rejects(async () => importKerasModel(keras, join(root, `x-${cell}`)), /carries no vocabulary/);
    copyFileSync(join(ours, 'tokenizers.json'), join(keras, 'tokenizers.json'));
    assert.equal(isKerasLayersFolder(keras), true);
    assert.equal(isKerasLayersFolder(ours), false);
    const dest = join(root, `imported-${cell}`);
    importKerasModel(keras, dest);
    assert.equal(readModelSummary(dest).parameters, model.parameterCount);
    const back = await loadModel(dest);
    const inputs = ['abc', 'cab', 'b'];
    for (const decode of [{ strategy: 'greedy' as const }, { strategy: 'beam' as const, beamSize: 3, nBest: 2 }]) {
      assert.deepEqual(await translate(back, inputs, { ...decode, maxLength: 6 }), await translate(model, inputs, { ...decode, maxLength: 6 }));
    }
    model.dispose(); back.dispose();
  });
}

test('a Keras model of another architecture, or with mismatched vocabularies, is refused with the reason', async () => {
  const model = await tinyModel({ model: { attention: 'none', bidirectional: false } });
  const ours = join(root, 'ours-bad');
  await saveModel(model, ours, { config: { task: 'pairs', devMetric: 'bleu', dataFile: '', trainPairs: 0, createdAt: new Date().toISOString() } });
  const extra = join(root, 'keras-extra');
  writeKerasFolder(ours, extra, 'LSTM', true);
  copyFileSync(join(ours, 'tokenizers.json'), join(extra, 'tokenizers.json'));
  assert.throws(() => importKerasModel(extra, join(root, 'x1')), /architecture does not match \(3 recurrent layers, expected 2\)/);
  const vocab = join(root, 'keras-vocab');
  writeKerasFolder(ours, vocab, 'LSTM');
  const tok = JSON.parse(readFileSync(join(ours, 'tokenizers.json'), 'utf8'));
  tok.source.tokens.push('extra');
  writeFileSync(join(vocab, 'tokenizers.json'), JSON.stringify(tok));
  assert.throws(() => importKerasModel(vocab, join(root, 'x2')), /source has \d+ tokens but the encoder embedding has \d+ rows/);
  rmSync(join(vocab, 'group1-shard2of2.bin'));
  assert.throws(() => importKerasModel(vocab, join(root, 'x3')), /group1-shard2of2.bin: weights file is missing/);
  model.dispose();
});
