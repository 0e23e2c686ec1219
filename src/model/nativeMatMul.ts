/**
 * Matrix multiplies of the WebAssembly backend done by the machine's optimised BLAS (OpenBLAS,
 * Accelerate) through our small addon `seq2seq_blas.node` (native/blas), on the wasm heap in place.
 * XNNPACK in wasm reaches ~13-18 GFLOP/s on one core here (SIMD128, no FMA); OpenBLAS ~70-110.
 * Most of a training step is matrix multiplies, so this is where the time goes.
 *
 * Optional by design: the addon is compiled at build time when a C compiler and Node's headers exist,
 * and opens the BLAS at run time. Anything missing -> the wasm kernels stay, with the reason in
 * nativeMatMulStatus(). `SEQ2SEQ_NATIVE_BLAS=0` turns it off.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { replaceKernel, type KernelArgs } from './wasmKernels';

interface BlasAddon {
  info(): { library: string | null; error: string | null; threads: number };
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, bias: Float32Array | null): void;
}

export interface NativeMatMulStatus { active: boolean; library: string | null; reason: string | null }

let status: NativeMatMulStatus = { active: false, library: null, reason: 'not tried' };

/** Whether BLAS does the wasm backend's matrix multiplies, with which library, or why not. */
export function nativeMatMulStatus(): NativeMatMulStatus {
  return status;
}

/** Loads the addon and, if a BLAS opened, replaces the wasm BatchMatMul / _FusedMatMul kernels. Call before setBackend('wasm'). */
export function registerNativeMatMul(searchDirs: string[]): NativeMatMulStatus {
  if (status.reason !== 'not tried') return status;
  if (process.env.SEQ2SEQ_NATIVE_BLAS === '0') return (status = { active: false, library: null, reason: 'turned off by SEQ2SEQ_NATIVE_BLAS=0' });
  const file = searchDirs.map((d) => join(d, 'seq2seq_blas.node')).find((f) => existsSync(f));
  if (!file) return (status = { active: false, library: null, reason: 'seq2seq_blas.node was not built (needs a C compiler and Node headers at build time)' });
  let addon: BlasAddon;
  try {
    addon = createRequire(file)(file) as BlasAddon;
  } catch (e) {
    return (status = { active: false, library: null, reason: `seq2seq_blas.node did not load: ${(e as Error).message.split('\n')[0]}` });
  }
  const info = addon.info();
  if (!info.library) return (status = { active: false, library: null, reason: `no optimised BLAS found (${info.error ?? 'unknown'})` });
  const ok = replaceMatMul(tf.BatchMatMul, addon) && replaceMatMul(tf._FusedMatMul, addon);
  return (status = ok ? { active: true, library: info.library, reason: null } : { active: false, library: null, reason: 'wasm matmul kernels not found' });
}

function replaceMatMul(kernelName: string, addon: BlasAddon): boolean {
  return replaceKernel(kernelName, (args, original) => blasMatMul(args, addon) ?? original(args));
}

/**
 * The product of a BatchMatMul / _FusedMatMul call, or null for cases left to the wasm kernel:
 * non-float32, batch dimensions that broadcast other than "equal or one side 1", a bias that is not
 * one value per output column, an activation other than linear.
 */
function blasMatMul(args: KernelArgs, addon: BlasAddon): TensorInfo | null {
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
