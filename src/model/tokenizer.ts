/**
 * Vocabularies and tokenisers, one per side. Character level keeps every code point (so decoding
 * gives back the exact text); word level splits on white space and punctuation and rejoins with
 * simple spacing rules. Ids 0-3 are the special tokens.
 */
import type { TokenizerKind, TokenizerSettings } from './config';

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIALS = ['<pad>', '<s>', '</s>', '<unk>'] as const;

const WORD_RE = /[\p{L}\p{M}\p{N}_']+|[^\s\p{L}\p{M}\p{N}_']/gu;
const NO_SPACE_BEFORE = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%', '»', '…']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '¿', '¡', '«']);

export interface VocabularyJSON {
  kind: TokenizerKind;
  lowercase: boolean;
  /** True when word tokens are exactly the white-space separated fields (symbol sequences such as phonemes). */
  whitespaceOnly: boolean;
  tokens: string[];
}

export class Vocabulary {
  readonly index: Map<string, number>;

  constructor(
    readonly kind: TokenizerKind,
    readonly lowercase: boolean,
    readonly tokens: string[],
    readonly whitespaceOnly = false,
  ) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  get size(): number { return this.tokens.length; }

  /** Builds a vocabulary of the most frequent tokens (ties broken by first appearance, so it is deterministic). */
  static build(texts: Iterable<string>, settings: TokenizerSettings, whitespaceOnly = false): Vocabulary {
    const probe = new Vocabulary(settings.kind, settings.lowercase, [...SPECIALS], whitespaceOnly);
    const counts = new Map<string, number>();
    for (const text of texts) for (const tok of probe.tokenize(text)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, Math.max(0, settings.maxVocab - SPECIALS.length));
    return new Vocabulary(settings.kind, settings.lowercase, [...SPECIALS, ...ranked.map(([t]) => t)], whitespaceOnly);
  }

  static fromJSON(j: VocabularyJSON): Vocabulary {
    if (!j || !Array.isArray(j.tokens) || j.tokens.length < SPECIALS.length || (j.kind !== 'char' && j.kind !== 'word')) {
      throw new Error('tokenizer data is malformed');
    }
    return new Vocabulary(j.kind, !!j.lowercase, j.tokens, !!j.whitespaceOnly);
  }

  toJSON(): VocabularyJSON {
    return { kind: this.kind, lowercase: this.lowercase, whitespaceOnly: this.whitespaceOnly, tokens: this.tokens };
  }

  tokenize(text: string): string[] {
    const t = this.lowercase ? text.toLowerCase() : text;
    if (this.kind === 'char') return Array.from(t);
    if (this.whitespaceOnly) return t.split(/\s+/).filter(Boolean);
    return t.match(WORD_RE) ?? [];
  }

  encode(text: string): number[] {
    return this.tokenize(text).map((tok) => this.index.get(tok) ?? UNK);
  }

  /** Token strings for ids, stopping at </s> and dropping <s> and <pad>. */
  idsToTokens(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === EOS) break;
      if (id === PAD || id === BOS) continue;
      out.push(this.tokens[id] ?? SPECIALS[UNK]);
    }
    return out;
  }

  detokenize(tokens: string[]): string {
    if (this.kind === 'char') return tokens.join('');
    if (this.whitespaceOnly) return tokens.join(' ');
    let s = '';
    let prev = '';
    for (const tok of tokens) {
      if (s && !NO_SPACE_BEFORE.has(tok) && !NO_SPACE_AFTER.has(prev) && !(tok.startsWith("'") && prev !== '')) s += ' ';
      s += tok;
      prev = tok;
    }
    return s;
  }

  decode(ids: ArrayLike<number>): string {
    return this.detokenize(this.idsToTokens(ids));
  }
}

/**
 * Picks the tokeniser kind for one side from its texts: short symbol sequences separated by spaces
 * (phonemes, tags: a small set of distinct fields) are word level; other text is character level,
 * which suits small data and never meets an unknown word.
 */
export function detectTokenizerKind(texts: string[]): { kind: TokenizerKind; whitespaceOnly: boolean } {
  const fields = new Set<string>();
  let multi = 0;
  for (const t of texts) {
    const parts = t.split(/\s+/).filter(Boolean);
    if (parts.length > 1) multi++;
    for (const p of parts) fields.add(p);
    if (fields.size > 300) return { kind: 'char', whitespaceOnly: false };
  }
  const multiShare = texts.length ? multi / texts.length : 0;
  return multiShare > 0.5 && fields.size <= 300 ? { kind: 'word', whitespaceOnly: true } : { kind: 'char', whitespaceOnly: false };
}
