/**
 * The seam's transformerDecoderStep (../kernels.ts) as one kernel of the WebAssembly backend done by
 * our addon (native/blas/transformer_step.c): the whole decoder step (embedding, every layer's
 * self-attention over its cache, cross-attention, feed-forward, the output layer, log-softmax, top-k)
 * in one call instead of ~145 TF.js kernels with their bookkeeping. The new self-attention caches
 * are written whole by the kernel (the old ones copied, this position appended) as new tensors, so
 * the decoder state stays immutable tensors that beam search can gather.
 *
 * Kernel `Seq2SeqTransformerStep`, inputs: ids [R] int32, embedding [V, d], position [1, d], per layer l
 * the 18 weights w{l}_{j} (in weightOrder's order), cacheIn{l} [R, t, 2d] (after the first step), memory{l}
 * [R, S, 2d]; order [R] int32 (a pending beam reorder of the caches, optional); normGamma, normBeta, outKernel [d, V] (untied only), outBias, maskBias [R, 1, 1, S].
 * Attrs layers, heads, gelu, epsilon, topK, allRows, active, withAttention. Outputs: per layer the
 * cache [R, t + 1, 2d], the log-probabilities ([R, V], or [R, k] with ids [R, k] int32 after them),
 * then with withAttention the cross-attention weights [R, layers * heads, S].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { TransformerCaches, TransformerDecoderLayerWeights, TransformerStepResult, TransformerStepWeights } from '../kernels';
import type { KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

export const TRANSFORMER_STEP = 'Seq2SeqTransformerStep';
/** As TSTEP_MAX_LAYERS in transformer_step.h. */
const MAX_LAYERS = 32;

/** A layer's weights in the order of transformer_step.h's enum. */
function weightOrder(w: TransformerDecoderLayerWeights): tf.Tensor[] {
  const pairs: [tf.Tensor, tf.Tensor][] = [
    [w.selfNorm.gamma, w.selfNorm.beta], [w.qkv.kernel, w.qkv.bias], [w.selfOutput.kernel, w.selfOutput.bias],
    [w.crossNorm.gamma, w.crossNorm.beta], [w.crossQuery.kernel, w.crossQuery.bias], [w.crossOutput.kernel, w.crossOutput.bias],
    [w.ffNorm.gamma, w.ffNorm.beta], [w.ffInner.kernel, w.ffInner.bias], [w.ffOuter.kernel, w.ffOuter.bias],
  ];
  return pairs.flat();
}
const WEIGHTS_PER_LAYER = 18;

export function registerTransformerStepKernel(addon: NativeAddon): void {
  if (tf.getKernel(TRANSFORMER_STEP, 'wasm')) return;
  tf.registerKernel({ kernelName: TRANSFORMER_STEP, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => transformerStepKernel(a, addon)) as unknown as KernelFunc });
}

/** Whether the native kernel does this step; otherwise the reference does. */
export function nativeTransformerStepSupports(w: TransformerStepWeights): boolean {
  return w.layers.length >= 1 && w.layers.length <= MAX_LAYERS;
}

export function nativeTransformerStep(
  w: TransformerStepWeights, prevIds: tf.Tensor1D, position: tf.Tensor2D, caches: TransformerCaches, topK: number, active: Int32Array | null,
  withAttention: boolean,
): TransformerStepResult {
  const inputs: Record<string, tf.Tensor> = {
    ids: prevIds, embedding: w.embedding, position, normGamma: w.norm.gamma, normBeta: w.norm.beta, outBias: w.output.bias, maskBias: caches.srcMask,
  };
  if (w.output.kernel) inputs.outKernel = w.output.kernel;
  w.layers.forEach((lw, l) => {
    weightOrder(lw).forEach((t, j) => { inputs[`w${l}_${j}`] = t; });
    if (caches.selfCache) inputs[`cacheIn${l}`] = caches.selfCache[l];
    if (caches.order) inputs.order = caches.order;
    inputs[`memory${l}`] = caches.cross[l];
  });
  const L = w.layers.length;
  const outs = tf.engine().runKernel(TRANSFORMER_STEP, inputs as unknown as tf.NamedTensorMap, {
    layers: L, heads: w.heads, gelu: w.activation === 'gelu', epsilon: w.epsilon, topK, allRows: !active, active: active ? Array.from(active) : [], withAttention,
  }) as tf.Tensor[];
  return {
    selfCache: outs.slice(0, L) as tf.Tensor3D[], logProbs: outs[L] as tf.Tensor2D, ids: topK > 0 ? (outs[L + 1] as tf.Tensor2D) : null,
    attention: withAttention ? (outs[L + (topK > 0 ? 2 : 1)] as tf.Tensor3D) : null,
  };
}

