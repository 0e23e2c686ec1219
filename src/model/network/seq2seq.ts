/**
 * The encoder-decoder model: settings, the two vocabularies and the weights, with the forward pass
 * used in training (teacher forcing, masked loss) and the pieces search needs (encode once, then
 * step the decoder). The encoder's final states really initialise the decoder.
 */
import { tf } from '../tf';
import type { Seq2SeqSettings } from '../config';
import { prepareMemory, type Memory } from './attention';
import { BOS, EOS, PAD, type Vocabulary } from '../data/tokenizer';
import type { BatchArrays } from '../data/data';
import { encode, type EncoderOutput } from './encoder';
import { decodeStep, decodeTeacherForced } from './decoder';
import type { DecoderStepResult } from '../acceleration/kernels';
import { maskedCrossEntropy } from './loss';
import { attentionWeights, countParameters, createParams, paramSpecs, type Params } from './params';
import type { RnnState } from './rnn';
import { DropoutSeeds } from './dropout';
import { disposeInputTables } from './inputTables';

export interface EncodedSource { encoder: EncoderOutput; memory: Memory | null; batch: number }

export class Seq2SeqModel {
  constructor(
    readonly settings: Seq2SeqSettings,
    readonly source: Vocabulary,
    readonly target: Vocabulary,
    readonly params: Params,
  ) {}

  static create(settings: Seq2SeqSettings, source: Vocabulary, target: Vocabulary): Seq2SeqModel {
    const specs = paramSpecs(settings.model, source.size, target.size);
    return new Seq2SeqModel(settings, source, target, createParams(specs, settings.train.seed));
  }

  get parameterCount(): number { return countParameters(this.params); }

  /** srcIds time-major [S * B]; training: the step's dropout seeds (null: inference). Call inside tf.tidy or dispose the result's tensors. */
  encode(srcIds: Int32Array, S: number, B: number, training: DropoutSeeds | null = null): EncodedSource {
    let hasPadding = false;
    for (let i = 0; i < srcIds.length; i++) if (srcIds[i] === PAD) { hasPadding = true; break; }
    const ids = tf.tensor2d(srcIds, [S, B], 'int32');
    const encoder = encode(this.settings.model, this.params, ids, hasPadding, training);
    const memory = this.settings.model.attention === 'none'
      ? null
      : prepareMemory(this.settings.model.attention, encoder.outputs, encoder.srcMask, attentionWeights(this.params, this.settings.model));
    return { encoder, memory, batch: B };
  }

  /**
   * Mean masked cross-entropy per target token for one padded batch, and the correct-token count.
   * dropoutSeed: a training step's seed (dropout and label smoothing on), or null for evaluation.
   */
  batchLoss(b: BatchArrays, dropoutSeed: number | null): { loss: tf.Scalar; correct: tf.Scalar } {
    const training = dropoutSeed === null ? null : new DropoutSeeds(dropoutSeed);
    const { encoder, memory } = this.encode(b.src, b.srcLen, b.batch, training);
    const tgtIn = tf.tensor2d(b.tgtIn, [b.tgtLen, b.batch], 'int32');
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
    const logits = decodeTeacherForced(this.settings.model, this.params, tgtIn, encoder.finalStates, memory, training, tf.tensor1d(rows, 'int32'));
    const mask = tf.ones([targets.length]) as tf.Tensor1D;
    return maskedCrossEntropy(logits, tf.tensor1d(targets, 'int32'), mask, training ? this.settings.train.labelSmoothing : 0);
  }

  /** One decoder step for search: prevIds [B] -> log-probabilities [B, V] (topK 0), or each row's topK best [B, topK] and their ids; only the active rows (null: all). */
  step(prevIds: tf.Tensor1D, states: RnnState[], memory: Memory | null, topK = 0, active: Int32Array | null = null): DecoderStepResult {
    return decodeStep(this.settings.model, this.params, prevIds, states, memory, topK, active);
  }

  /** Source ids for a list of texts, time-major and padded; inputs far longer than anything seen in training are cut. */
  encodeSources(texts: string[], maxLen = 4 * this.settings.train.maxLen): { ids: Int32Array; S: number; B: number } {
    const seqs = texts.map((t) => this.source.encode(t).slice(0, maxLen));
    const B = texts.length;
    const S = Math.max(1, ...seqs.map((s) => s.length));
    const ids = new Int32Array(S * B);
    seqs.forEach((s, b) => s.forEach((id, t) => { ids[t * B + b] = id; }));
    return { ids, S, B };
  }

  dispose(): void {
    disposeInputTables([...this.params.values()]);
    for (const v of this.params.values()) v.dispose();
  }
}

export { BOS, EOS, PAD };
