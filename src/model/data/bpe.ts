/**
 * Byte-pair encoding in the SentencePiece style: every white-space separated word gets a leading
 * "▁" (U+2581), is split into characters, and learned merges join adjacent pieces back together.
 * Learning is classic Sennrich BPE over word frequencies (each distinct word counted once with its
 * frequency; the most frequent adjacent pair is merged, again and again).
 *
 * Learning is incremental: pair counts are kept up to date from the words a merge touches (found
 * through an index from pairs to words), and the best pair comes from a max-heap with lazy
 * deletion, so thousands of merges over tens of thousands of distinct words take about a second.
 *
 * Determinism: characters are numbered by code point, merged pieces by creation; among pairs of
 * equal count the one with the smaller (left id, right id) wins. The result depends only on the
 * multiset of words, not on their order.
 */

/** The word-start marker, as in SentencePiece. */
export const WORD_START = '\u2581';

export type Merge = [string, string];

export interface BpeLearnOptions {
  /** Largest number of distinct pieces (base characters plus merged pieces). */
  maxPieces: number;
  /** Pairs seen fewer times than this are never merged (default 2). */
  minCount?: number;
  /** Pieces never formed (the special tokens' spellings, say); merges that would form them are skipped. */
  forbidden?: ReadonlySet<string>;
}

export interface BpeModel {
  /** Base characters kept, by code point. Characters left out (only when over budget) are unknown. */
  alphabet: string[];
  /** Merges in the order learned. */
  merges: Merge[];
  /** Merged pieces in order of creation, each once (a piece can come from two different merges). */
  pieces: string[];
}

/** Splits a word (marker included) into characters (code points). */
export function chars(word: string): string[] {
  return Array.from(word);
}

/**
 * Learns merges from word frequencies. Words should already carry the "▁" marker. When there are
 * more distinct characters than `maxPieces`, the most frequent are kept (ties by code point) and
 * the rest never take part in a merge.
 */
export function learnBpe(wordCounts: Map<string, number>, opts: BpeLearnOptions): BpeModel {
  const minCount = Math.max(1, opts.minCount ?? 2);
  // Characters, counted by word frequency.
  const charCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of chars(w)) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
  let alphabet = [...charCounts.keys()].sort(byCodePoint);
  if (alphabet.length > opts.maxPieces) {
    const keep = new Set([...alphabet].sort((a, b) => charCounts.get(b)! - charCounts.get(a)! || byCodePoint(a, b)).slice(0, Math.max(0, opts.maxPieces)));
    alphabet = alphabet.filter((ch) => keep.has(ch));
  }

  const symbols: string[] = [...alphabet];
  const symbolId = new Map<string, number>(symbols.map((s, i) => [s, i]));
  const merges: Merge[] = [];
  const pieces: string[] = [];
  // Symbol ids stay below 2^21, so a pair (a, b) is the exact number a * 2^21 + b.
  const SHIFT = 2 ** 21;
  const pairKey = (a: number, b: number) => a * SHIFT + b;

  // Distinct words as symbol-id arrays (-1: unknown character, never paired).
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, c] of wordCounts) {
    if (c <= 0) continue;
    words.push(chars(w).map((ch) => symbolId.get(ch) ?? -1));
    freq.push(c);
  }

  const counts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addPair = (a: number, b: number, c: number, wi: number, index: boolean) => {
    if (a < 0 || b < 0) return;
    const k = pairKey(a, b);
    counts.set(k, (counts.get(k) ?? 0) + c);
    if (index) {
      const list = where.get(k);
      if (list) { if (list[list.length - 1] !== wi) list.push(wi); } else where.set(k, [wi]);
    }
  };
  for (let wi = 0; wi < words.length; wi++) {
    const s = words[wi];
    for (let i = 0; i + 1 < s.length; i++) addPair(s[i], s[i + 1], freq[wi], wi, true);
  }

  const heap = new PairHeap();
  for (const [k, c] of counts) if (c >= minCount) heap.push(c, k);

  const seen = new Uint32Array(words.length);
  let stamp = 0;
  while (symbols.length < opts.maxPieces && heap.size > 0) {
    const top = heap.pop()!;
    const current = counts.get(top.key) ?? 0;
    if (current !== top.count) {
      // Stale entry: the pair's count only went down since it was pushed.
      if (current >= minCount) heap.push(current, top.key);
      continue;
    }
    const a = Math.floor(top.key / SHIFT);
    const b = top.key - a * SHIFT;
    const merged = symbols[a] + symbols[b];
    if (opts.forbidden?.has(merged)) {
      counts.delete(top.key);
      where.delete(top.key);
      continue;
    }
    let m = symbolId.get(merged);
    if (m === undefined) {
      m = symbols.length;
      symbols.push(merged);
      symbolId.set(merged, m);
      pieces.push(merged);
    }
    merges.push([symbols[a], symbols[b]]);

    stamp++;
    const touched = new Set<number>();
    for (const wi of where.get(top.key) ?? []) {
      if (seen[wi] === stamp) continue;
      seen[wi] = stamp;
      const s = words[wi];
      let found = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) { found = true; break; }
      if (!found) continue;
      const c = freq[wi];
      for (let i = 0; i + 1 < s.length; i++) addPair(s[i], s[i + 1], -c, wi, false);
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { out.push(m); i++; } else out.push(s[i]);
      }
      words[wi] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const involves = out[i] === m || out[i + 1] === m;
        addPair(out[i], out[i + 1], c, wi, involves);
        if (involves && out[i] >= 0 && out[i + 1] >= 0) touched.add(pairKey(out[i], out[i + 1]));
      }
    }
    counts.delete(top.key);
    where.delete(top.key);
    // Only pairs with the merged piece can have grown; push them with their new counts.
    for (const k of touched) {
      const c = counts.get(k) ?? 0;
      if (c >= minCount) heap.push(c, k);
    }
  }
  return { alphabet, merges, pieces };
}

function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/** Binary max-heap of (count, pair key): higher count first, then smaller key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number { return this.counts.length; }

  private above(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]; this.counts[i] = this.counts[j]; this.counts[j] = c;
    const k = this.keys[i]; this.keys[i] = this.keys[j]; this.keys[j] = k;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { count: number; key: number } | undefined {
    const n = this.counts.length;
    if (!n) return undefined;
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastC = this.counts.pop()!;
    const lastK = this.keys.pop()!;
    if (n > 1) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < n - 1 && this.above(l, best)) best = l;
        if (r < n - 1 && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/**
 * Applies learned merges to words: repeatedly merges the adjacent pair learned earliest, exactly as
 * in learning. Results are cached per word (the cache is cleared when it grows past `cacheSize`).
 */
export class BpeEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  constructor(readonly merges: readonly Merge[], private readonly cacheSize = 100_000) {
    merges.forEach(([a, b], r) => {
      const k = a + '\u0000' + b;
      if (!this.ranks.has(k)) this.ranks.set(k, r);
    });
  }

  /** Pieces of one word (marker included by the caller). */
  encodeWord(word: string): string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let s = chars(word);
    while (s.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < s.length; i++) {
        const r = this.ranks.get(s[i] + '\u0000' + s[i + 1]);
        if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
      }
      if (best < 0) break;
      const a = s[best];
      const b = s[best + 1];
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { out.push(a + b); i++; } else out.push(s[i]);
      }
      s = out;
    }
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(word, s);
    return s;
  }
}
