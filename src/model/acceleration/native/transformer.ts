/**
 * The Transformer's fused operations as kernels of the WebAssembly backend done by our native addon
 * (native/blas/transformer.c), each a forward and a backward kernel joined by customGrad:
 * - multi-head attention (scores, masked softmax, dropout, weighted values for every head) read and
 *   written in the projections' own layouts, so no head is ever transposed or split off: 2 calls
 *   instead of ~12 forward and ~15 backward kernels per attention;
 * - LayerNorm: 2 calls instead of ~9 forward and ~20 backward kernels per norm;
 * - the attention weights softmax(scale * scores + mask): 2 instead of ~4 + ~6;
 * - GELU (erf form): 2 instead of ~5 + ~12;
 * - a sub-layer's end, residual + dropoutMask * (x + bias): 2 instead of ~3 + ~4;
 * - the output layer's cross-entropy with label smoothing, and the log-softmax of decoding steps:
 *   the wasm Exp kernel is scalar (bench/README.md), and these are the largest element-wise
 *   passes of a step with a large target vocabulary (recurrent models use them too).
 * They implement the seam's layerNorm, maskedSoftmax, gelu and biasDropoutResidual (../kernels.ts)
 * and are checked against the reference versions (../reference/transformerOps.ts) in value and gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { AttentionShape, Kernels } from '../kernels';
import type { KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

export const LAYER_NORM = 'Seq2SeqLayerNorm';
export const LAYER_NORM_GRAD = 'Seq2SeqLayerNormGrad';
export const MASKED_SOFTMAX = 'Seq2SeqMaskedSoftmax';
export const MASKED_SOFTMAX_GRAD = 'Seq2SeqMaskedSoftmaxGrad';
export const GELU = 'Seq2SeqGelu';
export const GELU_GRAD = 'Seq2SeqGeluGrad';
export const BIAS_DROPOUT_RESIDUAL = 'Seq2SeqBiasDropoutResidual';
export const BIAS_DROPOUT_RESIDUAL_GRAD = 'Seq2SeqBiasDropoutResidualGrad';
export const CROSS_ENTROPY = 'Seq2SeqCrossEntropy';
export const CROSS_ENTROPY_GRAD = 'Seq2SeqCrossEntropyGrad';
export const LOG_SOFTMAX = 'Seq2SeqLogSoftmax';
export const ATTENTION = 'Seq2SeqAttention';
export const ATTENTION_GRAD = 'Seq2SeqAttentionGrad';

type Views = (...t: (TensorInfo | undefined)[]) => (Float32Array | null)[];
const ints = (v: Float32Array | null) => v as unknown as Int32Array;

/** Output tensors of the given shapes, then views of inputs and outputs (taken after allocating: the heap may move). */
function prepare(name: string, a: KernelArgs, inputs: (TensorInfo | undefined)[], shapes: number[][]): { outs: TensorInfo[]; views: (Float32Array | null)[] } {
  inputs.forEach((t, i) => { if (t && t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`${name}: input ${i + 1} must be float32 (got ${t.dtype})`); });
  const outs = shapes.map((s) => a.backend.makeOutput(s, 'float32'));
  const view: Views = (...ts) => ts.map((t) => (t ? (a.backend.typedArrayFromHeap(t) as Float32Array) : null));
  return { outs, views: view(...inputs, ...outs) };
}

const lastDim = (t: TensorInfo) => t.shape[t.shape.length - 1];
const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);

/** Where q, k and v lie in the inputs: the fused [rows, 3d] projection, or q [rows, d] with kv [rows, 2d]. */
function attentionLayout(q: TensorInfo, kv: TensorInfo | undefined, heads: number) {
  const d = kv ? q.shape[1] : q.shape[1] / 3;
  if (!Number.isInteger(d) || d % heads !== 0 || (kv && kv.shape[1] !== 2 * d)) {
    throw new Error(`${ATTENTION}: q [${q.shape}]${kv ? ` and kv [${kv.shape}]` : ''} do not hold ${heads} heads of queries, keys and values`);
  }
  return kv ? { d, ldq: d, ldk: 2 * d, qOff: 0, kOff: 0, vOff: d } : { d, ldq: 3 * d, ldk: 3 * d, qOff: 0, kOff: d, vOff: 2 * d };
}

