/** Long runs must not grow: no tensor survives a training step or a decoding call. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { padBatch } from '../../src/model/data/data';
import { Adam } from '../../src/model/training/optimizer';
import { trainStep } from '../../src/model/training/train';
import { translate } from '../../src/model/decoding/translate';
import { BOS, EOS } from '../../src/model/data/tokenizer';
import { tinyModel, tinyTransformer } from '../helpers/tinyModel';

for (const cell of ['lstm', 'gru'] as const) {
  test(`no tensor leaks from training steps or decoding (${cell}, bidirectional, attention, dropout)`, async () => {
    const model = await tinyModel({ model: { cell, bidirectional: true, attention: 'bahdanau', layers: 2, dropout: 0.2 }, train: { labelSmoothing: 0.1 } });
    const opt = new Adam(0.01);
    const ex = ['abc', 'cab', 'b'].map((w, i) => ({ src: model.source.encode(w), tgt: model.target.encode(i ? 'xy' : 'yxy'), line: i }));
    const b = padBatch(ex, [0, 1, 2], BOS, EOS);
    trainStep(model, opt, b); // creates the optimizer's moments once
    await translate(model, ['abc'], { strategy: 'beam', beamSize: 3 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) trainStep(model, opt, b);
    for (const strategy of ['greedy', 'beam', 'sample'] as const) {
      for (const attention of [false, true]) await translate(model, ['abc', 'ba', ''], { strategy, beamSize: 3, nBest: 2, maxLength: 5, attention });
    }
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    model.dispose();
  });
}

test('no tensor leaks from Transformer training steps or decoding (dropout, attention dropout, label smoothing, learned positions)', async () => {
  const model = await tinyTransformer({ model: { dropout: 0.2, attentionDropout: 0.1, positions: 'learned', activation: 'gelu' }, train: { labelSmoothing: 0.1 } });
  const opt = new Adam(0.01);
  const ex = ['abc', 'cab', 'b'].map((w, i) => ({ src: model.source.encode(w), tgt: model.target.encode(i ? 'xy' : 'yxy'), line: i }));
  const b = padBatch(ex, [0, 1, 2], BOS, EOS);
  trainStep(model, opt, b, 1);
  await translate(model, ['abc'], { strategy: 'beam', beamSize: 3 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) trainStep(model, opt, b, 2 + i);
  for (const strategy of ['greedy', 'beam', 'sample'] as const) {
    for (const attention of [false, true]) await translate(model, ['abc', 'ba', ''], { strategy, beamSize: 3, nBest: 2, maxLength: 5, attention });
  }
  assert.equal(tf.memory().numTensors, before);
  opt.dispose();
  model.dispose();
});
