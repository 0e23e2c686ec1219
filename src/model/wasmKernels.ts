/**
 * Fixes for the WebAssembly backend (tfjs-backend-wasm 4.22) in Node, measured on this kind of machine:
 * - it has no `UnsortedSegmentSum` kernel, which the gradient of an embedding lookup (gather) needs:
 *   we register one that works on the wasm heap directly;
 * - `BatchMatMul` / `_FusedMatMul` with `transposeA` or `transposeB` fall off XNNPACK's fast path
 *   (~1 GFLOP/s instead of ~16): we materialise the transpose first, then multiply untransposed.
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
