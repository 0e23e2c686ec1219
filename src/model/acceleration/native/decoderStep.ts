/**
 * The seam's decoderStep (../kernels.ts) as one kernel of the WebAssembly backend done by our addon
 * (native/blas/decoder_step.c): embedding rows, every layer's step, attention, output projection,
 * log-softmax and top-k in one call, instead of ~30 TF.js kernels per step with their bookkeeping
 * (tidy, tensor records, heap allocations) and, for beams, a [B, V] read into JavaScript.
 *
 * Kernel `Seq2SeqDecoderStep`, inputs: ids [B] int32, embedding [V, E], inputTable [V, gates*H] (optional;
 * then no kernel0), per layer l kernel{l}, recurrent{l},
 * bias{l}, h{l}, c{l} (LSTM); with attention values [B, S, M], keys, maskBias [B, 1, S], wc (and wq, v:
 * Bahdanau); outKernel [H, V], outBias [V]. Attrs cell, attention, layers, topK, allRows, active (the rows to compute unless allRows),
 * withAttention. Outputs: per layer h{l} (and c{l}), then log-probabilities ([B, V], or [B, k] with ids [B, k] int32 after them),
 * then with withAttention the attention weights [B, S].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { AttentionKind, CellKind } from '../../config';
import type { Memory } from '../../network/attention';
import type { DecoderStepResult, DecoderStepWeights, RnnState } from '../kernels';
import type { KernelArgs } from '../wasmFixes';
import type { NativeAddon } from './addon';

export const DECODER_STEP = 'Seq2SeqDecoderStep';
/** As DEC_MAX_LAYERS in decoder_step.h. */
const MAX_LAYERS = 8;

export function registerDecoderStepKernel(addon: NativeAddon): void {
  if (tf.getKernel(DECODER_STEP, 'wasm')) return;
  tf.registerKernel({ kernelName: DECODER_STEP, backendName: 'wasm', kernelFunc: ((a: KernelArgs) => decoderStepKernel(a, addon)) as unknown as KernelFunc });
}

/** Whether the native kernel does this step; otherwise the reference does. */
export function nativeDecoderStepSupports(w: DecoderStepWeights, memory: Memory | null): boolean {
  return w.layers.length >= 1 && w.layers.length <= MAX_LAYERS && (w.attention === 'none' || (memory !== null && w.attend !== null));
}

export function nativeDecoderStep(
  w: DecoderStepWeights, prevIds: tf.Tensor1D, states: RnnState[], memory: Memory | null, topK: number, active: Int32Array | null,
  withAttention: boolean,
): DecoderStepResult {
  const weights = withAttention && w.attention !== 'none';
  const inputs: Record<string, tf.Tensor> = { ids: prevIds, embedding: w.embedding, outKernel: w.output.kernel, outBias: w.output.bias };
  if (w.inputTable) inputs.inputTable = w.inputTable;
  w.layers.forEach((lw, l) => {
    if (l > 0 || !w.inputTable) inputs[`kernel${l}`] = lw.kernel;
    inputs[`recurrent${l}`] = lw.recurrentKernel;
    inputs[`bias${l}`] = lw.bias;
    inputs[`h${l}`] = states[l].h;
    if (w.cell === 'lstm') inputs[`c${l}`] = states[l].c!;
  });
  if (w.attention !== 'none') {
    Object.assign(inputs, { values: memory!.values, keys: memory!.keys, maskBias: memory!.maskBias, wc: w.attend!.wc });
    if (w.attention === 'bahdanau') Object.assign(inputs, { wq: w.attend!.wq!, v: w.attend!.v! });
  }
  const outs = tf.engine().runKernel(DECODER_STEP, inputs as unknown as tf.NamedTensorMap,
    { cell: w.cell, attention: w.attention, layers: w.layers.length, topK, allRows: !active, active: active ? Array.from(active) : [], withAttention: weights }) as tf.Tensor[];
  const per = w.cell === 'lstm' ? 2 : 1;
  const next: RnnState[] = w.layers.map((_, l) => (w.cell === 'lstm'
    ? { h: outs[2 * l] as tf.Tensor2D, c: outs[2 * l + 1] as tf.Tensor2D }
    : { h: outs[l] as tf.Tensor2D }));
  const at = per * w.layers.length;
  const after = at + (topK > 0 ? 2 : 1);
  return { states: next, logProbs: outs[at] as tf.Tensor2D, ids: topK > 0 ? (outs[at + 1] as tf.Tensor2D) : null, attention: weights ? (outs[after] as tf.Tensor2D) : null };
}

