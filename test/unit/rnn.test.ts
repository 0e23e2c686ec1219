import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/model/backend';
import { lookupPays, projectIds, projectInputs, type RnnWeights } from '../../src/model/rnn';
import { padBatch } from '../../src/model/data';
import { BOS, EOS } from '../../src/model/tokenizer';
import { tinyModel } from '../helpers/tinyModel';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])); return d; };

for (const cell of ['lstm', 'gru'] as const) {
  test(`table lookup of projected embeddings equals embedding then projection, values and gradients (${cell})`, async () => {
    await initBackend();
    const V = 7; const E = 5; const G = cell === 'lstm' ? 4 : 3; const H = 3;
    const emb = tf.randomNormal([V, E], 0, 1, 'float32', 1) as tf.Tensor2D;
    const kernel = tf.randomNormal([E, G * H], 0, 1, 'float32', 2) as tf.Tensor2D;
    const bias = tf.randomNormal(cell === 'lstm' ? [G * H] : [2, G * H], 0, 1, 'float32', 3);
    const ids = tf.tensor2d([[1, 4, 6], [0, 4, 2]], [2, 3], 'int32');
    const probe = tf.randomNormal([2, 3, G * H], 0, 1, 'float32', 4);
    const w = (k: tf.Tensor, b: tf.Tensor): RnnWeights => ({ kernel: k as tf.Tensor2D, recurrentKernel: tf.zeros([H, G * H]) as tf.Tensor2D, bias: b });
    const viaLookup = (e: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(projectIds(cell, e as tf.Tensor2D, ids, w(k, b)), probe)) as tf.Scalar;
    const viaMatMul = (e: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(projectInputs(cell, tf.gather(e, ids) as unknown as tf.Tensor3D, w(k, b)), probe)) as tf.Scalar;
    assert.ok(Math.abs(viaLookup(emb, kernel, bias).dataSync()[0] - viaMatMul(emb, kernel, bias).dataSync()[0]) < 1e-4);
    const g1 = tf.grads(viaLookup)([emb, kernel, bias]);
    const g2 = tf.grads(viaMatMul)([emb, kernel, bias]);
    g1.forEach((g, i) => assert.ok(maxDiff(g.dataSync(), g2[i].dataSync()) < 1e-4, `gradient ${i}`));
  });
}

test('lookupPays only without embedding dropout and for vocabularies smaller than the token count', () => {
  assert.equal(lookupPays(30, 1024, false), true);
  assert.equal(lookupPays(30, 1024, true), false);
  assert.equal(lookupPays(8000, 1024, false), false);
});

test('a batch large enough for the lookup path gives the loss of step-by-step decoding', async () => {
  const model = await tinyModel({ model: { bidirectional: true, attention: 'luong' } });
  const words = ['abc', 'cab', 'bca', 'ab', 'ca', 'b'];
  const ex = words.map((w, i) => ({ src: model.source.encode(w), tgt: model.target.encode(i % 2 ? 'xy' : 'yxy'), line: i }));
  const b = padBatch(ex, ex.map((_, i) => i), BOS, EOS);
  assert.ok(lookupPays(model.source.size, b.srcLen * b.batch, false) && lookupPays(model.target.size, b.tgtLen * b.batch, false));
  const teacher = tf.tidy(() => model.batchLoss(b, false).loss.dataSync()[0]);
  const stepwise = tf.tidy(() => {
    let nll = 0; let n = 0;
    for (const e of ex) {
      const enc = model.encode(Int32Array.from(e.src), e.src.length, 1);
      let states = enc.encoder.finalStates;
      let prev = BOS;
      for (const y of [...e.tgt, EOS]) {
        const r = model.step(tf.tensor1d([prev], 'int32'), states, enc.memory);
        nll -= r.logProbs.dataSync()[y]; n++;
        states = r.states; prev = y;
      }
    }
    return nll / n;
  });
  assert.ok(Math.abs(teacher - stepwise) < 1e-4, `${teacher} vs ${stepwise}`);
  model.dispose();
});
