/**
 * Whole LSTM and GRU sequences, forward and backward, as kernels of the WebAssembly backend done by our
 * native addon (native/blas/lstm.c, gru.c): one call per sequence instead of ~15-20 small kernels per
 * time step, matrix multiplies on the system BLAS, gate activations vectorised in C. They implement
 * the seam's rnnSequence (../kernels.ts) for the wasm backend when the addon is loaded.
 *
 * LSTM forward  xw [T,B,4H], wh [H,4H], h0, c0 [B,H], mask [T,B,1]; attr reverse
 *   -> packed [T+2,B,H] (outputs, final h, final c), hPrev, cPrev [T,B,H], gates [T,B,4H], tc [T,B,H].
 * LSTM backward dy [T+2,B,H], wh, hPrev, cPrev, gates, tc, mask -> dxw [T,B,4H], dwh [H,4H], dh0, dc0 [B,H].
 * GRU forward   xw [T,B,3H], u [H,3H], bRec [3H], h0 [B,H], mask [T,B,1]
 *   -> packed [T+1,B,H] (outputs, final h), hPrev [T,B,H], gates [T,B,3H], hn [T,B,H].
 * GRU backward  dy [T+1,B,H], u, hPrev, gates, hn, mask -> dxw [T,B,3H], du [H,3H], dbRec [3H], dh0 [B,H].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { CellKind } from '../../config';
import type { RnnState, RnnWeights, SequenceResult } from '../kernels';
import { gruRecurrentBias } from '../reference/recurrentCells';
import type { KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

export const LSTM_FORWARD = 'Seq2SeqLstmSequence';
export const LSTM_BACKWARD = 'Seq2SeqLstmSequenceGrad';
export const GRU_FORWARD = 'Seq2SeqGruSequence';
export const GRU_BACKWARD = 'Seq2SeqGruSequenceGrad';

/** Registers the four kernels for the wasm backend. */
export function registerSequenceKernels(addon: NativeAddon): void {
  if (tf.getKernel(LSTM_FORWARD, 'wasm')) return;
  for (const kernelName of Object.keys(KERNELS)) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => runSequenceKernel(kernelName, a, addon)) as unknown as KernelFunc });
  }
}

/** The seam's rnnSequence on the native kernels: one call forward, one backward. */
export function nativeRnnSequence(cell: CellKind, xw: tf.Tensor3D, w: RnnWeights, initial: RnnState, mask: tf.Tensor3D | null, reverse: boolean): SequenceResult {
  const [T, B] = xw.shape;
  const maskT = mask ?? (tf.ones([T, B, 1]) as tf.Tensor3D);
  if (cell === 'lstm') {
    const [outputs, h, c] = tf.split(nativeSequence('lstm', [xw, w.recurrentKernel, initial.h, initial.c!, maskT], reverse), [T, 1, 1], 0);
    return { outputs: outputs as tf.Tensor3D, final: { h: tf.squeeze(h, [0]) as tf.Tensor2D, c: tf.squeeze(c, [0]) as tf.Tensor2D } };
  }
  const [outputs, h] = tf.split(nativeSequence('gru', [xw, w.recurrentKernel, gruRecurrentBias(w), initial.h, maskT], reverse), [T, 1], 0);
  return { outputs: outputs as tf.Tensor3D, final: { h: tf.squeeze(h, [0]) as tf.Tensor2D } };
}

/** The forward kernel's inputs by name, in the order nativeSequence takes them; the last is the mask. */
const SEQUENCE_INPUTS = { lstm: ['xw', 'wh', 'h0', 'c0', 'mask'], gru: ['xw', 'u', 'bRec', 'h0', 'mask'] } as const;
/** Tensors the forward kernel returns for the backward pass, by name, after the packed value. */
const SAVED = { lstm: ['hPrev', 'cPrev', 'gates', 'tc'], gru: ['hPrev', 'gates', 'hn'] } as const;

/**
 * A whole sequence as one differentiable operation: one kernel call forward, one backward.
 * LSTM inputs [xw, wh, h0, c0, mask] -> packed [T+2, B, H] (outputs, final h, final c);
 * GRU inputs [xw, u, bRec, h0, mask] -> packed [T+1, B, H] (outputs, final h). The mask gets no gradient.
 */
