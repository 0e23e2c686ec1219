import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/model/acceleration/backend';
import { runRnn, type RnnWeights } from '../../src/model/network/rnn';
import { referenceKernels, withKernels, type Kernels } from '../../src/model/acceleration/kernels';
import { stepwiseSequence } from '../../src/model/acceleration/reference/recurrentCells';

/** The reference set with the LSTM differentiated by autograd over its per-step graph. */
const stepwise: Kernels = { ...referenceKernels, name: 'stepwise', rnnSequence: stepwiseSequence };

/** The hand-written LSTM backward pass must give the same gradients as autograd on the per-step graph. */
for (const reverse of [false, true]) {
  for (const masked of [false, true]) {
    test(`LSTM sequence: custom gradients equal autograd (${reverse ? 'reverse' : 'forward'}, ${masked ? 'masked' : 'unmasked'})`, async () => {
      await initBackend();
      const T = 5; const B = 3; const I = 4; const H = 6;
      const w: RnnWeights = {
        kernel: tf.randomNormal([I, 4 * H], 0, 0.5, 'float32', 1) as tf.Tensor2D,
        recurrentKernel: tf.randomNormal([H, 4 * H], 0, 0.5, 'float32', 2) as tf.Tensor2D,
        bias: tf.randomNormal([4 * H], 0, 0.5, 'float32', 3),
      };
      const x = tf.randomNormal([T, B, I], 0, 1, 'float32', 4) as tf.Tensor3D;
      const h0 = tf.randomNormal([B, H], 0, 0.5, 'float32', 5) as tf.Tensor2D;
      const c0 = tf.randomNormal([B, H], 0, 0.5, 'float32', 6) as tf.Tensor2D;
      const lens = [5, 3, 1];
      const masks = masked ? Array.from({ length: T }, (_, t) => tf.tensor2d(lens.map((l) => (t < l ? 1 : 0)), [B, 1])) : null;
      const probe = tf.randomNormal([T, B, H], 0, 1, 'float32', 7);
      const probeH = tf.randomNormal([B, H], 0, 1, 'float32', 8);
      const probeC = tf.randomNormal([B, H], 0, 1, 'float32', 9);
      const lossWith = (fused: boolean) => (xx: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor) => withKernels(fused ? referenceKernels : stepwise, () => {
        const r = runRnn('lstm', xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: rk as tf.Tensor2D, bias: b }, { h: hh as tf.Tensor2D, c: cc as tf.Tensor2D }, masks, reverse);
        return tf.addN([tf.sum(tf.mul(r.outputs, probe)), tf.sum(tf.mul(r.final.h, probeH)), tf.sum(tf.mul(r.final.c!, probeC))]) as tf.Scalar;
      });
      const args = [x, w.kernel, w.recurrentKernel, w.bias, h0, c0];
      const ref = tf.grads(lossWith(false))(args);
      // The TF.js-ops version of the hand-written pass; nativeRnn.test.ts compares the native one.
      const got = tf.grads(lossWith(true))(args);
      const names = ['x', 'kernel', 'recurrent_kernel', 'bias', 'h0', 'c0'];
      ref.forEach((r, i) => {
        const a = r.dataSync(); const b = got[i].dataSync();
        let diff = 0; let scale = 0;
        for (let j = 0; j < a.length; j++) { diff = Math.max(diff, Math.abs(a[j] - b[j])); scale = Math.max(scale, Math.abs(a[j])); }
        assert.ok(scale > 0 && diff < 1e-4 * Math.max(1, scale), `${names[i]}: max diff ${diff} (scale ${scale})`);
      });
      // Forward values agree too.
      const a = withKernels(stepwise, () => runRnn('lstm', x, w, { h: h0, c: c0 }, masks, reverse).outputs.dataSync());
      const b = withKernels(referenceKernels, () => runRnn('lstm', x, w, { h: h0, c: c0 }, masks, reverse).outputs.dataSync());
      for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j] - b[j]) < 1e-5);
    });
  }
}
