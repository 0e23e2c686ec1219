/**
 * The recurrent architecture as a Network (architecture.ts): the encoder (encoder.ts), whose final
 * states initialise the decoder (decoder.ts), with optional attention over the encoder outputs
 * (attention.ts). Its decoder state is the layers' recurrent states (per hypothesis) and the
 * attention memory (per input).
 */
import { tf } from '../tf';
import type { ModelSettings } from '../config';
import { PAD } from '../data/tokenizer';
import type { Architecture, DecoderState, Network, StepResult } from './architecture';
import { prepareMemory, type Memory } from './attention';
import { decodeStep, decodeTeacherForced } from './decoder';
import type { DropoutSeeds } from './dropout';
import { encode, type EncoderOutput } from './encoder';
import { attentionWeights, rnnParamSpecs, type Params } from './params';
import type { RnnState } from './rnn';

class RecurrentState implements DecoderState {
  constructor(readonly layers: RnnState[], readonly memory: Memory | null) {}

  tile(rows: tf.Tensor1D): RecurrentState {
    const g = <T extends tf.Tensor>(t: T) => tf.gather(t, rows) as T;
    const m = this.memory;
    return new RecurrentState(gatherStates(this.layers, rows), m && { values: g(m.values), keys: g(m.keys), maskBias: g(m.maskBias) });
  }

  reorder(rows: tf.Tensor1D): RecurrentState {
    return new RecurrentState(gatherStates(this.layers, rows), this.memory);
  }

  tensors(): tf.Tensor[] {
    const own = this.layers.flatMap((s) => (s.c ? [s.h, s.c] : [s.h]));
    return this.memory ? [...own, this.memory.values, this.memory.keys, this.memory.maskBias] : own;
  }
}

function gatherStates(states: RnnState[], rows: tf.Tensor1D): RnnState[] {
  return states.map((s) => ({ h: tf.gather(s.h, rows) as tf.Tensor2D, c: s.c && (tf.gather(s.c, rows) as tf.Tensor2D) }));
}

export class RecurrentNetwork implements Network {
  constructor(readonly m: ModelSettings, readonly params: Params) {}

  /** srcIds time-major [S * B]; training: the step's dropout seeds (null: inference). */
  encode(srcIds: Int32Array, S: number, B: number, training: DropoutSeeds | null): { encoder: EncoderOutput; memory: Memory | null } {
    const hasPadding = srcIds.includes(PAD);
    const encoder = encode(this.m, this.params, tf.tensor2d(srcIds, [S, B], 'int32'), hasPadding, training);
    const memory = this.m.attention === 'none'
      ? null
      : prepareMemory(this.m.attention, encoder.outputs, encoder.srcMask, attentionWeights(this.params, this.m));
    return { encoder, memory };
  }

  teacherForcedLogits(b: { src: Int32Array; srcLen: number; batch: number; tgtIn: Int32Array; tgtLen: number }, rows: tf.Tensor1D, training: DropoutSeeds | null): tf.Tensor2D {
    const { encoder, memory } = this.encode(b.src, b.srcLen, b.batch, training);
    const tgtIn = tf.tensor2d(b.tgtIn, [b.tgtLen, b.batch], 'int32');
    return decodeTeacherForced(this.m, this.params, tgtIn, encoder.finalStates, memory, training, rows);
  }

  startDecoding(srcIds: Int32Array, S: number, B: number): RecurrentState {
    const { encoder, memory } = this.encode(srcIds, S, B, null);
    return new RecurrentState(encoder.finalStates, memory);
  }

  step(prevIds: tf.Tensor1D, state: DecoderState, topK: number, active: Int32Array | null, withAttention: boolean): StepResult {
    const s = state as RecurrentState;
    const out = decodeStep(this.m, this.params, prevIds, s.layers, s.memory, topK, active, withAttention);
    const attention = out.attention && (tf.expandDims(out.attention, 1) as tf.Tensor3D);
    return { logProbs: out.logProbs, ids: out.ids, state: new RecurrentState(out.states, s.memory), attention };
  }
}

export const recurrentArchitecture: Architecture = {
  paramSpecs: rnnParamSpecs,
  create: (m, params) => new RecurrentNetwork(m, params),
};
