/**
 * Trivial baselines a trained model must beat, scored with the same metrics as the model: copy
 * the input (good when sources and targets share words, e.g. cognates), and always answer the most
 * frequent target of the training data.
 */
import type { Pair } from '../data/data';
import { corpusBleu, corpusChrf, errorRates } from './metrics';

export interface BaselineScores { bleu: number; chrf: number; per: number; wer: number }

/** BLEU, chrF, PER and WER of `predictions` against the pairs' targets; `tokenize` splits a target into the tokens PER counts. */
export function scoreOutputs(pairs: Pair[], predictions: string[], tokenize: (text: string) => string[]): BaselineScores {
  const refs = pairs.map((p) => p.target);
  const rates = errorRates(predictions.map(tokenize), refs.map(tokenize));
  return { bleu: corpusBleu(predictions, refs).score, chrf: corpusChrf(predictions, refs), per: rates.per, wer: rates.wer };
}

/** The most frequent target among the training pairs (the first of those tied). */
export function mostFrequentTarget(train: Pair[]): string {
  const counts = new Map<string, number>();
  let best = '';
  let bestCount = 0;
  for (const p of train) {
    const n = (counts.get(p.target) ?? 0) + 1;
    counts.set(p.target, n);
    if (n > bestCount) { best = p.target; bestCount = n; }
  }
  return best;
}

export function baselines(train: Pair[], dev: Pair[], tokenize: (text: string) => string[]): { copy: BaselineScores; mostFrequent: BaselineScores & { output: string } } {
  const output = mostFrequentTarget(train);
  return {
    copy: scoreOutputs(dev, dev.map((p) => p.source), tokenize),
    mostFrequent: { ...scoreOutputs(dev, dev.map(() => output), tokenize), output },
  };
}
