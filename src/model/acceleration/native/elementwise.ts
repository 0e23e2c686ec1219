/**
 * Element-wise kernels of the WebAssembly backend done by our native addon (native/blas/elementwise.c):
 * - Tanh: the wasm kernel is scalar (bench/README.md has the figures); ours is vectorised, within
 *   4e-7 of tanh;
 * - a dropout mask (kernel `Seq2SeqDropoutMask`, no inputs): tf.dropout draws its uniform numbers one
 *   by one in JavaScript; ours is a counter-based generator in C.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replaceKernel, type KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

export const DROPOUT_MASK = 'Seq2SeqDropoutMask';

/** Replaces the wasm Tanh kernel for float32 and registers the dropout mask (call before setBackend('wasm')). */
export function registerElementwiseKernels(addon: NativeAddon): void {
  replaceKernel(tf.Tanh, (a, original) => {
    const x = a.inputs.x;
    if (x.dtype !== 'float32') return original(a);
    const out: TensorInfo = a.backend.makeOutput(x.shape, 'float32');
    // Views are taken after the allocation: the heap may have grown and moved.
    addon.tanh(a.backend.typedArrayFromHeap(x) as Float32Array, a.backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  });
  if (tf.getKernel(DROPOUT_MASK, 'wasm')) return;
  tf.registerKernel({ kernelName: DROPOUT_MASK, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => dropoutMaskKernel(a, addon)) as unknown as KernelFunc });
}

/** A [shape] mask of 1/keep (probability keep) and 0, as tf.dropout multiplies by. Not differentiable (it has no inputs). */
export function nativeDropoutMask(shape: number[], keep: number, seed: number): tf.Tensor {
  return tf.engine().runKernel(DROPOUT_MASK, {}, { shape, keep, seed }) as tf.Tensor;
}

function dropoutMaskKernel(a: KernelArgs, addon: NativeAddon): TensorInfo {
  const { shape, keep, seed } = a.attrs as { shape: number[]; keep: number; seed: number };
  const out = a.backend.makeOutput(shape, 'float32');
  addon.dropoutMask(a.backend.typedArrayFromHeap(out) as Float32Array, keep, keep > 0 ? 1 / keep : 0, seed);
  return out;
}
