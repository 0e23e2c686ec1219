/**
 * The reference kernels: every operation of the seam (../kernels.ts) written with TF.js ops, so
 * they run on any backend (tfjs-node, wasm without our addon, cpu) and define what the native
 * kernels must compute.
 */
import { tf } from '../../tf';
import type { AdamHyper, Kernels } from '../kernels';
import { lstmSequence } from './lstmSequence';
import { stepwiseSequence } from './recurrentCells';
import { transformerOps } from './transformerOps';
import { referenceDecoderStep } from './decoderStep';
import { referenceTransformerStep } from './transformerStep';

export const referenceKernels: Kernels = {
  name: 'reference',

  rnnSequence(cell, xw, w, initial, mask, reverse) {
    if (cell === 'gru') return stepwiseSequence(cell, xw, w, initial, mask, reverse);
    const r = lstmSequence(xw, w.recurrentKernel, initial.h, initial.c!, mask, reverse);
    return { outputs: r.outputs, final: { h: r.h, c: r.c } };
  },

  adamUpdate(p, g0, m, v, h: AdamHyper) {
    const g = h.scale === 1 ? g0 : tf.mul(g0, h.scale);
    const m2 = tf.add(tf.mul(m, h.beta1), tf.mul(g, 1 - h.beta1));
    const v2 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
    const p2 = tf.sub(p, tf.div(tf.mul(m2, h.lrT), tf.add(tf.sqrt(v2), h.epsilon)));
    return [p2, m2, v2];
  },

  sumOfSquares(tensors) {
    return tf.tidy(() => (tf.addN(tensors.map((t) => tf.sum(tf.square(t)))) as tf.Scalar).dataSync()[0]);
  },

  // As tf.dropout computes its mask: floor(u + keep) is 1 with probability keep.
  dropoutMask(shape, keep, seed) {
    return tf.tidy(() => tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep));
  },

  ...transformerOps,
  decoderStep: referenceDecoderStep,
  transformerDecoderStep: referenceTransformerStep,
};
