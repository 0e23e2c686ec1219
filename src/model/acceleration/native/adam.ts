/**
 * Adam's update of one weight as a single kernel of the WebAssembly backend, done by our native addon
 * (native/blas/adam.c), instead of ~12 small kernels per weight; and the sum of squares of gradients
 * (for clipping by global norm) read straight off the wasm heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { AdamHyper } from '../kernels';
import type { HeapBackend, KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

export const ADAM_UPDATE = 'Seq2SeqAdamUpdate';

export function registerAdamKernel(addon: NativeAddon): void {
  if (tf.getKernel(ADAM_UPDATE, 'wasm')) return;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => adamKernel(a, addon)) as unknown as KernelFunc });
}

/** [p', m', v'] for weight p with gradient g and moments m, v (caller disposes). */
export function nativeAdamUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(ADAM_UPDATE, { p, g, m, v }, { ...h }) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** Sum of the squares of every element of the tensors (float32), read on the wasm heap. */
export function nativeSumOfSquares(addon: NativeAddon, tensors: tf.Tensor[]): number {
  const backend = tf.backend() as unknown as HeapBackend;
  let total = 0;
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`sum of squares: ${t.dtype} tensor`);
    total += addon.sumOfSquares(backend.typedArrayFromHeap(t) as Float32Array);
  }
  return total;
}

function adamKernel(a: KernelArgs, addon: NativeAddon): TensorInfo[] {
  const { p, g, m, v } = a.inputs;
  for (const [name, t] of Object.entries({ p, g, m, v })) {
    if (t.dtype !== 'float32') throw new Error(`${ADAM_UPDATE}: ${name} must be float32 (got ${t.dtype})`);
    if (!tf.util.arraysEqual(t.shape, p.shape)) throw new Error(`${ADAM_UPDATE}: ${name} has shape [${t.shape}], the weight [${p.shape}]`);
  }
  const h = a.attrs as unknown as AdamHyper;
  const b = a.backend;
  const outs = [b.makeOutput(p.shape, 'float32'), b.makeOutput(p.shape, 'float32'), b.makeOutput(p.shape, 'float32')];
  const view = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  addon.adamUpdate(view(p), view(g), view(m), view(v), view(outs[0]), view(outs[1]), view(outs[2]), h.lrT, h.beta1, h.beta2, h.epsilon, h.scale);
  return outs;
}
