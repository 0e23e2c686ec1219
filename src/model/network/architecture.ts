/**
 * What every architecture gives the model, the training loop and search: its weights, the
 * teacher-forced logits of a batch, and incremental decoding through an opaque decoder state that
 * search can repeat (for beams or samples) and reorder (when beams swap hypotheses). Search and
 * training never ask which architecture they hold. The two: recurrent.ts and transformer.ts.
 */
import { tf } from '../tf';
import type { ModelSettings } from '../config';
import type { BatchArrays } from '../data/data';
import type { DropoutSeeds } from './dropout';
import type { ParamSpec, Params } from './params';

/** The decoder's state between search steps, whatever the architecture keeps in it. */
export interface DecoderState {
  /** A state holding the given rows of everything (each input repeated for its beams or samples). */
  tile(rows: tf.Tensor1D): DecoderState;
  /**
   * A state holding the given rows of the per-hypothesis part. Beam search moves hypotheses only
   * among the rows of one input, so what belongs to the input (the encoder's memory) stays.
   */
  reorder(rows: tf.Tensor1D): DecoderState;
  /** Every tensor it holds (search keeps them past a tidy, and disposes those the next state no longer holds). */
  tensors(): tf.Tensor[];
}

export interface Network {
  /**
   * The logits of one padded batch with teacher forcing, for the given rows only (row b * T + t of
   * the batch-major [B * T] target positions): padding never reaches the output layer.
   * training: the step's dropout seeds, or null (no dropout).
   */
  teacherForcedLogits(b: BatchArrays, rows: tf.Tensor1D, training: DropoutSeeds | null): tf.Tensor2D;
  /** Runs the encoder over time-major source ids [S * B] (0 = padding) and returns the decoder's first state. */
  startDecoding(srcIds: Int32Array, S: number, B: number): DecoderState;
  /**
   * One decoding step: previous ids [R] -> the next state and the log-probabilities of every token
   * [R, V] (ids null), or each row's topK best tokens [R, topK] with their ids [R, topK] (best first,
   * ties to the lower id) where the network computes them itself (topK 0: always every token's).
   * active: the rows still decoding (null: all); the others' scores are not read, nor is their state
   * after the step (search brings a row back only by reordering a computed row into it).
   * withAttention: also the cross-attention weights this step used (StepResult.attention); asked
   * for by the attention view, off otherwise (then nothing else changes).
   */
  step(prevIds: tf.Tensor1D, state: DecoderState, topK: number, active: Int32Array | null, withAttention: boolean): StepResult;
}

export interface StepResult {
  logProbs: tf.Tensor2D;
  ids: tf.Tensor2D | null;
  state: DecoderState;
  /**
   * When asked: each row's attention weights over the source positions, [R, maps, S], each map's
   * row summing to 1 over the row's real source positions (0 on padding): the recurrent model's one
   * attention (maps 1), the Transformer's every decoder layer's heads (maps layers * heads, layer by
   * layer). Null when not asked or the model has no attention.
   */
  attention: tf.Tensor3D | null;
}

export interface Architecture {
  paramSpecs(m: ModelSettings, srcVocab: number, tgtVocab: number): ParamSpec[];
  create(m: ModelSettings, params: Params): Network;
}
