/**
 * Turning pairs into what a model trains on, without TensorFlow (so the extension host and
 * `seq2seq export-job` can use it too): the vocabularies learned from the training pairs, the pairs
 * as token ids (too-long pairs skipped and reported), and the task's dev metric.
 */
import type { Seq2SeqSettings, TaskKind, TokenizerSettings } from '../config';
import type { Example, Pair } from '../data/data';
import { detectTokenizerKind, Vocabulary } from '../data/tokenizer';
import type { SkippedLine } from './events';

/** The task's metric for choosing the best model: PER for symbol sequences and single words, else BLEU. */
export type DevMetricKind = 'bleu' | 'per';

/** A word-level side whose texts are white-space separated symbols (phonemes) keeps them as they are. */
export function buildVocabulary(texts: string[], side: TokenizerSettings): Vocabulary {
  const whitespaceOnly = side.kind === 'word' && detectTokenizerKind(texts.slice(0, 5000)).whitespaceOnly;
  return Vocabulary.build(texts, side, whitespaceOnly);
}

/**
 * The source and target vocabularies of the training pairs: one per side, or (model.sharedVocab) one
 * learned from both sides' texts with the target side's settings, the same object for both.
 */
export function buildVocabularies(pairs: Pair[], settings: Pick<Seq2SeqSettings, 'model' | 'source' | 'target'>): [Vocabulary, Vocabulary] {
  if (settings.model.sharedVocab) {
    const joint = buildVocabulary([...pairs.map((p) => p.source), ...pairs.map((p) => p.target)], settings.target);
    return [joint, joint];
  }
  return [buildVocabulary(pairs.map((p) => p.source), settings.source), buildVocabulary(pairs.map((p) => p.target), settings.target)];
}

/** Token ids of each pair; pairs longer than maxLen on either side are skipped and reported. */
export function encodeExamples(pairs: Pair[], src: Vocabulary, tgt: Vocabulary, maxLen: number, skipped: SkippedLine[]): Example[] {
  const out: Example[] = [];
  for (const p of pairs) {
    const s = src.encode(p.source);
    const t = tgt.encode(p.target);
    if (s.length > maxLen || t.length > maxLen) {
      skipped.push({ line: p.line, reason: `longer than ${maxLen} tokens (source ${s.length}, target ${t.length})` });
      continue;
    }
    out.push({ src: s, tgt: t, line: p.line });
  }
  return out;
}

export function devMetricKind(target: Vocabulary, task: TaskKind, trainPairs: Pair[]): DevMetricKind {
  if (target.kind === 'word' && target.whitespaceOnly) return 'per';
  const singleWords = !trainPairs.slice(0, 200).some((p) => /\s/.test(p.target));
  return target.kind === 'char' && task === 'pairs' && singleWords ? 'per' : 'bleu';
}
