/**
 * `npx tsx bench/kernels.ts`: what the default backend's kernels cost at the shapes of the benchmarked
 * LSTM (B 64, H 256, 4H 1024, T 16), with the engine's kernel fixes registered (src/model/acceleration/wasmKernels.ts),
 * to show where a training step's time goes. Prints figures only.
 *
 * It found that @tensorflow/tfjs-backend-wasm 4.22's `Slice` (used by `Unpack` = tf.unstack and
 * `SplitV` = tf.split) copied the WHOLE input out of the wasm heap for every slice (readSync), so
 * tf.unstack of [16,64,1024] took 32-45 ms instead of ~0.1-0.6 ms; the engine registers copy-free
 * versions since d72712f. The tf.unstack / tf.split lines below show whether that fix is active.
 */
import { performance } from 'node:perf_hooks';
import { initBackend, tf } from '../src/model/acceleration/backend';

function time(label: string, fn: () => void, reps: number, flops = 0): void {
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const ms = (performance.now() - t0) / reps;
  console.log(`${label.padEnd(58)} ${ms.toFixed(3).padStart(8)} ms${flops ? `  ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : ''}`);
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const [T, B, H, E] = [16, 64, 256, 64];
  console.log(`backend ${backend}; shapes: T ${T}, B ${B}, H ${H}, E ${E}`);
  const xw = tf.randomNormal([T, B, 4 * H]);
  const hs = tf.randomNormal([T, B, H]);
  const z = tf.randomNormal([B, 4 * H]);
  const h = tf.randomNormal([B, H]);
  const wh = tf.randomNormal([H, 4 * H]);
  const x = tf.randomNormal([T * B, E]);
  const wx = tf.randomNormal([E, 4 * H]);
  const out = tf.randomNormal([T * B, H]);
  const wo = tf.randomNormal([H, 80]);
  const all = () => {
    time(`tf.unstack [${T},${B},${4 * H}] (projected inputs, gates)`, () => tf.tidy(() => { tf.unstack(xw); }), 20);
    time(`tf.unstack [${T},${B},${H}] (saved h, c)`, () => tf.tidy(() => { tf.unstack(hs); }), 50);
    time(`tf.split [${B},${4 * H}] into 4 gates (axis 1)`, () => tf.tidy(() => { tf.split(z, 4, 1); }), 300);
    time(`tf.matMul [${B},${H}] x [${H},${4 * H}] (recurrent step)`, () => tf.tidy(() => { tf.matMul(h, wh).dataSync(); }), 300, 2 * B * H * 4 * H);
    time(`tf.matMul [${T * B},${E}] x [${E},${4 * H}] (input projection)`, () => tf.tidy(() => { tf.matMul(x, wx).dataSync(); }), 50, 2 * T * B * E * 4 * H);
    time(`tf.matMul [${T * B},${H}] x [${H},80] (output layer)`, () => tf.tidy(() => { tf.matMul(out, wo).dataSync(); }), 100, 2 * T * B * H * 80);
    time(`tf.transpose [${H},${4 * H}] (recurrent kernel, backward)`, () => tf.tidy(() => { tf.transpose(wh).dataSync(); }), 300);
    time(`tf.logSoftmax [${B},80] (one decoder step)`, () => tf.tidy(() => { tf.logSoftmax(tf.slice(out, [0, 0], [B, 80])).dataSync(); }), 300);
    time(`tf.sigmoid [${B},${H}]`, () => tf.tidy(() => { tf.sigmoid(h); }), 1000);
    time(`tf.mul [${B},${H}]`, () => tf.tidy(() => { tf.mul(h, h); }), 1000);
  };
  all();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
