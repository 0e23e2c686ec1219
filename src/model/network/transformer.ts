/**
 * The Transformer encoder-decoder (Vaswani et al. 2017) with pre-LayerNorm blocks, as a Network
 * (architecture.ts). In the order data flows:
 *
 *   encoder  x = E_src[source] * sqrt(d) + P, dropout
 *            each layer: x += drop(SelfAttention(LN(x)));  x += drop(FeedForward(LN(x)))
 *            memory = LN(x)
 *   decoder  y = E_tgt[<s> y1 .. yn] * sqrt(d) + P, dropout
 *            each layer: y += drop(SelfAttention(LN(y)));  y += drop(CrossAttention(LN(y), memory));
 *                        y += drop(FeedForward(LN(y)))
 *            logits = LN(y) E_tgt^T + b   (tied embedding; or LN(y) W_out + b)
 *
 * Attention: per head softmax(Q K^T / sqrt(d_k) + mask) V, heads concatenated, then W_o. Masks: the
 * source padding in the encoder's self-attention and in cross-attention; causal plus target padding
 * in the decoder's self-attention. FeedForward: W_2 act(W_1 x + b_1) + b_2, act ReLU or GELU.
 * P: sinusoidal positions, or a learned table. Layout: batch-major, every activation [B * T, width];
 * attention (the seam's `attention`: batched matrix multiplies per head) reads the heads straight
 * out of the projections: the fused self-attention projection [B * T, 3d] (queries, keys, values),
 * or queries [B * T, d] and the memory's keys and values [B * S, 2d].
 *
 * Decoding is incremental: each decoder layer keeps the keys and values of the positions so far
 * (its self-attention cache, [R, t, 2d]) and those of the memory (cross-attention, computed once
 * per input), so step t costs O(t) rather than a run over the whole prefix.
 */
import { tf } from '../tf';
import type { ModelSettings } from '../config';
import { PAD } from '../data/tokenizer';
import type { BatchArrays } from '../data/data';
import { kernels, type LinearWeights, type NormWeights, type TransformerDecoderLayerWeights, type TransformerStepWeights } from '../acceleration/kernels';
import type { Architecture, DecoderState, Network, StepResult } from './architecture';
import { dropout, type DropoutSeeds } from './dropout';
import { glorotUniform, normal } from './initializers';
import { get, type ParamSpec, type Params } from './params';

