/**
 * The native recurrent kernels (native/blas/lstm.c, gru.c; used on the wasm backend when the addon and
 * a BLAS are there) against the TF.js-ops versions (LSTM: the hand-written backward pass on ops, itself
 * checked against autograd in lstmSequence.test.ts; GRU: autograd on the per-step graph): outputs,
 * final state and every gradient, with padding in the middle of the batch, an empty row, both
 * directions, a fractional mask value, and sizes that are not multiples of a SIMD width.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/model/tf';
import { nativeKernelsHere } from '../helpers/nativeKernels';
import { runRnn, type RnnWeights } from '../../src/model/network/rnn';
import { kernels, referenceKernels, withKernels } from '../../src/model/acceleration/kernels';
import type { CellKind } from '../../src/model/config';

/** Largest |a - b| relative to max(1, max |a|). */
function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0; let scale = 1;
  for (let j = 0; j < a.length; j++) { diff = Math.max(diff, Math.abs(a[j] - b[j])); scale = Math.max(scale, Math.abs(a[j])); }
  return diff / scale;
}

for (const cell of ['lstm', 'gru'] as CellKind[]) {
  for (const reverse of [false, true]) {
    test(`${cell.toUpperCase()} sequence: native kernels equal the TF.js ops (${reverse ? 'reverse' : 'forward'})`, async (t) => {
      if (!(await nativeKernelsHere(t))) return;
      const T = 7; const B = 5; const I = 3; const H = 13;
      const gates = cell === 'lstm' ? 4 : 3;
      const w: RnnWeights = {
        kernel: tf.randomNormal([I, gates * H], 0, 0.6, 'float32', 11) as tf.Tensor2D,
        recurrentKernel: tf.randomNormal([H, gates * H], 0, 0.6, 'float32', 12) as tf.Tensor2D,
        bias: tf.randomNormal(cell === 'lstm' ? [4 * H] : [2, 3 * H], 0, 0.6, 'float32', 13),
      };
      const x = tf.randomNormal([T, B, I], 0, 1.5, 'float32', 14) as tf.Tensor3D;
      const h0 = tf.randomNormal([B, H], 0, 0.5, 'float32', 15) as tf.Tensor2D;
      const c0 = tf.randomNormal([B, H], 0, 2, 'float32', 16) as tf.Tensor2D;
      const lens = [7, 4, 1, 6, 0];
      const masks = Array.from({ length: T }, (_, s) => tf.tensor2d(lens.map((l, b) => (b === 3 && s === 2 ? 0.5 : s < l ? 1 : 0)), [B, 1]));
      const probe = tf.randomNormal([T, B, H], 0, 1, 'float32', 17);
      const probeH = tf.randomNormal([B, H], 0, 1, 'float32', 18);
      const probeC = tf.randomNormal([B, H], 0, 1, 'float32', 19);
      const initial = (hh: tf.Tensor, cc: tf.Tensor) => (cell === 'lstm' ? { h: hh as tf.Tensor2D, c: cc as tf.Tensor2D } : { h: hh as tf.Tensor2D });
      const run = (native: boolean) => withKernels(native ? kernels() : referenceKernels, () => {
        const f = (xx: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor) => {
          const r = runRnn(cell, xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: rk as tf.Tensor2D, bias: b }, initial(hh, cc), masks, reverse);
          const terms = [tf.sum(tf.mul(r.outputs, probe)), tf.sum(tf.mul(r.final.h, probeH))];
          // GRU has no cell state: c0 still enters the loss (times 0.1) so that every argument has a gradient.
          terms.push(r.final.c ? tf.sum(tf.mul(r.final.c, probeC)) : tf.mul(tf.sum(cc), 0.1));
          return tf.addN(terms) as tf.Scalar;
        };
        const { value, grads } = tf.valueAndGrads(f)([x, w.kernel, w.recurrentKernel, w.bias, h0, c0]);
        const r = runRnn(cell, x, w, initial(h0, c0), masks, reverse);
        return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync()), outputs: r.outputs.dataSync(), h: r.final.h.dataSync(), c: r.final.c?.dataSync() };
      });
      const ref = run(false);
      const got = run(true);
      assert.ok(relativeDiff(ref.outputs, got.outputs) < 1e-5, `outputs differ by ${relativeDiff(ref.outputs, got.outputs)}`);
      assert.ok(relativeDiff(ref.h, got.h) < 1e-5, 'final h differs');
      if (cell === 'lstm') assert.ok(relativeDiff(ref.c!, got.c!) < 1e-5, 'final c differs');
      assert.ok(Math.abs(ref.loss - got.loss) < 1e-4 * Math.max(1, Math.abs(ref.loss)), `loss ${ref.loss} vs ${got.loss}`);
      ['x', 'kernel', 'recurrent_kernel', 'bias', 'h0', 'c0'].forEach((name, i) => {
        const d = relativeDiff(ref.grads[i], got.grads[i]);
        assert.ok(d < 1e-4, `${name}: gradients differ by ${d}`);
        assert.ok(Array.from(got.grads[i]).some((v) => v !== 0), `${name}: gradient is all zeros`);
      });
      // The row with length 0 keeps its initial state; the padded tail of row 2 repeats its state.
      const at = (arr: ArrayLike<number>, s: number, b: number, j: number) => arr[(s * B + b) * H + j];
      const h0v = h0.dataSync();
      for (let j = 0; j < H; j++) {
        assert.ok(Math.abs(got.h[4 * H + j] - h0v[4 * H + j]) < 1e-7, 'an empty row keeps h0');
        if (!reverse) assert.equal(at(got.outputs, 5, 2, j), at(got.outputs, 0, 2, j));
      }
    });
  }
}
