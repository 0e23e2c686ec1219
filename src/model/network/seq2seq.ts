/**
 * The encoder-decoder model: settings, the two vocabularies and the weights, with the forward pass
 * used in training (teacher forcing, masked loss) and the pieces search needs (start decoding from
 * the sources, then step). The architecture (recurrent or Transformer, architectures.ts) does the
 * math; this class is the same for both.
 */
import { tf } from '../tf';
import type { Seq2SeqSettings } from '../config';
import { BOS, EOS, PAD, type Vocabulary } from '../data/tokenizer';
import type { BatchArrays } from '../data/data';
import type { DecoderState, Network, StepResult } from './architecture';
import { createNetwork, paramSpecs } from './architectures';
import { maskedCrossEntropy } from './loss';
import { countParameters, createParams, type Params } from './params';
import { DropoutSeeds } from './dropout';
import { disposeInputTables } from './inputTables';

export type { DecoderState };

/** What a decoder starts from: a text, or its source ids already made (a generation window). */
export type SourceInput = string | ArrayLike<number>;

export class Seq2SeqModel {
  readonly network: Network;

  constructor(
    readonly settings: Seq2SeqSettings,
    readonly source: Vocabulary,
    readonly target: Vocabulary,
    readonly params: Params,
  ) {
    this.network = createNetwork(settings.model, params);
  }

  static create(settings: Seq2SeqSettings, source: Vocabulary, target: Vocabulary): Seq2SeqModel {
    const specs = paramSpecs(settings.model, source.size, target.size);
    return new Seq2SeqModel(settings, source, target, createParams(specs, settings.train.seed));
  }

  get parameterCount(): number { return countParameters(this.params); }

  /**
   * Mean masked cross-entropy per target token for one padded batch, and the correct-token count.
   * dropoutSeed: a training step's seed (dropout and label smoothing on), or null for evaluation.
   */
  batchLoss(b: BatchArrays, dropoutSeed: number | null): { loss: tf.Scalar; correct: tf.Scalar } {
    const training = dropoutSeed === null ? null : new DropoutSeeds(dropoutSeed);
    // The real target tokens, in batch-major order (row b * T + t): padding never reaches the output
    // layer, so its FLOPs are not spent and the loss cannot depend on it.
    const T = b.tgtLen;
    const rows: number[] = [];
    const targets: number[] = [];
    for (let r = 0; r < b.batch; r++) {
      for (let t = 0; t < T; t++) {
        const id = b.tgtOut[t * b.batch + r];
        if (id === PAD) continue;
        rows.push(r * T + t);
        targets.push(id);
      }
    }
    const logits = this.network.teacherForcedLogits(b, tf.tensor1d(rows, 'int32'), training);
    const mask = tf.ones([targets.length]) as tf.Tensor1D;
    return maskedCrossEntropy(logits, tf.tensor1d(targets, 'int32'), mask, training ? this.settings.train.labelSmoothing : 0);
  }

  /** Runs the encoder over time-major source ids [S * B] and returns the decoder's first state. Call inside tf.tidy. */
  startDecoding(srcIds: Int32Array, S: number, B: number): DecoderState {
    return this.network.startDecoding(srcIds, S, B);
  }

  /**
   * One decoder step for search: prevIds [R] -> the next state and log-probabilities [R, V] (ids null),
   * or, where the network offers it, each row's topK best [R, topK] with their ids; only the active
   * rows (null: all) need be computed; withAttention: also the cross-attention weights (StepResult.attention).
   */
  step(prevIds: tf.Tensor1D, state: DecoderState, topK = 0, active: Int32Array | null = null, withAttention = false): StepResult {
    return this.network.step(prevIds, state, topK, active, withAttention);
  }

  /**
   * Source ids for a list of inputs (texts, or ids already encoded), time-major and padded; inputs
   * far longer than anything seen in training are cut.
   */
  encodeSources(texts: SourceInput[], maxLen = this.maxSourceTokens): { ids: Int32Array; S: number; B: number } {
    const seqs = texts.map((t) => (typeof t === 'string' ? this.source.encode(t) : Array.from(t)).slice(0, maxLen));
    const B = texts.length;
    const S = Math.max(1, ...seqs.map((s) => s.length));
    const ids = new Int32Array(S * B);
    seqs.forEach((s, b) => s.forEach((id, t) => { ids[t * B + b] = id; }));
    return { ids, S, B };
  }

  /** The tokens of a text the encoder reads (encodeSources' ids, as strings). */
  sourceTokens(text: string): string[] {
    return this.source.tokenize(text).slice(0, this.maxSourceTokens);
  }

  private get maxSourceTokens(): number { return 4 * this.settings.train.maxLen; }

  dispose(): void {
    disposeInputTables([...this.params.values()]);
    for (const v of this.params.values()) v.dispose();
  }
}

export { BOS, EOS, PAD };
