/**
 * Reading pair files: TSV (`source<TAB>target`, extra columns ignored), CSV with a header, JSON Lines
 * with `source`/`target` keys (plain text for generation is src/model/generation's). Files
 * are streamed line by line with the one encoding and line rule of textFile.ts; every unusable line
 * is counted and reported with its line number, and a file with nothing usable is a DataError
 * naming the file.
 */
import { extname } from 'node:path';
import type { DataReport, SkippedLine } from '../training/events';
import { DataError } from './dataError';
import { readTextLines } from './textFile';

export { DataError };

export interface Pair { source: string; target: string; /** 1-based line in the file. */ line: number }

export type PairFormat = 'tsv' | 'csv' | 'jsonl';
const MAX_REPORTED = 20;
/** Longest line accepted, in characters; longer lines are skipped as unusable. */
export const MAX_LINE_CHARS = 10_000;

export function formatOf(file: string): PairFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'tsv';
}

/** Splits one CSV record (RFC 4180 quoting, single line). Returns null when quotes are unbalanced. */
export function splitCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') { cur += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      cur += ch; i++; continue;
    }
    if (ch === '"' && cur === '') { quoted = true; i++; continue; }
    if (ch === ',') { out.push(cur); cur = ''; i++; continue; }
    cur += ch; i++;
  }
  if (quoted) return null;
  out.push(cur);
  return out;
}

export interface ReadResult { pairs: Pair[]; report: DataReport }

/** Reads a pair file. Throws DataError when the file is missing or has no usable pair. */
export async function readPairs(file: string): Promise<ReadResult> {
  const format = formatOf(file);
  const pairs: Pair[] = [];
  const skippedLines: SkippedLine[] = [];
  let skipped = 0;
  const skip = (line: number, reason: string) => {
    skipped++;
    if (skippedLines.length < MAX_REPORTED) skippedLines.push({ line, reason });
  };
  let csvColumns: { source: number; target: number } | null = null;
  let total = 0;
  for await (const { text: raw, line: n, valid } of readTextLines(file, file, 'the data file')) {
    total = n;
    if (!valid) { skip(n, 'not valid UTF-8'); continue; }
    if (raw.trim() === '') { skip(n, 'empty line'); continue; }
    if (raw.length > MAX_LINE_CHARS) { skip(n, `line longer than ${MAX_LINE_CHARS} characters`); continue; }
    let source: unknown;
    let target: unknown;
    if (format === 'tsv') {
      const cols = raw.split('\t');
      if (cols.length < 2) { skip(n, 'no tab: expected source<TAB>target'); continue; }
      [source, target] = cols;
    } else if (format === 'csv') {
      const cols = splitCsvLine(raw);
      if (!cols) { skip(n, 'unbalanced quotes'); continue; }
      if (!csvColumns) {
        const lower = cols.map((c) => c.trim().toLowerCase());
        const s = lower.indexOf('source');
        const t = lower.indexOf('target');
        csvColumns = s >= 0 && t >= 0 ? { source: s, target: t } : { source: 0, target: 1 };
        if (s >= 0 && t >= 0) continue; // header row
      }
      if (cols.length <= Math.max(csvColumns.source, csvColumns.target)) { skip(n, 'too few columns'); continue; }
      source = cols[csvColumns.source];
      target = cols[csvColumns.target];
    } else {
      let obj: unknown;
      try { obj = JSON.parse(raw); } catch { skip(n, 'not valid JSON'); continue; }
      if (typeof obj !== 'object' || obj === null) { skip(n, 'not a JSON object'); continue; }
      source = (obj as Record<string, unknown>).source;
      target = (obj as Record<string, unknown>).target;
      if (typeof source !== 'string' || typeof target !== 'string') { skip(n, 'needs string fields "source" and "target"'); continue; }
    }
    const s = String(source).trim();
    const t = String(target).trim();
    if (!s || !t) { skip(n, !s ? 'empty source' : 'empty target'); continue; }
    pairs.push({ source: s, target: t, line: n });
  }
  const report: DataReport = { file, format, pairs: pairs.length, skipped, skippedLines };
  if (pairs.length === 0) {
    const why = skippedLines.slice(0, 3).map((l) => `line ${l.line}: ${l.reason}`).join('; ');
    throw new DataError(
      `${file}: no usable pairs in ${total} line${total === 1 ? '' : 's'}${why ? ` (${why})` : ''}. ` +
        `Expected ${format === 'tsv' ? 'source<TAB>target on each line' : format === 'csv' ? 'a CSV with source,target columns' : 'JSON objects with "source" and "target" strings'}.`,
      file, skippedLines[0]?.line,
    );
  }
  return { pairs, report };
}

