/**
 * The seam between the model math and its accelerated implementations. The network, the optimizer
 * and dropout call these operations through `kernels()`; each backend provides its set, registered
 * once when the backend is set up (backend.ts), and the active backend's set answers — as TF.js's
 * own engine looks a kernel up by backend. Backends without a set of their own get the reference
 * set: the same operations written with TF.js ops (reference/), which every backend runs.
 *
 * Why a set of operations here rather than TF.js custom kernels with composed fallbacks: our fused
 * operations are differentiable as wholes (a forward and a backward kernel joined by customGrad,
 * or TF.js autograd over the composed version), they return several tensors, and two of them
 * (sumOfSquares, the Adam update) are optimizer steps rather than graph operations. One typed
 * interface that both sets satisfy keeps that in one place and lets tests run both side by side.
 */
import { tf } from '../tf';
import type { ActivationKind, AttentionKind, CellKind } from '../config';
import type { AttentionWeights, Memory } from '../network/attention';
import { referenceKernels } from './reference/kernels';

export interface RnnState { h: tf.Tensor2D; c?: tf.Tensor2D }

/** One recurrent layer's weights in Keras layout: LSTM gates i, f, c, o; GRU z, r, h (reset_after). */
export interface RnnWeights {
  /** [inputSize, gates*H] */
  kernel: tf.Tensor2D;
  /** [H, gates*H] */
  recurrentKernel: tf.Tensor2D;
  /** LSTM: [4H]; GRU: [2, 3H] (input bias, recurrent bias) */
  bias: tf.Tensor;
}

export interface SequenceResult { outputs: tf.Tensor3D; final: RnnState }

/** The shape of one multi-head attention call (see Kernels.attention). */
export interface AttentionShape { batch: number; queries: number; keys: number; heads: number; scale: number }

export interface AdamHyper { lrT: number; beta1: number; beta2: number; epsilon: number; scale: number }

export interface Kernels {
  /** Which implementation this is, for reports ('reference', 'native'). */
  readonly name: string;
  /**
   * A whole recurrent layer over projected inputs xw [T, B, gates*H] (input bias included) from the
   * initial state; mask [T, B, 1] (1 = real token; the state is carried through padding) or null;
   * reverse runs from the last step. Outputs are in input order. Differentiable in xw, the weights and the state.
   */
  rnnSequence(cell: CellKind, xw: tf.Tensor3D, w: RnnWeights, initial: RnnState, mask: tf.Tensor3D | null, reverse: boolean): SequenceResult;
  /** Adam's update of one weight: [p', m', v'] (caller disposes). */
  adamUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper): [tf.Tensor, tf.Tensor, tf.Tensor];
  /** The sum of the squares of every element of the tensors (the gradient norm for clipping). */
  sumOfSquares(tensors: tf.Tensor[]): number;
  /** A [shape] mask of 1/keep (probability keep) and 0; the same seed gives the same mask on the same backend. */
  dropoutMask(shape: number[], keep: number, seed: number): tf.Tensor;

  // ---- the Transformer's operations (each differentiable in every float input but the mask) ----
  /** LayerNorm over the last axis: gamma * (x - mean) / sqrt(variance + epsilon) + beta; gamma, beta [d]. */
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor;
  /**
   * Attention weights: softmax(scale * scores + maskBias) over the last axis. scores [B, H, Tq, Tk];
   * maskBias [B, 1, Tq or 1, Tk] (0 where a query may attend, a large negative number where not), or null.
   */
  maskedSoftmax(scores: tf.Tensor4D, maskBias: tf.Tensor4D | null, scale: number): tf.Tensor4D;
  /**
   * Multi-head attention with the heads concatenated: per head softmax(scale * Q K^T + mask), times
   * dropMask, times V. q [B * Tq, d] with kv [B * Tk, 2d] (keys, then values); or, with kv null, q is
   * the fused projection [B * T, 3d] (queries, keys, values; Tk = Tq). maskBias [B, 1, 1 or Tq, Tk]
   * or null; dropMask [B, heads, Tq, Tk] or null. Returns [B * Tq, d]. Differentiable in q and kv.
   */
  attention(q: tf.Tensor2D, kv: tf.Tensor2D | null, shape: AttentionShape, maskBias: tf.Tensor4D | null, dropMask: tf.Tensor4D | null): tf.Tensor2D;
  /**
   * The same attention for inference (no dropout, not differentiated), also giving its weights
   * [B, heads, Tq, Tk] (each row sums to 1): what the attention view shows.
   */
  attentionWithWeights(q: tf.Tensor2D, kv: tf.Tensor2D | null, shape: AttentionShape, maskBias: tf.Tensor4D | null): { output: tf.Tensor2D; weights: tf.Tensor4D };
  /** GELU in its exact (erf) form, x * Phi(x), as PyTorch's default. */
  gelu(x: tf.Tensor): tf.Tensor;
  /**
   * A sub-layer's end: residual + mask * (x + bias), i.e. its output projection's bias, residual
   * dropout (mask: a dropoutMask, or null for none) and the residual connection. x, residual, mask [N, d]; bias [d].
   */
  biasDropoutResidual(x: tf.Tensor2D, bias: tf.Tensor, residual: tf.Tensor2D, mask: tf.Tensor2D | null): tf.Tensor2D;

  // ---- the output layer ----
  /**
   * Cross-entropy of each row of logits [N, V] against its target id (int32 [N]) with label smoothing
   * eps, the share spread uniformly over all V classes: -(1 - eps) log p(target) - eps mean_v log p(v).
   * Differentiable in logits.
   */
  crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, labelSmoothing: number): tf.Tensor1D;
  /** log-softmax over the last axis of [R, V], for decoding steps (not differentiated). */
  logSoftmax(x: tf.Tensor2D): tf.Tensor2D;

  /**
   * One step of the whole decoder for every row (inference only): the previous tokens' embeddings,
   * every layer's step from `states`, attention over `memory` (null without attention), the output
   * projection and log-softmax. topK 0: every token's log-probability [B, V], ids null; topK k > 0:
   * each row's k best tokens, best first (ties: the lower id), as ids [B, k] int32 and their
   * log-probabilities [B, k]. active: the rows to compute, ascending (null: all); every other row
   * keeps its state and gets log-probabilities 0 and ids 0 (search passes the rows still decoding).
   * withAttention: also the attention weights of each row over the memory [B, S] (rows not active: 0);
   * without attention in the model, or when false, null.
   */
  decoderStep(
    w: DecoderStepWeights, prevIds: tf.Tensor1D, states: RnnState[], memory: Memory | null, topK: number, active: Int32Array | null, withAttention: boolean,
  ): DecoderStepResult;

  /**
   * One step of the whole Transformer decoder for every row (inference only): the previous tokens'
   * embeddings * sqrt(d) + `position` [1, d]; per layer the pre-LayerNorm blocks of
   * network/transformer.ts (self-attention over `caches.selfCache` plus this position, cross-attention
   * over the memory's keys and values with the source padding mask, feed-forward), each with its
   * residual; the final LayerNorm, the output projection and log-softmax. Returns each layer's cache
   * grown by this position [R, t + 1, 2d] and every token's log-probability [R, V] (topK 0, ids null)
   * or each row's topK best, best first (ties: the lower id), with their ids [R, k] int32. active:
   * the rows to compute, ascending (null: all); the others get zero keys and values at this
   * position, log-probabilities 0 and ids 0. withAttention: also every layer's cross-attention weights
   * per head [R, layers * heads, S] (rows not active: 0); else null.
   */
  transformerDecoderStep(
    w: TransformerStepWeights, prevIds: tf.Tensor1D, position: tf.Tensor2D, caches: TransformerCaches, topK: number, active: Int32Array | null,
    withAttention: boolean,
  ): TransformerStepResult;
}