const LAYER_NORM_EPSILON = 1e-5;
/** Added to the attention scores of masked positions: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

// ---- weights -------------------------------------------------------------------------------------

/** Names follow the blocks (`decoder/l0/cross_attention/key_value/kernel`); kernels are [in, out]. */
export function transformerParamSpecs(m: ModelSettings, srcVocab: number, tgtVocab: number): ParamSpec[] {
  const d = m.dModel;
  const specs: ParamSpec[] = [];
  const add = (name: string, shape: number[], init: ParamSpec['init']) => specs.push({ name, shape, init });
  const zeros = (n: number) => () => new Float32Array(n);
  const linear = (name: string, inSize: number, outSize: number) => {
    add(`${name}/kernel`, [inSize, outSize], (r) => glorotUniform(inSize, outSize, r));
    add(`${name}/bias`, [outSize], zeros(outSize));
  };
  const norm = (name: string) => {
    add(`${name}/gamma`, [d], () => new Float32Array(d).fill(1));
    add(`${name}/beta`, [d], zeros(d));
  };
  // Embeddings ~ N(0, 1/d): scaled by sqrt(d) they have unit variance, and as the tied output
  // projection they give logits of unit scale.
  const positions = (side: string) => {
    if (m.positions === 'learned') add(`${side}/positions`, [m.maxPositions, d], (r) => normal(m.maxPositions * d, d ** -0.5, r));
  };
  const embedding = (side: string, vocab: number) => {
    add(`${side}/embedding`, [vocab, d], (r) => normal(vocab * d, d ** -0.5, r));
    positions(side);
  };
  const feedForward = (prefix: string) => {
    norm(`${prefix}/ff_norm`);
    linear(`${prefix}/ff/inner`, d, m.ff);
    linear(`${prefix}/ff/outer`, m.ff, d);
  };
  // A shared vocabulary has one embedding, the decoder's, which the encoder reads too.
  if (m.sharedVocab) {
    if (srcVocab !== tgtVocab) throw new Error(`a shared vocabulary has one size (source ${srcVocab}, target ${tgtVocab})`);
    positions('encoder');
  } else {
    embedding('encoder', srcVocab);
  }
  for (let l = 0; l < m.encLayers; l++) {
    norm(`encoder/l${l}/self_attention_norm`);
    linear(`encoder/l${l}/self_attention/qkv`, d, 3 * d);
    linear(`encoder/l${l}/self_attention/output`, d, d);
    feedForward(`encoder/l${l}`);
  }
  norm('encoder/norm');
  embedding('decoder', tgtVocab);
  for (let l = 0; l < m.decLayers; l++) {
    norm(`decoder/l${l}/self_attention_norm`);
    linear(`decoder/l${l}/self_attention/qkv`, d, 3 * d);
    linear(`decoder/l${l}/self_attention/output`, d, d);
    norm(`decoder/l${l}/cross_attention_norm`);
    linear(`decoder/l${l}/cross_attention/query`, d, d);
    linear(`decoder/l${l}/cross_attention/key_value`, d, 2 * d);
    linear(`decoder/l${l}/cross_attention/output`, d, d);
    feedForward(`decoder/l${l}`);
  }
  norm('decoder/norm');
  if (m.tieEmbeddings) add('output/bias', [tgtVocab], zeros(tgtVocab));
  else linear('output', d, tgtVocab);
  return specs;
}

// ---- masks and positions -------------------------------------------------------------------------

/** Time-major ids [T * B] -> batch-major [B * T]. */
function batchMajor(ids: Int32Array, T: number, B: number): Int32Array {
  const out = new Int32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out[b * T + t] = ids[t * B + b];
  return out;
}

/** [B, 1, 1, S]: MASKED at padded source positions, else 0. */
function paddingBias(ids: Int32Array, B: number, S: number): tf.Tensor4D {
  return tf.tensor4d(ids.map((id) => (id === PAD ? MASKED : 0)), [B, 1, 1, S], 'float32');
}

/** [B, 1, T, T]: position t sees positions <= t that are not padding. */
function causalBias(ids: Int32Array, B: number, T: number): tf.Tensor4D {
  const out = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < T; j++) if (j > t || ids[b * T + j] === PAD) out[(b * T + t) * T + j] = MASKED;
    }
  }
  return tf.tensor4d(out, [B, 1, T, T]);
}

/** The sinusoidal table computed so far, per width d (grown on demand). */
const sinusoids = new Map<number, Float32Array>();

/** Rows start .. start + n - 1 of the sinusoidal table: P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...). */
function sinusoidalPositions(start: number, n: number, d: number): tf.Tensor2D {
  const rows = start + n;
  let table = sinusoids.get(d);
  if (!table || table.length < rows * d) {
    const count = Math.max(rows, 2 * ((table?.length ?? 0) / d), 64);
    table = new Float32Array(count * d);
    for (let p = 0; p < count; p++) {
      for (let i = 0; i < d; i += 2) {
        const angle = p / Math.pow(10000, i / d);
        table[p * d + i] = Math.sin(angle);
        if (i + 1 < d) table[p * d + i + 1] = Math.cos(angle);
      }
    }
    sinusoids.set(d, table);
  }
  return tf.tensor2d(table.subarray(start * d, rows * d), [n, d]);
}

// ---- the network ---------------------------------------------------------------------------------

export class TransformerNetwork implements Network {
  private readonly d: number;
  private readonly headSize: number;

