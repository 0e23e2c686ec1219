/**
 * Input tables (network/inputTables.ts): at inference the first layer looks up its projected inputs
 * instead of projecting the embeddings. The encoder's results must equal the projecting path (the
 * training path with dropout 0), before and after the weights change (a stale table would decode
 * with old weights, e.g. when training evaluates on its dev set between steps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { DropoutSeeds } from '../../src/model/network/dropout';
import { inputTable, MAX_TABLE_VALUES } from '../../src/model/network/inputTables';
import { rnnWeights } from '../../src/model/network/params';
import type { CellKind } from '../../src/model/config';
import type { Seq2SeqModel } from '../../src/model/network/seq2seq';
import { tinyModel } from '../helpers/tinyModel';
import type { RecurrentNetwork } from '../../src/model/network/recurrent';

const SOURCES = ['abcab', 'c', 'bca'];

function encoded(model: Seq2SeqModel, inference: boolean): number[][] {
  return tf.tidy(() => {
    const { ids, S, B } = model.encodeSources(SOURCES);
    const e = (model.network as RecurrentNetwork).encode(ids, S, B, inference ? null : new DropoutSeeds(1));
    return [e.encoder.outputs, ...e.encoder.finalStates.flatMap((s) => (s.c ? [s.h, s.c] : [s.h]))].map((t) => Array.from(t.dataSync()));
  });
}

function assertClose(a: number[][], b: number[][], what: string): void {
  a.forEach((x, i) => x.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) < 1e-5, `${what}: tensor ${i} value ${j}: ${v} vs ${b[i][j]}`)));
}

for (const cell of ['lstm', 'gru'] as CellKind[]) {
  test(`encoder at inference (input table) equals projecting the embeddings, also after the weights change (${cell})`, async () => {
    const model = await tinyModel({ model: { cell, bidirectional: true, layers: 2, emb: 5, hidden: 14, dropout: 0 } }, SOURCES);
    assert.ok(inputTable(cell, model.params.get('encoder/embedding') as unknown as tf.Tensor2D, rnnWeights(model.params, 'encoder/l0/fwd')));
    assertClose(encoded(model, true), encoded(model, false), 'initial weights');
    let seed = 40;
    for (const name of ['encoder/embedding', 'encoder/l0/fwd/kernel', 'encoder/l0/bwd/bias']) {
      const v = model.params.get(name)!;
      v.assign(tf.randomNormal(v.shape, 0, 0.7, 'float32', seed++));
      assertClose(encoded(model, true), encoded(model, false), `after changing ${name}`);
    }
    model.dispose();
  });
}

test('no input table for a vocabulary too large for one', async () => {
  const model = await tinyModel({ model: { emb: 4, hidden: 16 } });
  const big = tf.zeros([Math.ceil(MAX_TABLE_VALUES / 64) + 1, 4]) as tf.Tensor2D;
  assert.equal(inputTable('lstm', big, rnnWeights(model.params, 'encoder/l0/fwd')), null);
  big.dispose();
  model.dispose();
});