function nativeSequence(cell: 'lstm' | 'gru', inputs: tf.Tensor[], reverse: boolean): tf.Tensor3D {
  const names = SEQUENCE_INPUTS[cell];
  const [forwardKernel, backwardKernel] = cell === 'lstm' ? [LSTM_FORWARD, LSTM_BACKWARD] : [GRU_FORWARD, GRU_BACKWARD];
  const op = tf.customGrad(((...args: unknown[]) => {
    const ins = args.slice(0, names.length) as tf.Tensor[];
    const save = args[names.length] as tf.GradSaveFunc;
    const named = Object.fromEntries(names.map((n, i) => [n, ins[i]]));
    const [packed, ...saved] = tf.engine().runKernel(forwardKernel, named, { reverse }) as tf.Tensor[];
    const recurrent = ins[1];
    const mask = ins[names.length - 1];
    save([recurrent, mask, ...saved]);
    return {
      value: packed,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
        const backInputs: Record<string, tf.Tensor> = { dy, [names[1]]: s[0], mask: s[1] };
        SAVED[cell].forEach((n, i) => { backInputs[n] = s[2 + i]; });
        const grads = tf.engine().runKernel(backwardKernel, backInputs, { reverse }) as tf.Tensor[];
        return [...grads, tf.zerosLike(s[1])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(...inputs) as tf.Tensor3D;
}

/** One kernel: the addon method, its inputs in the method's order, and its output shapes. */
interface SequenceKernel {
  method: 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward';
  gates: number;
  inputs: string[];
  /** The input shaped [T, B, gates * H]. */
  shapedBy: string;
  outputs: (T: number, B: number, H: number, G: number) => number[][];
}

const KERNELS: Record<string, SequenceKernel> = {
  [LSTM_FORWARD]: { method: 'lstmForward', gates: 4, inputs: ['xw', 'wh', 'h0', 'c0', 'mask'], shapedBy: 'xw',
    outputs: (T, B, H, G) => [[T + 2, B, H], [T, B, H], [T, B, H], [T, B, G], [T, B, H]] },
  [LSTM_BACKWARD]: { method: 'lstmBackward', gates: 4, inputs: ['dy', 'wh', 'hPrev', 'cPrev', 'gates', 'tc', 'mask'], shapedBy: 'gates',
    outputs: (T, B, H, G) => [[T, B, G], [H, G], [B, H], [B, H]] },
  [GRU_FORWARD]: { method: 'gruForward', gates: 3, inputs: ['xw', 'u', 'bRec', 'h0', 'mask'], shapedBy: 'xw',
    outputs: (T, B, H, G) => [[T + 1, B, H], [T, B, H], [T, B, G], [T, B, H]] },
  [GRU_BACKWARD]: { method: 'gruBackward', gates: 3, inputs: ['dy', 'u', 'hPrev', 'gates', 'hn', 'mask'], shapedBy: 'gates',
    outputs: (T, B, H, G) => [[T, B, G], [H, G], [G], [B, H]] },
};

/** Allocates the outputs on the wasm heap and lets the addon fill them from the inputs, in place. */
function runSequenceKernel(name: string, a: KernelArgs, addon: NativeAddon): TensorInfo[] {
  const k = KERNELS[name];
  const inputs = k.inputs.map((n) => a.inputs[n]);
  inputs.forEach((t, i) => {
    if (!t || t.dtype !== 'float32') throw new Error(`${name}: ${k.inputs[i]} must be a float32 tensor`);
  });
  const [T, B, G] = a.inputs[k.shapedBy].shape;
  const H = G / k.gates;
  const b = a.backend;
  const outputs = k.outputs(T, B, H, G).map((shape) => b.makeOutput(shape, 'float32'));
  // Views are taken after the allocations: the heap may have grown and moved.
  const views = [...inputs, ...outputs].map((t) => b.typedArrayFromHeap(t) as Float32Array);
  (addon[k.method] as (...args: unknown[]) => void).call(addon, ...views, T, B, H, !!a.attrs.reverse);
  return outputs;
}
