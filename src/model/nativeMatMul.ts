/**
 * Matrix multiplies of the WebAssembly backend done by the machine's optimised BLAS through our addon
 * (nativeAddon.ts), on the wasm heap in place. XNNPACK in wasm reaches ~13-18 GFLOP/s on one core
 * here (SIMD128, no FMA); OpenBLAS ~70-110. Most of a training step is matrix multiplies.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './nativeAddon';
import { replaceKernel, type KernelArgs } from './wasmKernels';

/** Replaces the wasm BatchMatMul / _FusedMatMul kernels (call before setBackend('wasm')). False if they were not found. */
export function registerNativeMatMul(addon: NativeAddon): boolean {
  return replaceMatMul(tf.BatchMatMul, addon) && replaceMatMul(tf._FusedMatMul, addon);
}

function replaceMatMul(kernelName: string, addon: NativeAddon): boolean {
  return replaceKernel(kernelName, (args, original) => blasMatMul(args, addon) ?? original(args));
}

/**
 * The product of a BatchMatMul / _FusedMatMul call, or null for cases left to the wasm kernel:
 * non-float32, batch dimensions that broadcast other than "equal or one side 1", a bias that is not
 * one value per output column, an activation other than linear.
 */
function blasMatMul(args: KernelArgs, addon: NativeAddon): TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || preluActivationWeights) return null;
  if (activation !== undefined && activation !== 'linear') return null;
  if (a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // the wasm kernel raises the shape error
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== n))) return null;
  const batch = Math.max(batchA, batchB);
  const out = args.backend.makeOutput([...outer, m, n], 'float32');
  // Views are taken after the allocation: the heap may have grown and moved.
  const heap = args.backend;
  addon.sgemm(
    heap.typedArrayFromHeap(a) as Float32Array, heap.typedArrayFromHeap(b) as Float32Array, heap.typedArrayFromHeap(out) as Float32Array,
    batch, m, n, k, !!transposeA, !!transposeB, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n,
    bias ? (heap.typedArrayFromHeap(bias) as Float32Array) : null,
  );
  return out;
}