/** Deterministic pseudo-random numbers (mulberry32) so shuffles and splits repeat from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T>(arr: T[], random: () => number): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

/** Splits off a dev set deterministically. */
export function splitDev<T>(items: T[], fraction: number, seed: number, maxDev = 2000): { train: T[]; dev: T[] } {
  if (fraction <= 0 || items.length < 10) return { train: items, dev: [] };
  const order = shuffleInPlace(items.map((_, i) => i), rng(seed ^ 0x5eed));
  const nDev = Math.min(maxDev, Math.max(1, Math.round(items.length * fraction)));
  const devIdx = new Set(order.slice(0, nDev));
  return { train: items.filter((_, i) => !devIdx.has(i)), dev: items.filter((_, i) => devIdx.has(i)) };
}

/** Token ids: a plain list, or a view into a longer sequence (generation windows share their file's ids). */
export type Ids = number[] | Int32Array;

/** An encoded example: token ids without specials (a generation window may start with <s>). */
export interface Example {
  src: Ids;
  tgt: Ids;
  line: number;
  /** The target stops mid-text (a chunk of running text): no </s> is learned after it. */
  open?: boolean;
}

/**
 * Batches from length buckets: examples are shuffled, cut into chunks of 50 batches, each chunk is
 * sorted by length and cut into batches, and the batch order is shuffled. Padding stays small and
 * every epoch's order follows from (seed, epoch).
 */
export function makeBatches(examples: Example[], batchSize: number, seed: number, epoch: number): number[][] {
  const random = rng((seed * 1000003 + epoch * 7919) >>> 0);
  const order = shuffleInPlace(examples.map((_, i) => i), random);
  const chunk = batchSize * 50;
  const batches: number[][] = [];
  for (let c = 0; c < order.length; c += chunk) {
    const part = order.slice(c, c + chunk).sort((a, b) =>
      examples[a].src.length - examples[b].src.length || examples[a].tgt.length - examples[b].tgt.length);
    for (let b = 0; b < part.length; b += batchSize) batches.push(part.slice(b, b + batchSize));
  }
  return shuffleInPlace(batches, random);
}

/** Padded, time-major id matrices for one batch. */
export interface BatchArrays {
  batch: number;
  srcLen: number;
  tgtLen: number;
  /** [srcLen * batch], time-major, 0 = pad. */
  src: Int32Array;
  /** Decoder input: <s> y1 .. yn, [tgtLen * batch] time-major. */
  tgtIn: Int32Array;
  /** Decoder target: y1 .. yn </s>. */
  tgtOut: Int32Array;
  targetTokens: number;
}

export function padBatch(examples: Example[], idx: number[], bos: number, eos: number, minSrcLen = 1): BatchArrays {
  const B = idx.length;
  let S = minSrcLen;
  let T = 1;
  for (const i of idx) { S = Math.max(S, examples[i].src.length); T = Math.max(T, examples[i].tgt.length + 1); }
  const src = new Int32Array(S * B);
  const tgtIn = new Int32Array(T * B);
  const tgtOut = new Int32Array(T * B);
  let targetTokens = 0;
  idx.forEach((ei, b) => {
    const ex = examples[ei];
    ex.src.forEach((id, t) => { src[t * B + b] = id; });
    tgtIn[b] = bos;
    ex.tgt.forEach((id, t) => { tgtIn[(t + 1) * B + b] = id; tgtOut[t * B + b] = id; });
    // An open target's last slot stays padding, which the loss skips.
    if (!ex.open) tgtOut[ex.tgt.length * B + b] = eos;
    targetTokens += ex.tgt.length + (ex.open ? 0 : 1);
  });
  return { batch: B, srcLen: S, tgtLen: T, src, tgtIn, tgtOut, targetTokens };
}
