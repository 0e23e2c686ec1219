/**
 * Every SEQ2SEQ_* environment switch of the engine, read once, in one typed record. Nothing else in
 * the engine reads process.env; the native addon gets its settings from the loader (acceleration/native).
 * (The build's own switch, SEQ2SEQ_NATIVE_BLAS=0 to skip compiling the addon, is read by native/build.mjs.)
 */
import { backendPreference, type BackendPreference } from './acceleration/backendPreference';

export interface EngineEnvironment {
  /** SEQ2SEQ_BACKEND=tensorflow|tfjs-node|wasm|cpu forces a backend; anything else: auto. */
  backend: BackendPreference;
  /** SEQ2SEQ_NATIVE_BLAS=0: do not load our native addon (the wasm backend's own kernels run). */
  nativeAddon: boolean;
  /** SEQ2SEQ_NATIVE_RNN=0: LSTM / GRU sequences and decoding steps on TF.js ops even when the addon is loaded. */
  nativeRnn: boolean;
  /** SEQ2SEQ_NATIVE_ADAM=0: Adam and the gradient norm on TF.js ops even when the addon is loaded. */
  nativeAdam: boolean;
  /** SEQ2SEQ_NATIVE_TRANSFORMER=0: the Transformer's LayerNorm, masked softmax, GELU and bias + residual on TF.js ops even when the addon is loaded. */
  nativeTransformer: boolean;
  /** SEQ2SEQ_BLAS_THREADS=N: the BLAS's threads for large multiplies (default: every core, at most 4). */
  blasThreads: number | null;
  /** SEQ2SEQ_BLAS_LIB=PATH: the BLAS library to open before the usual candidates. */
  blasLibrary: string | null;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): EngineEnvironment {
  const threads = Number(env.SEQ2SEQ_BLAS_THREADS);
  return {
    backend: backendPreference(env.SEQ2SEQ_BACKEND),
    nativeAddon: env.SEQ2SEQ_NATIVE_BLAS !== '0',
    nativeRnn: env.SEQ2SEQ_NATIVE_RNN !== '0',
    nativeAdam: env.SEQ2SEQ_NATIVE_ADAM !== '0',
    nativeTransformer: env.SEQ2SEQ_NATIVE_TRANSFORMER !== '0',
    blasThreads: Number.isInteger(threads) && threads >= 1 ? threads : null,
    blasLibrary: env.SEQ2SEQ_BLAS_LIB || null,
  };
}

let cached: EngineEnvironment | null = null;

/** The process's switches, read on first use. */
export function environment(): EngineEnvironment {
  cached ??= readEnvironment();
  return cached;
}