  constructor(readonly m: ModelSettings, readonly params: Params) {
    this.d = m.dModel;
    this.headSize = m.dModel / m.heads;
  }

  private w(name: string): tf.Tensor { return get(this.params, name); }

  /** x W + b. */
  private linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: x, b: this.w(`${name}/kernel`) as tf.Tensor2D, bias: this.w(`${name}/bias`) }) as tf.Tensor2D;
  }

  private norm(name: string, x: tf.Tensor2D): tf.Tensor2D {
    return kernels().layerNorm(x, this.w(`${name}/gamma`), this.w(`${name}/beta`), LAYER_NORM_EPSILON) as tf.Tensor2D;
  }

  /** residual + drop(x W + b): the end of every sub-layer. */
  private residual(name: string, x: tf.Tensor2D, residual: tf.Tensor2D, training: DropoutSeeds | null): tf.Tensor2D {
    const y = tf.matMul(x, this.w(`${name}/kernel`) as tf.Tensor2D) as tf.Tensor2D;
    const rate = this.m.dropout;
    const mask = training && rate > 0 ? (kernels().dropoutMask(y.shape, 1 - rate, training.next()) as tf.Tensor2D) : null;
    return kernels().biasDropoutResidual(y, this.w(`${name}/bias`), residual, mask);
  }

  /** Multi-head attention of queries on keys and values (kv null: q is the fused [B * Tq, 3d] projection). */
  private attend(q: tf.Tensor2D, kv: tf.Tensor2D | null, B: number, Tq: number, Tk: number, maskBias: tf.Tensor4D | null, training: DropoutSeeds | null): tf.Tensor2D {
    const rate = this.m.attentionDropout;
    const drop = training && rate > 0 ? (kernels().dropoutMask([B, this.m.heads, Tq, Tk], 1 - rate, training.next()) as tf.Tensor4D) : null;
    return kernels().attention(q, kv, { batch: B, queries: Tq, keys: Tk, heads: this.m.heads, scale: 1 / Math.sqrt(this.headSize) }, maskBias, drop);
  }

  /** The memory's keys and values for one decoder layer's cross-attention: memory [B * S, d] -> [B * S, 2d]. */
  private memoryKeysValues(l: number, memory: tf.Tensor2D): tf.Tensor2D {
    return this.linear(`decoder/l${l}/cross_attention/key_value`, memory);
  }

  private feedForward(prefix: string, x: tf.Tensor2D, training: DropoutSeeds | null): tf.Tensor2D {
    const inner = this.linear(`${prefix}/ff/inner`, this.norm(`${prefix}/ff_norm`, x));
    const activated = this.m.activation === 'gelu' ? (kernels().gelu(inner) as tf.Tensor2D) : tf.relu(inner);
    return this.residual(`${prefix}/ff/outer`, activated, x, training);
  }

  /** Embedded tokens plus positions start .. start + T - 1: ids batch-major [B * T] -> [B * T, d]. */
  private embed(side: 'encoder' | 'decoder', ids: tf.Tensor1D, B: number, T: number, start: number, training: DropoutSeeds | null): tf.Tensor2D {
    const table = this.m.sharedVocab ? 'decoder' : side;
    const tokens = tf.mul(tf.gather(this.w(`${table}/embedding`), ids), Math.sqrt(this.d));
    const x = tf.reshape(tf.add(tf.reshape(tokens, [B, T, this.d]), this.positions(side, start, T)), [B * T, this.d]) as tf.Tensor2D;
    return training && this.m.dropout > 0 ? dropout(x, this.m.dropout, training) : x;
  }

  private positions(side: 'encoder' | 'decoder', start: number, n: number): tf.Tensor2D {
    if (this.m.positions === 'sinusoidal') return sinusoidalPositions(start, n, this.d);
    const last = this.m.maxPositions - 1;
    const idx = tf.tensor1d(Array.from({ length: n }, (_, i) => Math.min(start + i, last)), 'int32');
    return tf.gather(this.w(`${side}/positions`), idx) as tf.Tensor2D;
  }

  /** The encoder over batch-major source ids: memory [B * S, d] (after the final LayerNorm). */
  private encode(src: Int32Array, B: number, S: number, srcMask: tf.Tensor4D, training: DropoutSeeds | null): tf.Tensor2D {
    let x = this.embed('encoder', tf.tensor1d(src, 'int32'), B, S, 0, training);
    for (let l = 0; l < this.m.encLayers; l++) {
      const p = `encoder/l${l}`;
      const qkv = this.linear(`${p}/self_attention/qkv`, this.norm(`${p}/self_attention_norm`, x));
      x = this.residual(`${p}/self_attention/output`, this.attend(qkv, null, B, S, S, srcMask, training), x, training);
      x = this.feedForward(p, x, training);
    }
    return this.norm('encoder/norm', x);
  }

  /** LN(y) -> logits: the tied target embedding transposed, or the output kernel. */
  private logits(y: tf.Tensor2D): tf.Tensor2D {
    const h = this.norm('decoder/norm', y);
    const bias = this.w('output/bias');
    if (this.m.tieEmbeddings) return tf.fused.matMul({ a: h, b: this.w('decoder/embedding') as tf.Tensor2D, transposeB: true, bias }) as tf.Tensor2D;
    return tf.fused.matMul({ a: h, b: this.w('output/kernel') as tf.Tensor2D, bias }) as tf.Tensor2D;
  }

  teacherForcedLogits(b: BatchArrays, rows: tf.Tensor1D, training: DropoutSeeds | null): tf.Tensor2D {
    const B = b.batch;
    const S = b.srcLen;
    const T = b.tgtLen;
    const src = batchMajor(b.src, S, B);
    const tgt = batchMajor(b.tgtIn, T, B);
    const srcMask = paddingBias(src, B, S);
    const memory = this.encode(src, B, S, srcMask, training);
    const selfMask = causalBias(tgt, B, T);
    let y = this.embed('decoder', tf.tensor1d(tgt, 'int32'), B, T, 0, training);
    for (let l = 0; l < this.m.decLayers; l++) {
      const p = `decoder/l${l}`;
      const qkv = this.linear(`${p}/self_attention/qkv`, this.norm(`${p}/self_attention_norm`, y));
      y = this.residual(`${p}/self_attention/output`, this.attend(qkv, null, B, T, T, selfMask, training), y, training);
      const q = this.linear(`${p}/cross_attention/query`, this.norm(`${p}/cross_attention_norm`, y));
      y = this.residual(`${p}/cross_attention/output`, this.attend(q, this.memoryKeysValues(l, memory), B, T, S, srcMask, training), y, training);
      y = this.feedForward(p, y, training);
    }
    // Only the rows asked for (the real target tokens) reach the output layer, the costliest matmul.
    return this.logits(tf.gather(y, rows) as tf.Tensor2D);
  }

  startDecoding(srcIds: Int32Array, S: number, B: number): TransformerState {
    const src = batchMajor(srcIds, S, B);
    const srcMask = paddingBias(src, B, S);
    const memory = this.encode(src, B, S, srcMask, null);
    const cross = Array.from({ length: this.m.decLayers }, (_, l) => tf.reshape(this.memoryKeysValues(l, memory), [B, S, 2 * this.d]) as tf.Tensor3D);
    return new TransformerState(0, null, null, cross, srcMask);
  }

  /**
   * One position for every row: the new keys and values join each layer's cache; attention runs over
   * the cache (the seam's transformerDecoderStep: one fused kernel where the backend has one). Every
   * token's log-probability, or each row's topK best with their ids. Only the active rows are
   * computed (finished ones cost nothing). withAttention: also every layer's cross-attention weights
   * per head, [R, layers * heads, S].
   */
  step(prevIds: tf.Tensor1D, state: DecoderState, topK = 0, active: Int32Array | null = null, withAttention = false): StepResult {
    const s = state as TransformerState;
    const r = kernels().transformerDecoderStep(this.stepWeights(), prevIds, this.positions('decoder', s.position, 1), s, topK, active, withAttention);
    return { logProbs: r.logProbs, ids: r.ids, state: new TransformerState(s.position + 1, r.selfCache, null, s.cross, s.srcMask), attention: r.attention };
  }

  private stepWeights(): TransformerStepWeights {
    const linear = (name: string): LinearWeights => ({ kernel: this.w(`${name}/kernel`) as tf.Tensor2D, bias: this.w(`${name}/bias`) as tf.Tensor1D });
    const norm = (name: string): NormWeights => ({ gamma: this.w(`${name}/gamma`) as tf.Tensor1D, beta: this.w(`${name}/beta`) as tf.Tensor1D });
    const layers = Array.from({ length: this.m.decLayers }, (_, l): TransformerDecoderLayerWeights => {
      const p = `decoder/l${l}`;
      return {
        selfNorm: norm(`${p}/self_attention_norm`), qkv: linear(`${p}/self_attention/qkv`), selfOutput: linear(`${p}/self_attention/output`),
        crossNorm: norm(`${p}/cross_attention_norm`), crossQuery: linear(`${p}/cross_attention/query`), crossOutput: linear(`${p}/cross_attention/output`),
        ffNorm: norm(`${p}/ff_norm`), ffInner: linear(`${p}/ff/inner`), ffOuter: linear(`${p}/ff/outer`),
      };
    });
    return {
      heads: this.m.heads, activation: this.m.activation, epsilon: LAYER_NORM_EPSILON, embedding: this.w('decoder/embedding') as tf.Tensor2D,
      layers, norm: norm('decoder/norm'),
      output: { kernel: this.m.tieEmbeddings ? null : (this.w('output/kernel') as tf.Tensor2D), bias: this.w('output/bias') as tf.Tensor1D },
    };
  }
}

