/**
 * The baseline a generation model must beat: a character n-gram model with interpolated
 * Witten-Bell smoothing (Witten & Bell 1991; as in SRILM's `-wbdiscount -interpolate`):
 *
 *   P(c | h) = (C(h c) + T(h) P(c | h')) / (C(h) + T(h))
 *
 * where h' is h without its oldest character, C(h) the times h was followed by anything, and
 * T(h) the number of different characters seen after it; a history never seen gives P(c | h').
 * Below the unigram is the uniform distribution over the characters seen plus one for any unseen
 * one, so every character has a probability. A character's history is the text before it in its
 * file (shorter at the start of a file), as the model's is.
 */

/** Counts of what follows each history of up to order - 1 characters. */
export class CharNgram {
  /** History -> (C(h), T(h)). */
  private readonly histories = new Map<string, { count: number; types: number }>();
  /** History + character -> count. */
  private readonly grams = new Map<string, number>();
  private readonly alphabet = new Set<string>();

  constructor(readonly order = 6) {
    if (!Number.isInteger(order) || order < 1 || order > 20) throw new Error(`n-gram order must be a whole number from 1 to 20 (got ${order})`);
  }

  /** Adds one text (one file) to the counts. */
  add(text: string): void {
    const { chars, at } = characters(text);
    for (let i = 0; i < chars.length; i++) {
      this.alphabet.add(chars[i]);
      for (let n = 0; n < this.order && n <= i; n++) {
        const h = text.slice(at[i - n], at[i]);
        const key = `${h}\u0000${chars[i]}`;
        const seen = this.grams.get(key) ?? 0;
        this.grams.set(key, seen + 1);
        const hist = this.histories.get(h) ?? { count: 0, types: 0 };
        hist.count++;
        if (seen === 0) hist.types++;
        this.histories.set(h, hist);
      }
    }
  }

  /** P(c | history), history the characters before c (only the last order - 1 are used). */
  probability(c: string, history: string[]): number {
    const at = [0];
    for (const ch of history) at.push(at[at.length - 1] + ch.length);
    return this.probabilityAt(c, history.join(''), at, history.length);
  }

  /** P(c | the characters before index i of a text), `at` the code-unit offset of each character. */
  private probabilityAt(c: string, text: string, at: ArrayLike<number>, i: number): number {
    let p = 1 / (this.alphabet.size + 1);
    const from = Math.max(0, i - (this.order - 1));
    // From the empty history up to the longest, each level interpolating with the one below.
    for (let start = i; start >= from; start--) {
      const h = text.slice(at[start], at[i]);
      const hist = this.histories.get(h);
      if (!hist) break;
      p = ((this.grams.get(`${h}\u0000${c}`) ?? 0) + hist.types * p) / (hist.count + hist.types);
    }
    return p;
  }

  /** Total negative log-likelihood (nats) of a text and its characters, each predicted from the text before it. */
  score(text: string): { nats: number; chars: number } {
    const { chars, at } = characters(text);
    let nats = 0;
    for (let i = 0; i < chars.length; i++) nats -= Math.log(this.probabilityAt(chars[i], text, at, i));
    return { nats, chars: chars.length };
  }
}

/** A text's characters (code points) and the code-unit offset of each (one more at the end). */
function characters(text: string): { chars: string[]; at: Int32Array } {
  const chars = Array.from(text);
  const at = new Int32Array(chars.length + 1);
  for (let i = 0; i < chars.length; i++) at[i + 1] = at[i] + chars[i].length;
  return { chars, at };
}