const CELL: Record<CellKind, number> = { lstm: 0, gru: 1 };
const ATTENTION: Record<AttentionKind, number> = { none: 0, luong: 1, bahdanau: 2 };

function decoderStepKernel(a: KernelArgs, addon: NativeAddon): TensorInfo[] {
  const { cell, attention, layers, topK, allRows, active, withAttention } = a.attrs as {
    cell: CellKind; attention: AttentionKind; layers: number; topK: number; allRows: boolean; active: number[]; withAttention: boolean;
  };
  const ins = a.inputs;
  for (const [name, t] of Object.entries(ins)) {
    if (t.dtype !== (name === 'ids' ? 'int32' : 'float32')) throw new Error(`${DECODER_STEP}: ${name} is ${t.dtype}`);
  }
  const [B] = ins.ids.shape;
  const [V, E] = ins.embedding.shape;
  const H = ins.h0.shape[1];
  const b = a.backend;
  const outputs: TensorInfo[] = [];
  for (let l = 0; l < layers; l++) {
    outputs.push(b.makeOutput([B, H], 'float32'));
    if (cell === 'lstm') outputs.push(b.makeOutput([B, H], 'float32'));
  }
  const logProbs = b.makeOutput([B, topK > 0 ? topK : V], 'float32');
  const ids = topK > 0 ? b.makeOutput([B, topK], 'int32') : null;
  outputs.push(logProbs);
  if (ids) outputs.push(ids);
  const weights = withAttention && attention !== 'none' ? b.makeOutput([B, ins.values.shape[1]], 'float32') : null;
  if (weights) outputs.push(weights);
  // Views are taken after the allocations: the heap may have grown and moved.
  const f32 = (t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
  const maybe = (t: TensorInfo | undefined) => (t ? f32(t) : null);
  const perLayer = (f: (l: number) => TensorInfo) => Array.from({ length: layers }, (_, l) => f32(f(l)));
  const per = cell === 'lstm' ? 2 : 1;
  addon.decoderStep({
    cell: CELL[cell], layers, attention: ATTENTION[attention], rows: B, hidden: H, emb: E, vocab: V, topK,
    srcLen: ins.values?.shape[1] ?? 0, mem: ins.values?.shape[2] ?? 0, att: attention === 'bahdanau' ? ins.keys.shape[2] : 0,
    ids: b.typedArrayFromHeap(ins.ids) as Int32Array, embedding: f32(ins.embedding), inputTable: maybe(ins.inputTable),
    kernels: Array.from({ length: layers }, (_, l) => maybe(ins[`kernel${l}`])), recurrents: perLayer((l) => ins[`recurrent${l}`]), biases: perLayer((l) => ins[`bias${l}`]),
    hIn: perLayer((l) => ins[`h${l}`]), hOut: perLayer((l) => outputs[per * l]),
    cIn: cell === 'lstm' ? perLayer((l) => ins[`c${l}`]) : [], cOut: cell === 'lstm' ? perLayer((l) => outputs[per * l + 1]) : [],
    values: maybe(ins.values), keys: maybe(ins.keys), maskBias: maybe(ins.maskBias), wc: maybe(ins.wc), wq: maybe(ins.wq), v: maybe(ins.v),
    outKernel: f32(ins.outKernel), outBias: f32(ins.outBias), active: allRows ? null : Int32Array.from(active),
    logProbs: ids ? null : f32(logProbs), topLogProbs: ids ? f32(logProbs) : null, topIds: ids ? (b.typedArrayFromHeap(ids) as Int32Array) : null,
    attentionOut: maybe(weights ?? undefined),
  });
  return outputs;
}
