/**
 * A whole LSTM sequence, forward and backward, as two kernels of the WebAssembly backend done by our
 * native addon (native/blas/lstm.c): one call per sequence instead of ~20 small kernels per time step,
 * matrix multiplies on the system BLAS, gate activations vectorised in C. lstmSequence.ts uses them
 * when they are registered and the wasm backend is active; the TF.js ops path stays for every other
 * backend. `SEQ2SEQ_NATIVE_LSTM=0` (or setNativeLstm(false)) turns them off.
 *
 * Forward inputs  xw [T,B,4H], wh [H,4H], h0, c0 [B,H], mask [T,B,1]; attr reverse.
 *   outputs packed [T+2,B,H] (outputs, final h, final c), hPrev, cPrev [T,B,H], gates [T,B,4H], tc [T,B,H].
 * Backward inputs dy [T+2,B,H], wh, hPrev, cPrev, gates, tc, mask; attr reverse.
 *   outputs dxw [T,B,4H], dwh [H,4H], dh0, dc0 [B,H].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './nativeAddon';
import type { KernelArgs } from './wasmKernels';

export const LSTM_FORWARD = 'Seq2SeqLstmSequence';
export const LSTM_BACKWARD = 'Seq2SeqLstmSequenceGrad';

let registered = false;
let enabled = process.env.SEQ2SEQ_NATIVE_LSTM !== '0';

/** Registers both kernels for the wasm backend. */
export function registerNativeLstm(addon: NativeAddon): void {
  if (registered || tf.getKernel(LSTM_FORWARD, 'wasm')) return;
  tf.registerKernel({ kernelName: LSTM_FORWARD, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => forward(a, addon)) as unknown as KernelFunc });
  tf.registerKernel({ kernelName: LSTM_BACKWARD, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => backward(a, addon)) as unknown as KernelFunc });
  registered = true;
}

/** For tests and comparisons: use (true) or bypass (false) the native kernels where available. */
export function setNativeLstm(on: boolean): void { enabled = on; }

/** Whether lstmSequence runs natively on the current backend. */
export function nativeLstmActive(): boolean {
  return enabled && registered && tf.getBackend() === 'wasm';
}

export interface NativeLstmForward { packed: tf.Tensor3D; saved: tf.Tensor[] }

export function nativeLstmForward(xw: tf.Tensor3D, wh: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D, mask: tf.Tensor3D, reverse: boolean): NativeLstmForward {
  const [packed, ...saved] = tf.engine().runKernel(LSTM_FORWARD, { xw, wh, h0, c0, mask }, { reverse }) as tf.Tensor[];
  return { packed: packed as tf.Tensor3D, saved };
}

/** saved: the forward's [hPrev, cPrev, gates, tc]. Returns [dxw, dwh, dh0, dc0]. */
export function nativeLstmBackward(dy: tf.Tensor, wh: tf.Tensor, saved: tf.Tensor[], mask: tf.Tensor, reverse: boolean): tf.Tensor[] {
  const [hPrev, cPrev, gates, tc] = saved;
  return tf.engine().runKernel(LSTM_BACKWARD, { dy, wh, hPrev, cPrev, gates, tc, mask }, { reverse }) as tf.Tensor[];
}

function requireFloat32(kernel: string, inputs: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: ${name} must be float32 (got ${t.dtype})`);
  }
}

function forward(a: KernelArgs, addon: NativeAddon): TensorInfo[] {
  const { xw, wh, h0, c0, mask } = a.inputs;
  requireFloat32(LSTM_FORWARD, { xw, wh, h0, c0, mask });
  const [T, B, G] = xw.shape;
  const H = G / 4;
  const b = a.backend;
  const outs = [b.makeOutput([T + 2, B, H], 'float32'), b.makeOutput([T, B, H], 'float32'), b.makeOutput([T, B, H], 'float32'),
    b.makeOutput([T, B, G], 'float32'), b.makeOutput([T, B, H], 'float32')];
  // Views are taken after the allocations: the heap may have grown and moved.
  const v = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  addon.lstmForward(v(xw), v(wh), v(h0), v(c0), v(mask), v(outs[0]), v(outs[1]), v(outs[2]), v(outs[3]), v(outs[4]), T, B, H, !!a.attrs.reverse);
  return outs;
}

function backward(a: KernelArgs, addon: NativeAddon): TensorInfo[] {
  const { dy, wh, hPrev, cPrev, gates, tc, mask } = a.inputs;
  requireFloat32(LSTM_BACKWARD, { dy, wh, hPrev, cPrev, gates, tc, mask });
  const [T, B, G] = gates.shape;
  const H = G / 4;
  const b = a.backend;
  const outs = [b.makeOutput([T, B, G], 'float32'), b.makeOutput([H, G], 'float32'), b.makeOutput([B, H], 'float32'), b.makeOutput([B, H], 'float32')];
  const v = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  addon.lstmBackward(v(dy), v(wh), v(hPrev), v(cPrev), v(gates), v(tc), v(mask), v(outs[0]), v(outs[1]), v(outs[2]), v(outs[3]), T, B, H, !!a.attrs.reverse);
  return outs;
}