function transformerStepKernel(a: KernelArgs, addon: NativeAddon): TensorInfo[] {
  const { layers, heads, gelu, epsilon, topK, allRows, active, withAttention } = a.attrs as {
    layers: number; heads: number; gelu: boolean; epsilon: number; topK: number; allRows: boolean; active: number[]; withAttention: boolean;
  };
  const ins = a.inputs;
  for (const [name, t] of Object.entries(ins)) {
    if (t.dtype !== (name === 'ids' || name === 'order' ? 'int32' : 'float32')) throw new Error(`${TRANSFORMER_STEP}: ${name} is ${t.dtype}`);
  }
  const [R] = ins.ids.shape;
  const [V, d] = ins.embedding.shape;
  const [, S] = ins.memory0.shape;
  const past = ins.cacheIn0?.shape[1] ?? 0;
  const ff = ins.w0_15.shape[0];
  const b = a.backend;
  const outputs: TensorInfo[] = Array.from({ length: layers }, () => b.makeOutput([R, past + 1, 2 * d], 'float32'));
  const logProbs = b.makeOutput([R, topK > 0 ? topK : V], 'float32');
  const ids = topK > 0 ? b.makeOutput([R, topK], 'int32') : null;
  outputs.push(logProbs);
  if (ids) outputs.push(ids);
  const weights = withAttention ? b.makeOutput([R, layers * heads, S], 'float32') : null;
  if (weights) outputs.push(weights);
  // Views are taken after the allocations: the heap may have grown and moved.
  const f32 = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const perLayer = (f: (l: number) => TensorInfo) => Array.from({ length: layers }, (_, l) => f32(f(l)));
  addon.transformerStep({
    layers, rows: R, d, heads, ff, vocab: V, srcLen: S, past, gelu: gelu ? 1 : 0, topK, epsilon,
    ids: b.typedArrayFromHeap(ins.ids) as Int32Array, order: ins.order ? (b.typedArrayFromHeap(ins.order) as Int32Array) : null, embedding: f32(ins.embedding), position: f32(ins.position),
    weights: Array.from({ length: layers * WEIGHTS_PER_LAYER }, (_, i) => f32(ins[`w${Math.floor(i / WEIGHTS_PER_LAYER)}_${i % WEIGHTS_PER_LAYER}`])),
    cacheIn: past > 0 ? perLayer((l) => ins[`cacheIn${l}`]) : [], cacheOut: perLayer((l) => outputs[l]), memory: perLayer((l) => ins[`memory${l}`]),
    normGamma: f32(ins.normGamma), normBeta: f32(ins.normBeta), outKernel: ins.outKernel ? f32(ins.outKernel) : null, outBias: f32(ins.outBias),
    maskBias: f32(ins.maskBias), active: allRows ? null : Int32Array.from(active),
    logProbs: ids ? null : f32(logProbs), topLogProbs: ids ? f32(logProbs) : null, topIds: ids ? (b.typedArrayFromHeap(ids) as Int32Array) : null,
    attentionOut: weights ? f32(weights) : null,
  });
  return outputs;
}
