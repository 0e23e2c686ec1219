/**
 * `npx tsx bench/kernels.ts`: what the wasm backend's kernels cost at the shapes of the benchmarked
 * LSTM (B 64, H 256, 4H 1024, T 16), to show where a training step's time goes. Prints figures only.
 *
 * Finding it demonstrates: in @tensorflow/tfjs-backend-wasm 4.22 the contiguous `Slice` path (used by
 * `Unpack` = tf.unstack and `SplitV` = tf.split) calls `backend.readSync(x)`, which copies the WHOLE
 * input out of the wasm heap for every slice. tf.unstack of a [T, B, 4H] tensor therefore copies T x
 * the tensor (O(T^2)). The second half re-registers `Unpack` for axis 0 with copies from a heap view
 * (only the slice's bytes) to measure the difference; nothing outside this process is changed.
 */
import { performance } from 'node:perf_hooks';
import { initBackend, tf } from '../src/model/backend';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface HeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function time(label: string, fn: () => void, reps: number, flops = 0): void {
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const ms = (performance.now() - t0) / reps;
  console.log(`${label.padEnd(58)} ${ms.toFixed(3).padStart(8)} ms${flops ? `  ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : ''}`);
}

function copyFreeUnpack(): void {
  const original = tf.getKernel(tf.Unpack, 'wasm');
  if (!original) return;
  const kernelFunc = ((args: { inputs: { value: TensorInfo }; attrs: { axis: number }; backend: HeapBackend }) => {
    const { value } = args.inputs;
    if (args.attrs.axis !== 0 || value.dtype === 'string') return (original.kernelFunc as unknown as (a: unknown) => TensorInfo[])(args);
    const inner = value.shape.slice(1).reduce((a, b) => a * b, 1);
    const outs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[0]; i++) {
      const out = args.backend.makeOutput(value.shape.slice(1), value.dtype);
      const src = args.backend.typedArrayFromHeap(value); // taken after makeOutput: the heap may have moved
      args.backend.typedArrayFromHeap(out).set(src.subarray(i * inner, (i + 1) * inner));
      outs.push(out);
    }
    return outs;
  }) as unknown as KernelFunc;
  tf.unregisterKernel(tf.Unpack, 'wasm');
  tf.registerKernel({ kernelName: tf.Unpack, backendName: 'wasm', kernelFunc });
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
    time(`tf.sigmoid [${B},${H}]`, () => tf.tidy(() => { tf.sigmoid(h); }), 1000);
    time(`tf.mul [${B},${H}]`, () => tf.tidy(() => { tf.mul(h, h); }), 1000);
  };
  console.log('--- as shipped (with the engine\'s registered fixes)');
  all();
  copyFreeUnpack();
  console.log('--- Unpack (axis 0) copying only each slice from a heap view');
  all();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
