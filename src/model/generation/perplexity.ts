/**
 * Per-character perplexity of held-out text: exp(total negative log-likelihood in nats / characters),
 * each character predicted from the text before it. A model predicts its tokens window by window
 * (the chunk from the `window` tokens before it, and the chunk's own earlier tokens); a subword or
 * word model's nats over its tokens are divided by the characters they spell, so every tokeniser and
 * the character n-gram baseline are on one scale. The end of a text is not scored by either.
 */
import { tf } from '../tf';
import { makeBatches, padBatch, type Example } from '../data/data';
import { BOS, EOS, type Seq2SeqModel } from '../network/seq2seq';
import { CharNgram } from './ngram';
import { partTexts, splitCorpus, textExamples, type CorpusSplit, type TextPart } from './generationData';

/** exp(nats / chars); 1 for no characters. */
export function perCharPerplexity(nats: number, chars: number): number {
  return chars > 0 ? Math.exp(nats / chars) : 1;
}

/** Negative log-likelihood (nats) of a batch of examples' target tokens; the tokens are scored without any end marker. */
export type ExampleScorer = (examples: Example[]) => number;

/** The model's teacher-forced nats over the target tokens (no dropout, no label smoothing). */
export function modelScorer(model: Seq2SeqModel): ExampleScorer {
  return (examples) => {
    let nats = 0;
    const open = examples.map((e) => ({ ...e, open: true }));
    for (const idx of makeBatches(open, 64, 0, 0)) {
      const b = padBatch(open, idx, BOS, EOS);
      const mean = tf.tidy(() => model.batchLoss(b, null).loss.dataSync()[0]);
      nats += mean * b.targetTokens;
    }
    return nats;
  };
}

/** Per-character perplexity of a model over text parts, with its totals. */
export async function modelPerplexity(model: Seq2SeqModel, parts: TextPart[], score: ExampleScorer = modelScorer(model)): Promise<PerplexityFigures> {
  const { window, chunk } = model.settings.train;
  let nats = 0;
  let chars = 0;
  let tokens = 0;
  // File by file: only one file's windows are held at a time.
  for (const part of parts) {
    const r = await textExamples([part], model.target, window, chunk);
    nats += score(r.examples);
    chars += r.chars;
    tokens += r.examples.reduce((n, e) => n + e.tgt.length, 0);
  }
  return { perplexity: perCharPerplexity(nats, chars), nats, chars, tokens };
}

/** The n-gram baseline's per-character perplexity over parts, trained on other parts. */
export async function ngramPerplexity(train: TextPart[], test: TextPart[], order = 6): Promise<PerplexityFigures> {
  const lm = new CharNgram(order);
  for await (const { text } of partTexts(train)) lm.add(text);
  let nats = 0;
  let chars = 0;
  for await (const { text } of partTexts(test)) {
    const s = lm.score(text);
    nats += s.nats;
    chars += s.chars;
  }
  return { perplexity: perCharPerplexity(nats, chars), nats, chars, tokens: chars };
}

export interface PerplexityFigures { perplexity: number; nats: number; chars: number; tokens: number }

export interface TextEvaluation {
  /** What was scored: the held-out part of the training data, or all of another corpus. */
  heldOut: 'split' | 'dev-data' | 'other-data';
  files: number;
  trainFiles: number;
  model: PerplexityFigures;
  ngram: PerplexityFigures & { order: number };
}

/**
 * `seq2seq eval` on a generation model: when `dataPath` is the model's training data, its held-out
 * part as training split it (the same seed and share; its dev data when it had one); any other
 * data is scored whole. The n-gram learns from the model's training text.
 */
export async function evaluateText(model: Seq2SeqModel, config: { dataFile: string; devFile?: string }, dataPath: string, order = 6): Promise<TextEvaluation> {
  const { devFraction, seed } = model.settings.train;
  const trained: CorpusSplit = await splitCorpus(config.dataFile, config.devFile, devFraction, seed);
  const { resolve } = await import('node:path');
  const target = resolve(dataPath);
  let test: TextPart[];
  let heldOut: TextEvaluation['heldOut'];
  if (target === resolve(config.dataFile) && !config.devFile) { test = trained.dev; heldOut = 'split'; }
  else if (config.devFile && target === resolve(config.devFile)) { test = trained.dev; heldOut = 'dev-data'; }
  else { test = (await splitCorpus(dataPath, undefined, 0, seed)).train; heldOut = 'other-data'; }
  if (!test.length) throw new Error(`${target}: nothing held out to score (the training data held out no text; give other data)`);
  const m = await modelPerplexity(model, test);
  const n = await ngramPerplexity(trained.train, test, order);
  return { heldOut, files: test.length, trainFiles: trained.train.length, model: m, ngram: { ...n, order } };
}
