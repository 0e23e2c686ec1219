/**
 * Matrix multiplies of the WebAssembly backend done by the machine's optimised BLAS through our addon
 * (addon.ts), on the wasm heap in place: XNNPACK in wasm has SIMD128 and no FMA, several times slower
 * than OpenBLAS here (bench/README.md), and most of a training step is matrix multiplies.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { replaceKernel, type KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

/**
 * Replaces the wasm BatchMatMul / _FusedMatMul kernels, and Sum over leading axes (a bias gradient:
 * wasm transposes first) as a product with a row of ones. Call before setBackend('wasm'). False if
 * the matmul kernels were not found.
 */
export function registerMatMulKernels(addon: NativeAddon): boolean {
  const ok = replaceMatMul(tf.BatchMatMul, addon) && replaceMatMul(tf._FusedMatMul, addon);
  if (ok) replaceKernel(tf.Sum, (args, original) => sumLeadingAxes(args, addon) ?? original(args));
  return ok;
}

let ones = new Float32Array(0);

/** Sum of a float32 tensor over its first r axes (0 < r < rank) as ones[1, rows] x x[rows, cols]; null otherwise. */
function sumLeadingAxes(args: KernelArgs, addon: NativeAddon): TensorInfo | null {
  const x = args.inputs.x;
  if (!x || x.dtype !== 'float32' || x.shape.length < 2) return null;
  const axes = [...tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape)].sort((p, q) => p - q);
  if (axes.some((a, i) => a !== i) || axes.length >= x.shape.length) return null;
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const kept = x.shape.slice(axes.length);
  const cols = tf.util.sizeFromShape(kept);
  if (rows === 0 || cols === 0) return null;
  if (ones.length < rows) ones = new Float32Array(Math.max(rows, 2 * ones.length)).fill(1);
  const outShape = args.attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept;
  const out = args.backend.makeOutput(outShape, 'float32');
  const heap = args.backend;
  addon.sgemm(ones, heap.typedArrayFromHeap(x) as Float32Array, heap.typedArrayFromHeap(out) as Float32Array, 1, 1, cols, rows, false, false, 0, 0, null);
  return out;
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
