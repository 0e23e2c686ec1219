/**
 * The wasm backend's kernels when our native addon is loaded: the TF.js kernels it replaces or adds
 * (matrix multiplies, Sum, Tanh, the sequence, Adam, dropout-mask and both decoder-step kernels), and the seam's set of
 * operations on them. Per-operation switches (SEQ2SEQ_NATIVE_RNN=0, SEQ2SEQ_NATIVE_ADAM=0) keep the
 * reference version of that operation.
 */
import type { EngineEnvironment } from '../../environment';
import { referenceKernels } from '../reference/kernels';
import type { Kernels } from '../kernels';
import type { NativeAddon } from './addon';
import { nativeAdamUpdate, nativeSumOfSquares, registerAdamKernel } from './adam';
import { DROPOUT_MASK, registerElementwiseKernels } from './elementwise';
import { registerMatMulKernels } from './matMul';
import { nativeRnnSequence, registerSequenceKernels } from './sequences';
import { nativeTransformerOps, registerTransformerKernels } from './transformer';
import { nativeDecoderStep, nativeDecoderStepSupports, registerDecoderStepKernel } from './decoderStep';
import { nativeTransformerStep, nativeTransformerStepSupports, registerTransformerStepKernel } from './transformerStep';
import * as tf from '@tensorflow/tfjs-core';

/** Registers the native TF.js kernels for the wasm backend (before setBackend('wasm')); null if the matmul kernels were not found. */
export function setUpNativeKernels(addon: NativeAddon, env: Pick<EngineEnvironment, 'nativeRnn' | 'nativeAdam' | 'nativeTransformer'>): Kernels | null {
  if (!registerMatMulKernels(addon)) return null;
  registerSequenceKernels(addon);
  registerAdamKernel(addon);
  registerElementwiseKernels(addon);
  registerTransformerKernels(addon);
  registerDecoderStepKernel(addon);
  registerTransformerStepKernel(addon);
  return nativeKernelSet(addon, env);
}

/** The seam's operations on the native kernels (registered by setUpNativeKernels). */
export function nativeKernelSet(addon: NativeAddon, env: Pick<EngineEnvironment, 'nativeRnn' | 'nativeAdam' | 'nativeTransformer'> = { nativeRnn: true, nativeAdam: true, nativeTransformer: true }): Kernels {
  const ref = referenceKernels;
  return {
    name: 'native',
    rnnSequence: env.nativeRnn
      ? (cell, xw, w, initial, mask, reverse) => (xw.shape[0] > 0 ? nativeRnnSequence(cell, xw, w, initial, mask, reverse) : ref.rnnSequence(cell, xw, w, initial, mask, reverse))
      : ref.rnnSequence,
    adamUpdate: env.nativeAdam ? nativeAdamUpdate : ref.adamUpdate,
    sumOfSquares: env.nativeAdam ? (tensors) => nativeSumOfSquares(addon, tensors) : ref.sumOfSquares,
    dropoutMask: (shape, keep, seed) => tf.engine().runKernel(DROPOUT_MASK, {}, { shape, keep, seed }) as tf.Tensor,
    ...(env.nativeTransformer ? nativeTransformerOps : {
      layerNorm: ref.layerNorm, maskedSoftmax: ref.maskedSoftmax, attention: ref.attention, attentionWithWeights: ref.attentionWithWeights,
      gelu: ref.gelu, biasDropoutResidual: ref.biasDropoutResidual,
      crossEntropy: ref.crossEntropy, logSoftmax: ref.logSoftmax,
    }),
    decoderStep: env.nativeRnn
      ? (w, prevIds, states, memory, topK, active, withAttention) =>
        (nativeDecoderStepSupports(w, memory) ? nativeDecoderStep : ref.decoderStep)(w, prevIds, states, memory, topK, active, withAttention)
      : ref.decoderStep,
    transformerDecoderStep: env.nativeTransformer
      ? (w, prevIds, position, caches, topK, active, withAttention) =>
        (nativeTransformerStepSupports(w) ? nativeTransformerStep : ref.transformerDecoderStep)(w, prevIds, position, caches, topK, active, withAttention)
      : ref.transformerDecoderStep,
  };
}
