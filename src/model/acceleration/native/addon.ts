/**
 * Loading our optional native addon `seq2seq_blas.node` (native/blas): matrix multiplies, whole LSTM /
 * GRU sequences, Adam and element-wise kernels for the WebAssembly backend, done by the machine's
 * optimised BLAS (OpenBLAS, Accelerate) on the wasm heap in place. Compiled at build time when a C
 * compiler and Node's headers exist; the BLAS is opened at run time with the settings given here
 * (the addon reads no environment). Anything missing -> null, with the reason in the status.
 * The addon's functions are declared once, in `NativeAddon`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { environment } from '../../environment';

export interface NativeAddon {
  /** Opens the BLAS (once per process): `library` first if given, then the platform's usual names; poolThreads sizes OpenBLAS's pool. */
  open(library: string | null, poolThreads: number | null): void;
  info(): { library: string | null; error: string | null; threads: number };
  setThreads(n: number): void;
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, bias: Float32Array | null): void;
  lstmForward(xw: Float32Array, wh: Float32Array, h0: Float32Array, c0: Float32Array, mask: Float32Array,
    packed: Float32Array, hPrev: Float32Array, cPrev: Float32Array, gates: Float32Array, tc: Float32Array,
    T: number, B: number, H: number, reverse: boolean): void;
  lstmBackward(dy: Float32Array, wh: Float32Array, hPrev: Float32Array, cPrev: Float32Array, gates: Float32Array,
    tc: Float32Array, mask: Float32Array, dxw: Float32Array, dwh: Float32Array, dh0: Float32Array, dc0: Float32Array,
    T: number, B: number, H: number, reverse: boolean): void;
  gruForward(xw: Float32Array, u: Float32Array, bRec: Float32Array, h0: Float32Array, mask: Float32Array,
    packed: Float32Array, hPrev: Float32Array, gates: Float32Array, hn: Float32Array, T: number, B: number, H: number, reverse: boolean): void;
  gruBackward(dy: Float32Array, u: Float32Array, hPrev: Float32Array, gates: Float32Array, hn: Float32Array, mask: Float32Array,
    dxw: Float32Array, du: Float32Array, dbRec: Float32Array, dh0: Float32Array, T: number, B: number, H: number, reverse: boolean): void;
  adamUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
    lrT: number, beta1: number, beta2: number, epsilon: number, scale: number): void;
  sumOfSquares(x: Float32Array): number;
  tanh(x: Float32Array, out: Float32Array): void;
  dropoutMask(out: Float32Array, keep: number, scale: number, seed: number): void;

  // ---- the Transformer's fused kernels (native/blas/transformer.h) ----
  layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, rstd: Float32Array,
    rows: number, d: number, epsilon: number): void;
  layerNormBackward(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, d: number): void;
  maskedSoftmaxForward(scores: Float32Array, mask: Float32Array | null, y: Float32Array, b: number, h: number, tq: number, tk: number, mq: number, scale: number): void;
  maskedSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, tk: number, scale: number): void;
  geluForward(x: Float32Array, y: Float32Array, n: number): void;
  geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void;
  biasDropoutResidualForward(x: Float32Array, bias: Float32Array, residual: Float32Array, mask: Float32Array | null, out: Float32Array, rows: number, d: number): void;
  biasDropoutResidualBackward(dy: Float32Array, mask: Float32Array | null, dx: Float32Array, dbias: Float32Array, rows: number, d: number): void;
  crossEntropyForward(logits: Float32Array, targets: Int32Array, loss: Float32Array, lse: Float32Array, rows: number, v: number, eps: number): void;
  crossEntropyBackward(logits: Float32Array, targets: Int32Array, lse: Float32Array, dloss: Float32Array, dlogits: Float32Array, rows: number, v: number, eps: number): void;
  logSoftmax(x: Float32Array, y: Float32Array, rows: number, v: number): void;
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, drop: Float32Array | null, p: Float32Array, out: Float32Array,
    b: number, h: number, tq: number, tk: number, dk: number, ldq: number, ldk: number, ldv: number, qOff: number, kOff: number, vOff: number, mq: number, scale: number): void;
  attentionBackward(dout: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, p: Float32Array, drop: Float32Array | null,
    dq: Float32Array, dk: Float32Array, dv: Float32Array, b: number, h: number, tq: number, tk: number, dk_: number, ldq: number, ldk: number, ldv: number,
    qOff: number, kOff: number, vOff: number, scale: number): void;
  /** One step of the whole decoder (native/blas/decoder_step.h); see decoderStep.ts. */
  decoderStep(spec: DecoderStepSpec): void;
  /** One step of the whole Transformer decoder (native/blas/transformer_step.h); see transformerStep.ts. */
  transformerStep(spec: TransformerStepSpec): void;
}

