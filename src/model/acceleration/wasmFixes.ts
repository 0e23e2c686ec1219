/**
 * Fixes for the WebAssembly backend (tfjs-backend-wasm 4.22) in Node (measurements: bench/README.md,
 * "Findings"):
 * - it has no `UnsortedSegmentSum` kernel, which the gradient of an embedding lookup (gather) needs:
 *   we register one that works on the wasm heap directly;
 * - `BatchMatMul` / `_FusedMatMul` with `transposeA` or `transposeB` fall off XNNPACK's fast path:
 *   we materialise the transpose first, then multiply untransposed;
 * - its contiguous `Slice` path (used by `Unpack` = tf.unstack and `SplitV` = tf.split) calls
 *   `readSync`, which copies the WHOLE input out of the heap for every slice (unstacking [T, B, 4H]
 *   copies it T times): we copy only each slice's bytes from a heap view (found by bench/kernels.ts);
 * - its `GatherV2` is far slower than a copy for an embedding lookup: for float32 and int32 tensors
 *   we copy the selected rows from heap views;
 * - its `Identity` copies the tensor, and TF.js clones every tensor it saves for a backward pass with
 *   it: ours shares the data with one more reference, as its own `Reshape` does (tensors are
 *   immutable; every kernel writes new outputs).
 * Registered before the backend initialises; they rely on package internals, so the version is pinned.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: unknown): void;
}

let registered = false;

export function registerWasmKernelFixes(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel(tf.UnsortedSegmentSum, 'wasm')) {
    tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as KernelFunc });
  }
  wrapTransposingMatMul(tf.BatchMatMul);
  wrapTransposingMatMul(tf._FusedMatMul);
  registerCopyFreeSlicing();
  registerRowCopyGather();
  registerSharingIdentity();
}

/** Identity as one more reference to the same data (no copy). */
function registerSharingIdentity(): void {
  replaceKernel(tf.Identity, (a, original) => {
    const x = a.inputs.x;
    if (x.dtype === 'string') return original(a);
    a.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

/** GatherV2 without batch dimensions as row copies: out[o, j, :] = x[o, indices[j], :]. */
function registerRowCopyGather(): void {
  replaceKernel(tf.GatherV2, (a, original) => {
    const { x, indices } = a.inputs;
    const batchDims = (a.attrs.batchDims as number | undefined) ?? 0;
    if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return original(a);
    const axis = tf.util.parseAxisParam(a.attrs.axis as number, x.shape)[0];
    const dim = x.shape[axis];
    const ids = a.backend.typedArrayFromHeap(indices) as Int32Array;
    for (let j = 0; j < ids.length; j++) if (ids[j] < 0 || ids[j] >= dim) return original(a);
    const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const n = ids.length;
    const out = a.backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    // Views are taken after the allocation: the heap may have grown and moved.
    const xv = a.backend.typedArrayFromHeap(x);
    const ov = a.backend.typedArrayFromHeap(out);
    const iv = a.backend.typedArrayFromHeap(indices) as Int32Array;
    for (let o = 0; o < outer; o++) {
      const base = o * dim * inner;
      for (let j = 0; j < n; j++) {
        const from = base + iv[j] * inner;
        ov.set(xv.subarray(from, from + inner), (o * n + j) * inner);
      }
    }
    return out;
  });
}

export interface HeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: unknown): void;
}

/** Copies x[begin : begin + size] out of the wasm heap, reading only the slice's bytes (runs of the last axis). */
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

export type KernelArgs = { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown>; backend: HeapBackend };

/** Replaces a wasm kernel; `fn` gets the original to fall back on. Returns false if there is none. */
export function replaceKernel(name: string, fn: (a: KernelArgs, original: (a: KernelArgs) => unknown) => unknown): boolean {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return false;
  const call = original.kernelFunc as unknown as (a: KernelArgs) => unknown;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...(original as KernelConfig), kernelFunc: ((a: KernelArgs) => fn(a, call)) as unknown as KernelFunc });
  return true;
}

function registerCopyFreeSlicing(): void {
  replaceKernel(tf.Slice, (a, original) => {
    const x = a.inputs.x;
    if (x.dtype === 'string') return original(a);
    const [begin, size] = tf.slice_util.parseSliceParams(x, a.attrs.begin as number[], a.attrs.size as number[]);
    return sliceFromHeap(a.backend, x, begin, size);
  });
  replaceKernel(tf.SplitV, (a, original) => {
    const x = a.inputs.x;
    if (x.dtype === 'string') return original(a);
    const axis = tf.util.parseAxisParam(a.attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, a.attrs.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[axis] = n;
      const out = sliceFromHeap(a.backend, x, [...begin], size);
      begin[axis] += n;
      return out;
    });
  });
  replaceKernel(tf.Unpack, (a, original) => {
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

function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: WasmBackendLike; attrs: NamedAttrMap }): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const numSegments = args.attrs.numSegments as number;
  if (x.dtype !== 'float32') throw new Error('UnsortedSegmentSum (wasm fix): only float32 is supported');
  const inner = segmentIds.shape.length === 0 ? 1 : x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = args.backend.makeOutput(outShape, 'float32');
  // Views are taken after the allocation: the heap may have grown and moved.
  const outV = args.backend.typedArrayFromHeap(out) as Float32Array;
  const xV = args.backend.typedArrayFromHeap(x) as Float32Array;
  const ids = args.backend.typedArrayFromHeap(segmentIds) as Int32Array;
  outV.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const seg = ids[i];
    if (seg < 0 || seg >= numSegments) continue;
    const src = i * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) outV[dst + j] += xV[src + j];
  }
  return out;
}

function wrapTransposingMatMul(kernelName: string): void {
  const original = tf.getKernel(kernelName, 'wasm');
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  if (!original || !transpose) return;
  const kernelFunc = ((args: { inputs: Record<string, TensorInfo>; backend: WasmBackendLike; attrs: NamedAttrMap }) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return (original.kernelFunc as unknown as (a: unknown) => TensorInfo)(args);
    const temps: TensorInfo[] = [];
    const materialise = (t: TensorInfo): TensorInfo => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      const out = (transpose.kernelFunc as unknown as (a: unknown) => TensorInfo)({ inputs: { x: t }, backend: args.backend, attrs: { perm } });
      temps.push(out);
      return out;
    };
    const inputs = { ...args.inputs };
    if (transposeA) inputs.a = materialise(inputs.a);
    if (transposeB) inputs.b = materialise(inputs.b);
    try {
      return (original.kernelFunc as unknown as (a: unknown) => TensorInfo)({
        ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) args.backend.disposeData(t.dataId);
    }
  }) as unknown as KernelFunc;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...(original as KernelConfig), kernelFunc });
}