function kernelTable(addon: NativeAddon): Record<string, (a: KernelArgs) => TensorInfo | TensorInfo[]> {
  return {
    [ATTENTION]: (a) => {
      const { q, kv, mask, drop } = a.inputs;
      const { batch: B, queries: Tq, keys: Tk, heads: H, scale } = a.attrs as unknown as AttentionShape;
      const L = attentionLayout(q, kv, H);
      if (q.shape[0] !== B * Tq || (kv && kv.shape[0] !== B * Tk) || (!kv && Tk !== Tq)) throw new Error(`${ATTENTION}: rows do not match batch ${B} x ${Tq} / ${Tk}`);
      if (mask && (mask.shape[0] !== B || mask.shape[3] !== Tk || (mask.shape[2] !== 1 && mask.shape[2] !== Tq))) throw new Error(`${ATTENTION}: mask [${mask.shape}] does not fit`);
      const { outs, views: v } = prepare(ATTENTION, a, [q, kv, mask, drop], [[B * Tq, L.d], [B, H, Tq, Tk]]);
      const keys = kv ? v[1]! : v[0]!;
      addon.attentionForward(v[0]!, keys, keys, v[2], v[3], v[5]!, v[4]!, B, H, Tq, Tk, L.d / H, L.ldq, L.ldk, L.ldk, L.qOff, L.kOff, L.vOff, mask ? mask.shape[2] : 1, scale);
      return outs;
    },
    [ATTENTION_GRAD]: (a) => {
      const { dy, q, kv, p, drop } = a.inputs;
      const { batch: B, queries: Tq, keys: Tk, heads: H, scale } = a.attrs as unknown as AttentionShape;
      const L = attentionLayout(q, kv, H);
      const { outs, views: v } = prepare(ATTENTION_GRAD, a, [dy, q, kv, p, drop], kv ? [q.shape, kv.shape] : [q.shape]);
      const keys = kv ? v[2]! : v[1]!;
      const dq = v[5]!;
      const dkv = kv ? v[6]! : dq;
      addon.attentionBackward(v[0]!, v[1]!, keys, keys, v[3]!, v[4], dq, dkv, dkv, B, H, Tq, Tk, L.d / H, L.ldq, L.ldk, L.ldk, L.qOff, L.kOff, L.vOff, scale);
      return outs;
    },
    [LAYER_NORM]: (a) => {
      const { x, gamma, beta } = a.inputs;
      const d = lastDim(x);
      const rows = size(x) / d;
      const { outs, views: v } = prepare(LAYER_NORM, a, [x, gamma, beta], [x.shape, [rows], [rows]]);
      addon.layerNormForward(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, rows, d, a.attrs.epsilon as number);
      return outs;
    },
    [LAYER_NORM_GRAD]: (a) => {
      const { dy, x, gamma, mean, rstd } = a.inputs;
      const d = lastDim(x);
      const rows = size(x) / d;
      const { outs, views: v } = prepare(LAYER_NORM_GRAD, a, [dy, x, gamma, mean, rstd], [x.shape, [d], [d]]);
      addon.layerNormBackward(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, rows, d);
      return outs;
    },
    [MASKED_SOFTMAX]: (a) => {
      const { scores, mask } = a.inputs;
      const [b, h, tq, tk] = scores.shape;
      if (mask && (mask.shape.length !== 4 || mask.shape[0] !== b || mask.shape[1] !== 1 || mask.shape[3] !== tk || (mask.shape[2] !== 1 && mask.shape[2] !== tq))) {
        throw new Error(`${MASKED_SOFTMAX}: mask [${mask.shape}] does not fit scores [${scores.shape}] (needs [${b}, 1, 1 or ${tq}, ${tk}])`);
      }
      const { outs, views: v } = prepare(MASKED_SOFTMAX, a, [scores, mask], [scores.shape]);
      addon.maskedSoftmaxForward(v[0]!, v[1], v[2]!, b, h, tq, tk, mask ? mask.shape[2] : 1, a.attrs.scale as number);
      return outs[0];
    },
    [MASKED_SOFTMAX_GRAD]: (a) => {
      const { y, dy } = a.inputs;
      const tk = lastDim(y);
      const { outs, views: v } = prepare(MASKED_SOFTMAX_GRAD, a, [y, dy], [y.shape]);
      addon.maskedSoftmaxBackward(v[0]!, v[1]!, v[2]!, size(y) / tk, tk, a.attrs.scale as number);
      return outs[0];
    },
    [GELU]: (a) => {
      const { x } = a.inputs;
      const { outs, views: v } = prepare(GELU, a, [x], [x.shape]);
      addon.geluForward(v[0]!, v[1]!, size(x));
      return outs[0];
    },
    [GELU_GRAD]: (a) => {
      const { x, dy } = a.inputs;
      const { outs, views: v } = prepare(GELU_GRAD, a, [x, dy], [x.shape]);
      addon.geluBackward(v[0]!, v[1]!, v[2]!, size(x));
      return outs[0];
    },
    [BIAS_DROPOUT_RESIDUAL]: (a) => {
      const { x, bias, residual, mask } = a.inputs;
      const d = lastDim(x);
      const { outs, views: v } = prepare(BIAS_DROPOUT_RESIDUAL, a, [x, bias, residual, mask], [x.shape]);
      addon.biasDropoutResidualForward(v[0]!, v[1]!, v[2]!, v[3], v[4]!, size(x) / d, d);
      return outs[0];
    },
    [BIAS_DROPOUT_RESIDUAL_GRAD]: (a) => {
      const { dy, mask } = a.inputs;
      const d = lastDim(dy);
      const { outs, views: v } = prepare(BIAS_DROPOUT_RESIDUAL_GRAD, a, [dy, mask], [dy.shape, [d]]);
      addon.biasDropoutResidualBackward(v[0]!, v[1], v[2]!, v[3]!, size(dy) / d, d);
      return outs;
    },
    [CROSS_ENTROPY]: (a) => {
      const { logits, targets } = a.inputs;
      const [rows, V] = logits.shape;
      if (targets.dtype !== 'int32' || size(targets) !== rows) throw new Error(`${CROSS_ENTROPY}: targets must be int32 [${rows}]`);
      const { outs, views: v } = prepare(CROSS_ENTROPY, a, [logits, targets], [[rows], [rows]]);
      addon.crossEntropyForward(v[0]!, ints(v[1]), v[2]!, v[3]!, rows, V, a.attrs.eps as number);
      return outs;
    },
    [CROSS_ENTROPY_GRAD]: (a) => {
      const { logits, targets, lse, dloss } = a.inputs;
      const [rows, V] = logits.shape;
      const { outs, views: v } = prepare(CROSS_ENTROPY_GRAD, a, [logits, targets, lse, dloss], [logits.shape]);
      addon.crossEntropyBackward(v[0]!, ints(v[1]), v[2]!, v[3]!, v[4]!, rows, V, a.attrs.eps as number);
      return outs[0];
    },
    [LOG_SOFTMAX]: (a) => {
      const { x } = a.inputs;
      const V = lastDim(x);
      const { outs, views: v } = prepare(LOG_SOFTMAX, a, [x], [x.shape]);
      addon.logSoftmax(v[0]!, v[1]!, size(x) / V, V);
      return outs[0];
    },
  };
}

