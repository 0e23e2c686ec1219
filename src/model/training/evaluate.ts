/**
 * Scoring a model on pairs: teacher-forced loss, token accuracy and perplexity, then decoding the
 * sources and comparing with the references by BLEU, chrF, token error rate (PER) and sequence
 * error rate (WER).
 */
import { tf } from '../tf';
import { makeBatches, padBatch, type Example, type Pair } from '../data/data';
import { DEFAULT_DECODE, type DecodeOptions } from '../decoding/decodeOptions';
import type { DevMetrics, SamplePrediction } from './events';
import { corpusBleu, corpusChrf, errorRates } from './metrics';
import { decodeBatch } from '../decoding/search';
import { BOS, EOS, type Seq2SeqModel, type SourceInput } from '../network/seq2seq';

export function teacherForcedScores(model: Seq2SeqModel, examples: Example[], batchSize: number): { loss: number; accuracy: number } {
  let lossSum = 0;
  let correct = 0;
  let tokens = 0;
  for (const idx of makeBatches(examples, batchSize, 0, 0)) {
    const b = padBatch(examples, idx, BOS, EOS);
    const [l, c] = tf.tidy(() => {
      const r = model.batchLoss(b, null);
      return [r.loss.dataSync()[0], r.correct.dataSync()[0]];
    });
    lossSum += l * b.targetTokens;
    correct += c;
    tokens += b.targetTokens;
  }
  return { loss: tokens ? lossSum / tokens : 0, accuracy: tokens ? (100 * correct) / tokens : 0 };
}

/** Decodes many sources in length-sorted batches (less padding), returning outputs in input order. */
export function decodeAll(model: Seq2SeqModel, sources: SourceInput[], opts: DecodeOptions, batchSize = 64): string[] {
  const order = sources.map((_, i) => i).sort((a, b) => sources[a].length - sources[b].length);
  const out: string[] = new Array(sources.length);
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const hyps = decodeBatch(model, idx.map((k) => sources[k]), opts);
    idx.forEach((k, j) => { out[k] = hyps[j][0]?.text ?? ''; });
  }
  return out;
}

export interface Evaluation { metrics: DevMetrics; samples: SamplePrediction[]; predictions: string[] }

export function evaluatePairs(model: Seq2SeqModel, pairs: Pair[], examples: Example[], opts: Partial<DecodeOptions> = {}, batchSize = 64, nSamples = 4): Evaluation {
  const tf_ = teacherForcedScores(model, examples, batchSize);
  const decode: DecodeOptions = { ...DEFAULT_DECODE, maxLength: model.settings.train.maxLen + 2, ...opts };
  // Decoded from the examples' ids (a generation window's <s> is not in its text).
  const predictions = decodeAll(model, examples.map((e) => e.src), decode, batchSize);
  const refs = pairs.map((p) => p.target);
  const tok = (s: string) => model.target.tokenize(s);
  const rates = errorRates(predictions.map(tok), refs.map(tok));
  return {
    metrics: {
      loss: tf_.loss,
      accuracy: tf_.accuracy,
      perplexity: Math.exp(Math.min(tf_.loss, 50)),
      bleu: corpusBleu(predictions, refs).score,
      chrf: corpusChrf(predictions, refs),
      per: rates.per,
      wer: rates.wer,
    },
    samples: pairs.slice(0, nSamples).map((p, i) => ({ source: p.source, reference: p.target, prediction: predictions[i] })),
    predictions,
  };
}
