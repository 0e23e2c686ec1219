/**
 * The one place TensorFlow.js's backend is chosen, once per process: `@tensorflow/tfjs-node` (native
 * TensorFlow) when it is installed and loads, else the WebAssembly backend with our kernel fixes and,
 * when our addon loads, our native kernels (registered here, in this order: the wasm fixes, then the
 * native kernels that replace some of them, then the seam's kernel set for 'wasm'), else the pure-JS
 * `cpu` backend as a last resort. Backends without a kernel set of their own use the reference set.
 */
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf } from '../tf';
import { environment } from '../environment';
import { registerKernels } from './kernels';
import { loadNativeAddon, type NativeAddonStatus } from './native/addon';
import { setUpNativeKernels } from './native/kernels';
import { registerWasmKernelFixes } from './wasmFixes';
import type { BackendPreference } from './backendPreference';

export { tf };

/** Versions of the TF.js packages in use (referencing the cpu backend also keeps the bundler from dropping it). */
export const tfjsVersions = { core: tf.version_core, cpu: version_cpu };

export type { BackendPreference };

let chosen: Promise<string> | null = null;

/** Chooses and initialises the backend (only the first call's preference counts). Returns its name. */
export function initBackend(preference: BackendPreference = environment().backend): Promise<string> {
  chosen ??= choose(preference);
  return chosen;
}

/** The active backend's name, or null before initBackend. */
export function backendName(): string | null {
  return chosen ? tf.getBackend() : null;
}

async function choose(preference: BackendPreference): Promise<string> {
  tf.env().set('IS_NODE', true);
  if ((preference === 'auto' || preference === 'tensorflow' || preference === 'tfjs-node') && tryLoadTfjsNode()) {
    if (await tf.setBackend('tensorflow')) return 'tensorflow';
  }
  if (preference !== 'cpu' && (await tryWasm())) return 'wasm';
  await tf.setBackend('cpu');
  return 'cpu';
}

function tryLoadTfjsNode(): boolean {
  const req = createRequire(join(moduleDir(), 'noop.js'));
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      req(name);
      return tf.engine().findBackendFactory('tensorflow') != null;
    } catch {
      // not installed or its native library failed to load: fall through to wasm
    }
  }
  return false;
}

async function tryWasm(): Promise<boolean> {
  const dir = wasmBinaryDir();
  if (!dir) return false;
  try {
    setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
    // Threads stay off: the single-threaded SIMD build is the stable path in Node (bench/README.md).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerWasmKernelFixes();
    registerNativeKernels();
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

let nativeStatus: NativeAddonStatus = { active: false, library: null, reason: 'the wasm backend was not tried' };

/** Whether our native addon does the wasm backend's matrix multiplies, LSTM / GRU sequences and Adam, with which BLAS, or why not. */
export function nativeKernelsStatus(): NativeAddonStatus {
  return nativeStatus;
}

/** One line for reports (`seq2seq info`, the worker's info): whether our native kernels run, on which BLAS, or why not; null off the wasm backend. */
export function nativeKernelsSummary(): string | null {
  if (backendName() !== 'wasm') return null;
  return nativeStatus.active ? `on (matrix multiplies, LSTM / GRU sequences and decoding steps, the Transformer's attention, norms, output layer and decoding steps, and Adam on ${nativeStatus.library})` : `off (${nativeStatus.reason})`;
}

/** Matrix multiplies, whole LSTM / GRU sequences, Adam and more on the system BLAS, when our addon and a BLAS are there. */
function registerNativeKernels(): void {
  const env = environment();
  const { addon, status } = loadNativeAddon(nativeAddonDirs());
  nativeStatus = status;
  if (!addon) return;
  const set = setUpNativeKernels(addon, env);
  if (!set) {
    nativeStatus = { active: false, library: null, reason: 'wasm matmul kernels not found' };
    return;
  }
  registerKernels('wasm', set);
}

function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/** Where our native addon may be: next to the bundle (dist/), or the repository's dist/ when run from source (src/model/acceleration). */
function nativeAddonDirs(): string[] {
  return [moduleDir(), join(moduleDir(), '..', '..', '..', 'dist')];
}

/** Where the .wasm files are: next to the bundle (dist/), or in node_modules when run from source. */
function wasmBinaryDir(): string | null {
  const candidates = [moduleDir(), join(moduleDir(), '..', 'dist')];
  try {
    const req = createRequire(join(moduleDir(), 'noop.js'));
    candidates.push(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch { /* not resolvable from here */ }
  return candidates.find((d) => existsSync(join(d, 'tfjs-backend-wasm-simd.wasm'))) ?? null;
}

/** The WebAssembly runtime aborted (almost always: out of its 4 GB of memory); the backend is unusable until the process restarts. */
export class BackendAbortedError extends Error {
  constructor() {
    super('The WebAssembly backend ran out of memory (it can address at most 4 GB). Reduce the batch size or the maximum length, ' +
      'or install @tensorflow/tfjs-node. The model process has to start again; the last checkpoint is kept.');
    this.name = 'BackendAbortedError';
  }
}

/** Turns a wasm runtime abort into BackendAbortedError; other errors pass unchanged. */
export function explainBackendError(e: unknown): unknown {
  return e instanceof Error && /Aborted\(/.test(e.message) ? new BackendAbortedError() : e;
}