/** x W + b: kernel [in, out], bias [out]. */
export interface LinearWeights { kernel: tf.Tensor2D; bias: tf.Tensor1D }
/** LayerNorm's gamma and beta [d]. */
export interface NormWeights { gamma: tf.Tensor1D; beta: tf.Tensor1D }

export interface TransformerDecoderLayerWeights {
  selfNorm: NormWeights;
  /** [d, 3d]: queries, keys, values */
  qkv: LinearWeights;
  selfOutput: LinearWeights;
  crossNorm: NormWeights;
  crossQuery: LinearWeights;
  crossOutput: LinearWeights;
  ffNorm: NormWeights;
  ffInner: LinearWeights;
  ffOuter: LinearWeights;
}

/** The Transformer decoder's weights as one decoding step uses them. */
export interface TransformerStepWeights {
  heads: number;
  activation: ActivationKind;
  /** LayerNorm's epsilon */
  epsilon: number;
  /** [V, d] */
  embedding: tf.Tensor2D;
  layers: TransformerDecoderLayerWeights[];
  norm: NormWeights;
  /** kernel [d, V], or null: the embedding transposed (tied); bias [V] */
  output: { kernel: tf.Tensor2D | null; bias: tf.Tensor1D };
}

/**
 * What a Transformer decoding step reads of the decoder state: per layer the self-attention keys and
 * values so far [R, t, 2d] (null before the first step), the memory's keys and values [R, S, 2d] and
 * the source padding mask [R, 1, 1, S]. order: a beam reorder not yet applied to the self-attention
 * caches (int32 [R]: row r continues the history in row order[r]), which the step applies as it
 * extends them; or null.
 */
export interface TransformerCaches { selfCache: tf.Tensor3D[] | null; order: tf.Tensor1D | null; cross: tf.Tensor3D[]; srcMask: tf.Tensor4D }

export interface TransformerStepResult { selfCache: tf.Tensor3D[]; logProbs: tf.Tensor2D; ids: tf.Tensor2D | null; attention: tf.Tensor3D | null }

/** The decoder's weights as one decoding step uses them. */
export interface DecoderStepWeights {
  cell: CellKind;
  attention: AttentionKind;
  /** [V, E] */
  embedding: tf.Tensor2D;
  /** Layer 0's projected inputs of every token [V, gates*H] (network/inputTables.ts), looked up instead of projecting the embedding; or null. */
  inputTable: tf.Tensor2D | null;
  /** Layer 0's kernel is [E, gates*H], the others' [H, gates*H]. */
  layers: RnnWeights[];
  /** null without attention */
  attend: AttentionWeights | null;
  /** [H, V], [V] */
  output: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
}

export interface DecoderStepResult { states: RnnState[]; logProbs: tf.Tensor2D; ids: tf.Tensor2D | null; attention: tf.Tensor2D | null }

const byBackend = new Map<string, Kernels>();
let override: Kernels | null = null;

/** Called once per backend, when it is set up, by backend.ts. */
export function registerKernels(backendName: string, kernels: Kernels): void {
  byBackend.set(backendName, kernels);
}

/** The active backend's kernels: its own set, else the reference set. */
export function kernels(): Kernels {
  return override ?? byBackend.get(tf.getBackend()) ?? referenceKernels;
}

export { referenceKernels };

/** For tests that compare two implementations through the whole model: runs fn with `k` in place of the backend's set. */
export function withKernels<T>(k: Kernels, fn: () => T): T {
  const before = override;
  override = k;
  try { return fn(); } finally { override = before; }
}