/** Registers the kernels for the wasm backend. */
export function registerTransformerKernels(addon: NativeAddon): void {
  if (tf.getKernel(LAYER_NORM, 'wasm')) return;
  for (const [kernelName, fn] of Object.entries(kernelTable(addon))) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as KernelFunc });
  }
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);

type GradFn = (...args: unknown[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };
const differentiable = (f: GradFn) => tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);

/** The seam's Transformer operations on these kernels. */
export const nativeTransformerOps: Pick<Kernels, 'layerNorm' | 'maskedSoftmax' | 'attention' | 'attentionWithWeights' | 'gelu' | 'biasDropoutResidual' | 'crossEntropy' | 'logSoftmax'> = {
  layerNorm(x, gamma, beta, epsilon) {
    return differentiable((xi, g, b, save) => {
      const [y, mean, rstd] = run(LAYER_NORM, { x: xi as tf.Tensor, gamma: g as tf.Tensor, beta: b as tf.Tensor }, { epsilon }) as tf.Tensor[];
      (save as tf.GradSaveFunc)([xi as tf.Tensor, g as tf.Tensor, mean, rstd]);
      return { value: y, gradFunc: (dy, [sx, sg, sm, sr]) => run(LAYER_NORM_GRAD, { dy, x: sx, gamma: sg, mean: sm, rstd: sr }) as tf.Tensor[] };
    })(x, gamma, beta);
  },

  maskedSoftmax(scores, maskBias, scale) {
    const backward = (dy: tf.Tensor, y: tf.Tensor) => run(MASKED_SOFTMAX_GRAD, { y, dy }, { scale }) as tf.Tensor;
    if (!maskBias) {
      return differentiable((s, save) => {
        const y = run(MASKED_SOFTMAX, { scores: s as tf.Tensor }, { scale }) as tf.Tensor;
        (save as tf.GradSaveFunc)([y]);
        return { value: y, gradFunc: (dy, [sy]) => [backward(dy, sy)] };
      })(scores) as tf.Tensor4D;
    }
    return differentiable((s, m, save) => {
      const y = run(MASKED_SOFTMAX, { scores: s as tf.Tensor, mask: m as tf.Tensor }, { scale }) as tf.Tensor;
      (save as tf.GradSaveFunc)([y, m as tf.Tensor]);
      return { value: y, gradFunc: (dy, [sy, sm]) => [backward(dy, sy), tf.zerosLike(sm)] };
    })(scores, maskBias) as tf.Tensor4D;
  },

  attention(q, kv, shape, maskBias, dropMask) {
    const attrs = { ...shape };
    // The masks are no inputs of the differentiable op (they get no gradient) but are saved for the backward pass.
    const extra = { ...(maskBias ? { mask: maskBias } : {}), ...(dropMask ? { drop: dropMask } : {}) };
    if (!kv) {
      return differentiable((qi, save) => {
        const [out, p] = run(ATTENTION, { q: qi as tf.Tensor, ...extra }, attrs) as tf.Tensor[];
        (save as tf.GradSaveFunc)([qi as tf.Tensor, p, ...(dropMask ? [dropMask] : [])]);
        return { value: out, gradFunc: (dy, [sq, sp, sd]) => run(ATTENTION_GRAD, { dy, q: sq, p: sp, ...(sd ? { drop: sd } : {}) }, attrs) as tf.Tensor[] };
      })(q) as tf.Tensor2D;
    }
    return differentiable((qi, kvi, save) => {
      const [out, p] = run(ATTENTION, { q: qi as tf.Tensor, kv: kvi as tf.Tensor, ...extra }, attrs) as tf.Tensor[];
      (save as tf.GradSaveFunc)([qi as tf.Tensor, kvi as tf.Tensor, p, ...(dropMask ? [dropMask] : [])]);
      return { value: out, gradFunc: (dy, [sq, skv, sp, sd]) => run(ATTENTION_GRAD, { dy, q: sq, kv: skv, p: sp, ...(sd ? { drop: sd } : {}) }, attrs) as tf.Tensor[] };
    })(q, kv) as tf.Tensor2D;
  },

  // The forward kernel keeps the weights for the backward pass anyway: here they are its second output.
  attentionWithWeights(q, kv, shape, maskBias) {
    const [output, weights] = run(ATTENTION, { q, ...(kv ? { kv } : {}), ...(maskBias ? { mask: maskBias } : {}) }, { ...shape }) as tf.Tensor[];
    return { output: output as tf.Tensor2D, weights: weights as tf.Tensor4D };
  },

  gelu(x) {
    return differentiable((xi, save) => {
      (save as tf.GradSaveFunc)([xi as tf.Tensor]);
      return { value: run(GELU, { x: xi as tf.Tensor }) as tf.Tensor, gradFunc: (dy, [sx]) => [run(GELU_GRAD, { x: sx, dy }) as tf.Tensor] };
    })(x);
  },

  biasDropoutResidual(x, bias, residual, mask) {
    if (!mask) {
      return differentiable((xi, b, r) => ({
        value: run(BIAS_DROPOUT_RESIDUAL, { x: xi as tf.Tensor, bias: b as tf.Tensor, residual: r as tf.Tensor }) as tf.Tensor,
        gradFunc: (dy) => { const [dx, dbias] = run(BIAS_DROPOUT_RESIDUAL_GRAD, { dy }) as tf.Tensor[]; return [dx, dbias, dy]; },
      }))(x, bias, residual) as tf.Tensor2D;
    }
    return differentiable((xi, b, r, m, save) => {
      (save as tf.GradSaveFunc)([m as tf.Tensor]);
      return {
        value: run(BIAS_DROPOUT_RESIDUAL, { x: xi as tf.Tensor, bias: b as tf.Tensor, residual: r as tf.Tensor, mask: m as tf.Tensor }) as tf.Tensor,
        gradFunc: (dy, [sm]) => { const [dx, dbias] = run(BIAS_DROPOUT_RESIDUAL_GRAD, { dy, mask: sm }) as tf.Tensor[]; return [dx, dbias, dy, tf.zerosLike(sm)]; },
      };
    })(x, bias, residual, mask) as tf.Tensor2D;
  },

  crossEntropy(logits, targets, labelSmoothing) {
    const eps = labelSmoothing;
    // The targets are no input of the differentiable op (ids have no gradient), but are saved for the backward pass.
    return differentiable((x, save) => {
      const [loss, lse] = run(CROSS_ENTROPY, { logits: x as tf.Tensor, targets }, { eps }) as tf.Tensor[];
      (save as tf.GradSaveFunc)([x as tf.Tensor, lse, targets]);
      return { value: loss, gradFunc: (dloss, [sx, sl, st]) => [run(CROSS_ENTROPY_GRAD, { logits: sx, targets: st, lse: sl, dloss }, { eps }) as tf.Tensor] };
    })(logits) as tf.Tensor1D;
  },

  logSoftmax(x) {
    return run(LOG_SOFTMAX, { x }) as tf.Tensor2D;
  },
};
