/**
 * `npx tsx bench/kernels.ts`: what the wasm backend's kernels cost at the shapes of the benchmarked
 * LSTM (B 64, H 256, 4H 1024, T 16), to show where a training step's time goes. Prints figures only.
 *
 * Finding it demonstrates: in @tensorflow/tfjs-backend-wasm 4.22 the contiguous `Slice` path (used by
 * `Unpack` = tf.unstack and `SplitV` = tf.split) calls `backend.readSync(x)`, which copies the WHOLE
 * input out of the wasm heap for every slice. tf.unstack of a [T, B, 4H] tensor therefore copies T x
 * the tensor (O(T^2)). The second half re-registers `Slice`, `SplitV` and `Unpack` with copies from a heap view
 * (only the slice's bytes) to measure the difference; nothing outside this process is changed.
 * `npm run bench -- --experiment copy-free-slicing` measures the same fix on whole training steps.
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

/** Copies x[begin : begin + size] out of the wasm heap, reading only the slice's bytes (row runs of the last axis). */
function sliceFromHeap(backend: HeapBackend, x: TensorInfo, begin: number[], size: number[], outShape: number[] = size): TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  // Views are taken after the allocation: the heap may have grown and moved.
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) { ov.set(xv.subarray(0, 1)); return out; }
  const strides = tf.util.computeStrides(x.shape);
  const last = size[rank - 1];
  const outer = size.slice(0, rank - 1).reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < outer; o++) {
    let off = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (begin[d] + idx[d]) * strides[d];
    ov.set(xv.subarray(off, off + last), o * last);
    for (let d = rank - 2; d >= 0; d--) { if (++idx[d] < size[d]) break; idx[d] = 0; }
  }
  return out;
}

/**
 * Re-registers the wasm `Slice`, `SplitV` and `Unpack` kernels so that each copies only its slice out
 * of the heap (tfjs-backend-wasm 4.22's versions copy the whole input per slice via readSync).
 * Bench-only: the engine is not changed; this measures what such a fix would give.
 */
export function registerCopyFreeSlicing(): void {
  type Args = { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown>; backend: HeapBackend };
  const replace = (name: string, fn: (a: Args, original: (a: Args) => unknown) => unknown) => {
    const original = tf.getKernel(name, 'wasm');
    if (!original) return;
    const call = original.kernelFunc as unknown as (a: Args) => unknown;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: ((a: Args) => fn(a, call)) as unknown as KernelFunc });
  };
  replace(tf.Slice, (a, original) => {
    const x = a.inputs.x;
    if (x.dtype === 'string') return original(a);
    const [begin, size] = tf.slice_util.parseSliceParams(x, a.attrs.begin as number[], a.attrs.size as number[]);
    return sliceFromHeap(a.backend, x, begin, size);
  });
  replace(tf.SplitV, (a, original) => {
    const x = a.inputs.x;
    if (x.dtype === 'string') return original(a);
    const axis = tf.util.parseAxisParam(a.attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, a.attrs.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[axis] = n;
      const out = sliceFromHeap(a.backend, x, [...begin], size);
      begin[axis] += n;
      return out;
    });
  });
  replace(tf.Unpack, (a, original) => {
    const x = a.inputs.value;
    if (x.dtype === 'string') return original(a);
    let axis = a.attrs.axis as number;
    if (axis < 0) axis += x.shape.length;
    const outShape = x.shape.filter((_, i) => i !== axis);
    const size = [...x.shape];
    size[axis] = 1;
    return Array.from({ length: x.shape[axis] }, (_, i) => {
      const begin = new Array<number>(x.shape.length).fill(0);
      begin[axis] = i;
      return sliceFromHeap(a.backend, x, begin, size, outShape);
    });
  });
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
  // Same results either way (checked here), only faster.
  const before = tf.tidy(() => [tf.unstack(xw)[5], tf.split(z, 4, 1)[2], tf.slice(hs, [3, 1, 7], [4, 5, 9])].map((t) => t.dataSync().slice()));
  registerCopyFreeSlicing();
  const after = tf.tidy(() => [tf.unstack(xw)[5], tf.split(z, 4, 1)[2], tf.slice(hs, [3, 1, 7], [4, 5, 9])].map((t) => t.dataSync().slice()));
  const same = before.every((b, i) => b.length === after[i].length && b.every((v, j) => v === after[i][j]));
  console.log(`--- Slice, SplitV and Unpack copying only each slice from a heap view (results identical: ${same})`);
  all();
}

if (require.main === module) main().catch((e: unknown) => { console.error(e); process.exit(1); });
