import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, nativeKernelsStatus, tf } from '../../src/model/backend';
import { runRnn, setFusedLstm, type RnnWeights } from '../../src/model/rnn';
import { nativeLstmActive, setNativeLstm } from '../../src/model/nativeLstm';

/** Largest |a - b| relative to max(1, max |a|). */
function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0; let scale = 1;
  for (let j = 0; j < a.length; j++) { diff = Math.max(diff, Math.abs(a[j] - b[j])); scale = Math.max(scale, Math.abs(a[j])); }
  return diff / scale;
}

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
      const lossWith = (fused: boolean) => (xx: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor) => {
        setFusedLstm(fused);
        const r = runRnn('lstm', xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: rk as tf.Tensor2D, bias: b }, { h: hh as tf.Tensor2D, c: cc as tf.Tensor2D }, masks, reverse);
        return tf.addN([tf.sum(tf.mul(r.outputs, probe)), tf.sum(tf.mul(r.final.h, probeH)), tf.sum(tf.mul(r.final.c!, probeC))]) as tf.Scalar;
      };
      const args = [x, w.kernel, w.recurrentKernel, w.bias, h0, c0];
      const ref = tf.grads(lossWith(false))(args);
      setNativeLstm(false); // the TF.js-ops version of the hand-written pass; the native one is compared below
      const got = tf.grads(lossWith(true))(args);
      setNativeLstm(true);
      setFusedLstm(true);
      const names = ['x', 'kernel', 'recurrent_kernel', 'bias', 'h0', 'c0'];
      ref.forEach((r, i) => {
        const a = r.dataSync(); const b = got[i].dataSync();
        let diff = 0; let scale = 0;
        for (let j = 0; j < a.length; j++) { diff = Math.max(diff, Math.abs(a[j] - b[j])); scale = Math.max(scale, Math.abs(a[j])); }
        assert.ok(scale > 0 && diff < 1e-4 * Math.max(1, scale), `${names[i]}: max diff ${diff} (scale ${scale})`);
      });
      // Forward values agree too.
      setFusedLstm(false);
      const a = runRnn('lstm', x, w, { h: h0, c: c0 }, masks, reverse).outputs.dataSync();
      setFusedLstm(true);
      setNativeLstm(false);
      const b = runRnn('lstm', x, w, { h: h0, c: c0 }, masks, reverse).outputs.dataSync();
      setNativeLstm(true);
      for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j] - b[j]) < 1e-5);
    });
  }
}

/**
 * The native LSTM kernels (native/blas/lstm.c, used on the wasm backend when the addon and a BLAS are
 * there) against the TF.js-ops version: outputs, final state and every gradient, with padding in the
 * middle of the batch, both directions, fractional mask values, and shapes that are not multiples of
 * a SIMD width.
 */
for (const reverse of [false, true]) {
  test(`LSTM sequence: native kernels equal the TF.js ops (${reverse ? 'reverse' : 'forward'})`, async (t) => {
    await initBackend();
    if (!nativeLstmActive()) {
      const why = tf.getBackend() === 'wasm' ? nativeKernelsStatus().reason : `backend is ${tf.getBackend()}`;
      if (process.env.REQUIRE_NATIVE_KERNELS === '1') assert.fail(`native kernels are required here but not active: ${why}`);
      t.skip(`native kernels not active: ${why}`);
      return;
    }
    const T = 7; const B = 5; const I = 3; const H = 13;
    const w: RnnWeights = {
      kernel: tf.randomNormal([I, 4 * H], 0, 0.6, 'float32', 11) as tf.Tensor2D,
      recurrentKernel: tf.randomNormal([H, 4 * H], 0, 0.6, 'float32', 12) as tf.Tensor2D,
      bias: tf.randomNormal([4 * H], 0, 0.6, 'float32', 13),
    };
    const x = tf.randomNormal([T, B, I], 0, 1.5, 'float32', 14) as tf.Tensor3D;
    const h0 = tf.randomNormal([B, H], 0, 0.5, 'float32', 15) as tf.Tensor2D;
    const c0 = tf.randomNormal([B, H], 0, 2, 'float32', 16) as tf.Tensor2D;
    const lens = [7, 4, 1, 6, 0];
    const masks = Array.from({ length: T }, (_, s) => tf.tensor2d(lens.map((l, b) => (b === 3 && s === 2 ? 0.5 : s < l ? 1 : 0)), [B, 1]));
    const probe = tf.randomNormal([T, B, H], 0, 1, 'float32', 17);
    const probeH = tf.randomNormal([B, H], 0, 1, 'float32', 18);
    const probeC = tf.randomNormal([B, H], 0, 1, 'float32', 19);
    const run = (native: boolean) => {
      setNativeLstm(native);
      const f = (xx: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor, hh: tf.Tensor, cc: tf.Tensor) => {
        const r = runRnn('lstm', xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: rk as tf.Tensor2D, bias: b }, { h: hh as tf.Tensor2D, c: cc as tf.Tensor2D }, masks, reverse);
        return tf.addN([tf.sum(tf.mul(r.outputs, probe)), tf.sum(tf.mul(r.final.h, probeH)), tf.sum(tf.mul(r.final.c!, probeC))]) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)([x, w.kernel, w.recurrentKernel, w.bias, h0, c0]);
      const r = runRnn('lstm', x, w, { h: h0, c: c0 }, masks, reverse);
      setNativeLstm(true);
      return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync()), outputs: r.outputs.dataSync(), h: r.final.h.dataSync(), c: r.final.c!.dataSync() };
    };
    const ref = run(false);
    const got = run(true);
    assert.ok(relativeDiff(ref.outputs, got.outputs) < 1e-5, `outputs differ by ${relativeDiff(ref.outputs, got.outputs)}`);
    assert.ok(relativeDiff(ref.h, got.h) < 1e-5, 'final h differs');
    assert.ok(relativeDiff(ref.c, got.c) < 1e-5, 'final c differs');
    assert.ok(Math.abs(ref.loss - got.loss) < 1e-4 * Math.max(1, Math.abs(ref.loss)), `loss ${ref.loss} vs ${got.loss}`);
    ['x', 'kernel', 'recurrent_kernel', 'bias', 'h0', 'c0'].forEach((name, i) => {
      const d = relativeDiff(ref.grads[i], got.grads[i]);
      assert.ok(d < 1e-4, `${name}: gradients differ by ${d}`);
    });
    // The row with length 0 keeps its initial state; the padded tail of row 2 repeats its state.
    const at = (arr: ArrayLike<number>, s: number, b: number, j: number) => arr[(s * B + b) * H + j];
    for (let j = 0; j < H; j++) {
      assert.ok(Math.abs(got.h[4 * H + j] - h0.dataSync()[4 * H + j]) < 1e-7, 'an empty row keeps h0');
      if (!reverse) assert.equal(at(got.outputs, 5, 2, j), at(got.outputs, 0, 2, j));
    }
  });
}
