/**
 * Training data for text generation: the corpus (a file or a folder), its held-out part, the
 * vocabularies learned from the training text, and the window pairs of both parts. The held-out
 * part is chosen by file (a seeded draw of whole files holding about `devFraction` of the
 * characters), so no held-out text has a near copy among the training windows; a corpus of one
 * file holds out its last lines instead. Training and `seq2seq eval` call the same split.
 */
import type { TokenizerSettings } from '../config';
import { rng, shuffleInPlace, type Example, type Pair } from '../data/data';
import { VocabularyBuilder, type Vocabulary } from '../data/tokenizer';
import type { DataReport } from '../training/events';
import { listCorpus, readCorpusFile, type TextCorpus, type TextSource } from './textFolder';
import { lineOfToken, windowExamples } from './windows';

/** A piece of a corpus: a whole file, or (a one-file corpus) its lines from `fromLine` up to `toLine` (exclusive). */
export interface TextPart { source: TextSource; fromLine?: number; toLine?: number }

export interface CorpusSplit { corpus: TextCorpus; train: TextPart[]; dev: TextPart[]; devCorpus?: TextCorpus }

/**
 * The split of `dataPath` as training makes it: with a dev path, all of the data trains and all of
 * the dev path is held out; else whole files are held out, or a one-file corpus's last lines.
 */
export async function splitCorpus(dataPath: string, devPath: string | undefined, devFraction: number, seed: number): Promise<CorpusSplit> {
  const corpus = await listCorpus(dataPath);
  const whole = (files: TextSource[]) => files.map((source) => ({ source }));
  if (devPath) {
    const devCorpus = await listCorpus(devPath);
    return { corpus, devCorpus, train: whole(corpus.files), dev: whole(devCorpus.files) };
  }
  if (devFraction <= 0) return { corpus, train: whole(corpus.files), dev: [] };
  if (corpus.files.length === 1) {
    const source = corpus.files[0];
    const lines = (await readPart({ source })).split('\n').length;
    const cut = Math.max(1, lines - Math.max(1, Math.round(lines * devFraction)));
    if (lines < 10) return { corpus, train: [{ source }], dev: [] };
    return { corpus, train: [{ source, toLine: cut + 1 }], dev: [{ source, fromLine: cut + 1 }] };
  }
  const order = shuffleInPlace(corpus.files.map((_, i) => i), rng(seed ^ 0x5eed));
  const total = corpus.files.reduce((n, f) => n + f.chars, 0);
  const devIdx = new Set<number>();
  let devChars = 0;
  // Whole files until the share is reached; at least one file each side.
  for (const i of order) {
    if (devIdx.size >= corpus.files.length - 1 || (devIdx.size > 0 && devChars >= total * devFraction)) break;
    if (devIdx.size > 0 && devChars + corpus.files[i].chars > total * devFraction * 1.5) continue;
    devIdx.add(i);
    devChars += corpus.files[i].chars;
  }
  return {
    corpus,
    train: whole(corpus.files.filter((_, i) => !devIdx.has(i))),
    dev: whole(corpus.files.filter((_, i) => devIdx.has(i))),
  };
}

/** The text of a part (re-read from its file: parts are not kept in memory). */
export async function readPart(part: TextPart): Promise<string> {
  const text = await readCorpusFile(part.source.path);
  if (text === null) throw new Error(`${part.source.path}: changed while reading (no longer UTF-8 text)`);
  if (part.fromLine === undefined && part.toLine === undefined) return text;
  const lines = text.split('\n');
  const from = (part.fromLine ?? 1) - 1;
  const to = (part.toLine ?? lines.length + 1) - 1;
  // A part ending before the file does keeps the line end between the two parts.
  return lines.slice(from, to).join('\n') + (to < lines.length ? '\n' : '');
}

/** The texts of parts, one at a time. */
export async function* partTexts(parts: TextPart[]): AsyncGenerator<{ part: TextPart; text: string }> {
  for (const part of parts) yield { part, text: await readPart(part) };
}

/**
 * One vocabulary learned from the training text, used for both sides (the source is the same text
 * as the target), exact so white space survives; counted file by file, one file's text at a time.
 */
export async function buildTextVocabulary(parts: TextPart[], side: TokenizerSettings): Promise<Vocabulary> {
  const builder = new VocabularyBuilder({ ...side, lowercase: false }, false, true);
  for await (const { text } of partTexts(parts)) builder.add(text);
  return builder.build();
}

/** The window pairs of the parts (and, when asked, their texts, for decoded dev samples). */
export async function textExamples(parts: TextPart[], vocab: Vocabulary, window: number, chunk: number, withTexts = false): Promise<{ examples: Example[]; pairs: Pair[]; chars: number }> {
  const examples: Example[] = [];
  const pairs: Pair[] = [];
  let chars = 0;
  for await (const { text } of partTexts(parts)) {
    const tokens = vocab.tokenize(text);
    const ids = Int32Array.from(vocab.encode(text));
    chars += Array.from(text).length;
    const texts = tokens.map((t) => vocab.tokenText(t));
    for (const e of windowExamples(ids, window, chunk, lineOfToken(texts))) {
      examples.push(e);
      if (withTexts) pairs.push({ source: vocab.decode(e.src), target: vocab.decode(e.tgt), line: e.line });
    }
  }
  return { examples, pairs, chars };
}

/** What the data report says of a corpus: its windows as "pairs", the files read, skipped (binary or not UTF-8) and ignored. */
export function corpusReport(split: CorpusSplit, windows: number): DataReport {
  const c = split.corpus;
  const skippedLines = c.skippedExamples.map((name) => ({ line: 0, reason: `${name}: binary or not UTF-8, skipped` }));
  return { file: c.root, format: 'text', pairs: windows, skipped: c.skippedBinary, skippedLines, files: c.files.length, ignored: c.ignored };
}
