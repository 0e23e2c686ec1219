/**
 * Pairs for text generation, cut from running text: the text as one token sequence (white space and
 * newlines included, by an exact tokeniser), the target a chunk of `chunk` tokens, the source the
 * `window` tokens before it, across line breaks. Chunks follow each other without overlap, so
 * every token of a file is a target once. A window that reaches the start of the file begins with
 * <s> (the model knows where a file begins, and a first chunk has a source at all). A chunk that is
 * not the file's last is "open": no </s> is learned after it, so </s> means the end of the text.
 */
import { BOS } from '../data/tokenizer';
import type { Example } from '../data/data';

/** Source ids before position `at` of `ids`: at most `window` of them, <s> first when they reach the start. */
export function contextWindow(ids: ArrayLike<number>, at: number, window: number): Int32Array {
  const start = at - window;
  if (start > 0) return Int32Array.from({ length: window }, (_, i) => ids[start + i]);
  const out = new Int32Array(at + 1);
  out[0] = BOS;
  for (let i = 0; i < at; i++) out[i + 1] = ids[i];
  // Keep at most `window` in all: the oldest text gives way to <s>.
  return out.length > window ? out.subarray(out.length - window) : out;
}

/** The (source, target) pairs of one file's ids; `line(at)` gives the 1-based line a target starts on. */
export function windowExamples(ids: Int32Array, window: number, chunk: number, line: (at: number) => number = () => 1): Example[] {
  const out: Example[] = [];
  for (let at = 0; at < ids.length; at += chunk) {
    const end = Math.min(ids.length, at + chunk);
    out.push({ src: contextWindow(ids, at, window), tgt: ids.subarray(at, end), line: line(at), open: end < ids.length });
  }
  return out;
}

/** 1-based line numbers of token positions, from the tokens' texts. */
export function lineOfToken(tokenTexts: string[]): (at: number) => number {
  const lines = new Int32Array(tokenTexts.length + 1);
  let line = 1;
  tokenTexts.forEach((t, i) => {
    lines[i] = line;
    for (const ch of t) if (ch === '\n') line++;
  });
  lines[tokenTexts.length] = line;
  return (at) => lines[Math.min(at, tokenTexts.length)];
}