/**
 * The decoder's state between steps: the next position, each layer's self-attention keys and values
 * so far [R, position, 2d] (per hypothesis), and per layer the memory's keys and values [R, S, 2d]
 * with the source padding mask (per input). A beam reorder is kept as `order` (row r continues the
 * history in row order[r]) for the next step to apply as it extends the caches, rather than
 * gathering every cache here and copying it again in the step.
 */
export class TransformerState implements DecoderState {
  constructor(
    readonly position: number,
    readonly selfCache: tf.Tensor3D[] | null,
    readonly order: tf.Tensor1D | null,
    readonly cross: tf.Tensor3D[],
    readonly srcMask: tf.Tensor4D,
  ) {}

  tile(rows: tf.Tensor1D): TransformerState {
    const g = <T extends tf.Tensor>(t: T, index = rows) => tf.gather(t, index) as T;
    const history = this.order ? g(this.order) : rows;
    return new TransformerState(this.position, this.selfCache?.map((c) => g(c, history)) ?? null, null, this.cross.map((c) => g(c)), g(this.srcMask));
  }

  reorder(rows: tf.Tensor1D): TransformerState {
    if (!this.selfCache) return this;
    // A clone: the caller may dispose its index tensor.
    const order = this.order ? (tf.gather(this.order, rows) as tf.Tensor1D) : tf.clone(rows);
    return new TransformerState(this.position, this.selfCache, order, this.cross, this.srcMask);
  }

  tensors(): tf.Tensor[] {
    return [...(this.selfCache ?? []), ...this.cross, this.srcMask, ...(this.order ? [this.order] : [])];
  }
}

export const transformerArchitecture: Architecture = {
  paramSpecs: transformerParamSpecs,
  create: (m, params) => new TransformerNetwork(m, params),
};
