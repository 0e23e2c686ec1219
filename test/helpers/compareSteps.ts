/** For tests that compare two implementations of a decoding step: the largest difference, and weights that make every block matter. */
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import type { Seq2SeqModel } from '../../src/model/network/seq2seq';

/** The largest absolute difference of two equally long arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Every weight (biases and norms too) drawn from N(0, scale²), seeded: the initial ones are near-linear, zero or identities. */
export function randomize(model: Seq2SeqModel, scale: number, seed: number): Seq2SeqModel {
  let s = seed;
  for (const v of model.params.values()) v.assign(tf.randomNormal(v.shape, 0, scale, 'float32', s++));
  return model;
}