/** The argument of transformerStep (native/blas/bindings_transformer_step.c). */
export interface TransformerStepSpec {
  layers: number; rows: number; d: number; heads: number; ff: number; vocab: number; srcLen: number; past: number; gelu: number; topK: number; epsilon: number;
  ids: Int32Array; embedding: Float32Array; position: Float32Array;
  /** [rows]: row r's history is row order[r] of cacheIn; or null (row r's) */
  order: Int32Array | null;
  /** layers * 18: each layer's weights in transformer_step.h's order */
  weights: Float32Array[];
  cacheIn: Float32Array[]; cacheOut: Float32Array[]; memory: Float32Array[];
  normGamma: Float32Array; normBeta: Float32Array; outKernel: Float32Array | null; outBias: Float32Array; maskBias: Float32Array;
  active: Int32Array | null; logProbs: Float32Array | null; topLogProbs: Float32Array | null; topIds: Int32Array | null; attentionOut: Float32Array | null;
}

/** The argument of decoderStep (native/blas/bindings_decoder.c): sizes, the step's arrays, per layer in lists, and its outputs. */
export interface DecoderStepSpec {
  cell: number; layers: number; attention: number; rows: number; hidden: number; emb: number; vocab: number; topK: number;
  srcLen: number; mem: number; att: number;
  ids: Int32Array; embedding: Float32Array; inputTable: Float32Array | null; kernels: (Float32Array | null)[]; recurrents: Float32Array[]; biases: Float32Array[];
  hIn: Float32Array[]; hOut: Float32Array[]; cIn: Float32Array[]; cOut: Float32Array[];
  values: Float32Array | null; keys: Float32Array | null; maskBias: Float32Array | null; wc: Float32Array | null;
  wq: Float32Array | null; v: Float32Array | null; outKernel: Float32Array; outBias: Float32Array;
  active: Int32Array | null; logProbs: Float32Array | null; topLogProbs: Float32Array | null; topIds: Int32Array | null;
  /** [rows, srcLen] each row's attention weights, or null (not asked, or no attention). */
  attentionOut: Float32Array | null;
}

export interface NativeAddonStatus { active: boolean; library: string | null; reason: string | null }

/**
 * BLAS threads by default: every core up to 4 (the matrices of these models gain little beyond), or
 * SEQ2SEQ_BLAS_THREADS. One training thread then keeps both cores of a 2-core machine busy in its
 * matrix multiplies; a gradient replica (two training threads) asks for 1 per thread instead.
 */
export function defaultBlasThreads(): number {
  return environment().blasThreads ?? Math.min(4, availableParallelism());
}

/** The BLAS threads set for large multiplies, or null without the addon. */
export function blasThreads(): number | null {
  return loaded?.addon ? loaded.addon.info().threads : null;
}

/** Sets the BLAS threads (process-wide) and returns the previous count; no-op without the addon. */
export function setBlasThreads(n: number): number {
  const addon = loaded?.addon;
  if (!addon) return n;
  const before = addon.info().threads;
  addon.setThreads(Math.max(1, Math.floor(n)));
  return before;
}

let loaded: { addon: NativeAddon | null; status: NativeAddonStatus } | null = null;

/** Loads the addon once per process (or thread) from the first folder that has it. */
export function loadNativeAddon(searchDirs: string[]): { addon: NativeAddon | null; status: NativeAddonStatus } {
  loaded ??= load(searchDirs);
  return loaded;
}

function load(searchDirs: string[]): { addon: NativeAddon | null; status: NativeAddonStatus } {
  const off = (reason: string) => ({ addon: null, status: { active: false, library: null, reason } });
  const env = environment();
  if (!env.nativeAddon) return off('turned off by SEQ2SEQ_NATIVE_BLAS=0');
  const file = searchDirs.map((d) => join(d, 'seq2seq_blas.node')).find((f) => existsSync(f));
  if (!file) return off('seq2seq_blas.node was not built (needs a C compiler and Node headers at build time)');
  let addon: NativeAddon;
  try {
    addon = createRequire(file)(file) as NativeAddon;
  } catch (e) {
    return off(`seq2seq_blas.node did not load: ${(e as Error).message.split('\n')[0]}`);
  }
  addon.open(env.blasLibrary, env.blasThreads);
  const info = addon.info();
  if (!info.library) return off(`no optimised BLAS found (${info.error ?? 'unknown'})`);
  // Worker threads share the process's BLAS; only the main thread chooses its thread count.
  if (isMainThread) addon.setThreads(defaultBlasThreads());
  return { addon, status: { active: true, library: info.library, reason: null } };
}
