/**
 * Vocabularies and tokenisers, one per side. Character level keeps every code point (so decoding
 * gives back the exact text); word level splits on white space and punctuation and rejoins with
 * simple spacing rules; subword level is byte-pair encoding in the SentencePiece style (see bpe.ts):
 * words split on white space, each with a leading "▁", cut into learned pieces. Subword decoding
 * gives back the text with white space normalised (runs collapsed to one space, none at the ends;
 * a "▁" in the input itself comes back as a space). Ids 0-3 are the special tokens.
 *
 * An exact vocabulary (text generation) keeps every white-space character: word and subword tokens
 * then carry the one space before them (" foo"; subwords without the "▁" marker), other white space (newlines, indentation,
 * tabs) is a token of its own, a newline together with the indentation after it, so decoding is
 * joining the tokens. Character level is always exact.
 */
import type { TokenizerKind, TokenizerSettings } from '../config';
import { BpeEncoder, learnBpe, WORD_START, type Merge } from './bpe';

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIALS = ['<pad>', '<s>', '</s>', '<unk>'] as const;

const WORD_RE = /[\p{L}\p{M}\p{N}_']+|[^\s\p{L}\p{M}\p{N}_']/gu;
const NO_SPACE_BEFORE = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%', '»', '…']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '¿', '¡', '«']);
/**
 * White space for exact vocabularies: a newline with the spaces after it but the last (which
 * belongs to the word that follows), a newline, a run of spaces or tabs likewise, or any left over.
 */
const EXACT_SPACE = String.raw`\n[^\S\n]*(?!\S)|\n|[^\S\n]+(?!\S)|[^\S\n]+`;
/** Exact word level: words and single punctuation marks, each with the space before it. */
const EXACT_WORD_RE = new RegExp(String.raw` ?[\p{L}\p{M}\p{N}_']+| ?[^\s\p{L}\p{M}\p{N}_']|` + EXACT_SPACE, 'gu');
/** Exact subword level: the segments pieces are learned within (a word with its space, or white space). */
const EXACT_SEGMENT_RE = new RegExp(String.raw` ?\S+|` + EXACT_SPACE, 'gu');

/** Exact subword segments. The space before a word stays a space (no "▁"), so a "▁" in the text is just a character. */
function exactSegments(text: string): string[] {
  return text.match(EXACT_SEGMENT_RE) ?? [];
}

export interface VocabularyJSON {
  kind: TokenizerKind;
  lowercase: boolean;
  /** True when word tokens are exactly the white-space separated fields (symbol sequences such as phonemes). */
  whitespaceOnly: boolean;
  tokens: string[];
  /** Subword only: the byte-pair merges in the order learned. */
  merges?: Merge[];
  /** White space kept exactly (text generation); absent means false. */
  exact?: boolean;
}

export class Vocabulary {
  readonly index: Map<string, number>;
  private readonly bpe: BpeEncoder | null;

  constructor(
    readonly kind: TokenizerKind,
    readonly lowercase: boolean,
    readonly tokens: string[],
    readonly whitespaceOnly = false,
    /** Subword only: the byte-pair merges in the order learned. */
    readonly merges: readonly Merge[] = [],
    /** Every white-space character kept: decoding gives back the text exactly (see the file's comment). */
    readonly exact = false,
  ) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
    this.bpe = kind === 'subword' ? new BpeEncoder(merges) : null;
  }

  get size(): number { return this.tokens.length; }

  /** Builds a vocabulary of the most frequent tokens (ties broken by first appearance, so it is deterministic). */
  static build(texts: Iterable<string>, settings: TokenizerSettings, whitespaceOnly = false, exact = false): Vocabulary {
    const builder = new VocabularyBuilder(settings, whitespaceOnly, exact);
    for (const text of texts) builder.add(text);
    return builder.build();
  }

  static fromJSON(j: VocabularyJSON): Vocabulary {
    const malformed = () => new Error('tokenizer data is malformed');
    if (!j || !Array.isArray(j.tokens) || j.tokens.length < SPECIALS.length || (j.kind !== 'char' && j.kind !== 'word' && j.kind !== 'subword')) {
      throw malformed();
    }
    if (!j.tokens.every((t) => typeof t === 'string' && t.length > 0)) throw malformed();
    if (j.kind !== 'subword') return new Vocabulary(j.kind, !!j.lowercase, j.tokens, !!j.whitespaceOnly, [], !!j.exact);
    if (!Array.isArray(j.merges)) throw malformed();
    // Each merge joins two pieces the vocabulary has into a piece it has.
    const known = new Set(j.tokens);
    const specials = new Set<string>(SPECIALS);
    for (const m of j.merges) {
      if (!Array.isArray(m) || m.length !== 2 || typeof m[0] !== 'string' || typeof m[1] !== 'string' || !m[0] || !m[1]) throw malformed();
      if (!known.has(m[0]) || !known.has(m[1]) || !known.has(m[0] + m[1]) || specials.has(m[0] + m[1])) throw malformed();
    }
    return new Vocabulary('subword', !!j.lowercase, j.tokens, false, j.merges.map(([a, b]) => [a, b] as Merge), !!j.exact);
  }

  toJSON(): VocabularyJSON {
    const j: VocabularyJSON = { kind: this.kind, lowercase: this.lowercase, whitespaceOnly: this.whitespaceOnly, tokens: this.tokens };
    if (this.kind === 'subword') j.merges = this.merges.map(([a, b]) => [a, b]);
    if (this.exact) j.exact = true;
    return j;
  }

  tokenize(text: string): string[] {
    const t = this.lowercase ? text.toLowerCase() : text;
    if (this.kind === 'char') return Array.from(t);
    if (this.bpe) {
      const out: string[] = [];
      const segments = this.exact ? exactSegments(t) : t.split(/\s+/).filter(Boolean).map((w) => WORD_START + w);
      for (const w of segments) for (const p of this.bpe.encodeWord(w)) out.push(p);
      return out;
    }
    if (this.exact) return t.match(EXACT_WORD_RE) ?? [];
    if (this.whitespaceOnly) return t.split(/\s+/).filter(Boolean);
    return t.match(WORD_RE) ?? [];
  }

  /** Token ids; unknown tokens, and text spelling a special token, are <unk>. */
  encode(text: string): number[] {
    return this.tokenize(text).map((tok) => {
      const id = this.index.get(tok);
      return id === undefined || id < SPECIALS.length ? UNK : id;
    });
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

  /** The text of one token as it stands in running text (exact vocabularies: decoding is joining these). */
  tokenText(token: string): string {
    return this.kind === 'subword' && !this.exact ? token.replace(/\u2581/g, ' ') : token;
  }

  detokenize(tokens: string[]): string {
    if (this.kind === 'char') return tokens.join('');
    if (this.exact) return tokens.map((t) => this.tokenText(t)).join('');
    if (this.kind === 'subword') return tokens.join('').replace(/\u2581/g, ' ').replace(/^ /, '');
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
 * Counts what a vocabulary is built from, one text at a time (so texts need not be held together:
 * a generation corpus is added file by file), then builds it: the most frequent tokens (ties by
 * first appearance), or for subwords byte-pair encoding, where `maxVocab` counts the specials, the
 * base characters and the merged pieces; every character seen is kept unless that alone would pass
 * the budget (then the most frequent), and pairs seen only once are never merged, so the vocabulary
 * can stay below the budget.
 */
export class VocabularyBuilder {
  private readonly counts = new Map<string, number>();
  private readonly probe: Vocabulary;

  constructor(private readonly settings: TokenizerSettings, private readonly whitespaceOnly = false, private readonly exact = false) {
    this.probe = new Vocabulary(settings.kind, settings.lowercase, [...SPECIALS], whitespaceOnly && !exact, [], exact);
  }

  add(text: string): void {
    const counts = this.counts;
    if (this.settings.kind === 'subword') {
      const t = this.settings.lowercase ? text.toLowerCase() : text;
      const segments = this.exact ? exactSegments(t) : t.split(/\s+/).filter(Boolean).map((w) => WORD_START + w);
      for (const w of segments) counts.set(w, (counts.get(w) ?? 0) + 1);
      return;
    }
    // A text's own "<s>" or "</s>" is not the special token (it would end or start a sequence).
    for (const tok of this.probe.tokenize(text)) if (!SPECIAL_SET.has(tok)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
  }

  build(): Vocabulary {
    const { settings, exact } = this;
    if (settings.kind === 'subword') {
      const model = learnBpe(this.counts, { maxPieces: Math.max(0, settings.maxVocab - SPECIALS.length), forbidden: SPECIAL_SET });
      return new Vocabulary('subword', settings.lowercase, [...SPECIALS, ...model.alphabet, ...model.pieces], false, model.merges, exact);
    }
    const ranked = [...this.counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, Math.max(0, settings.maxVocab - SPECIALS.length));
    return new Vocabulary(settings.kind, settings.lowercase, [...SPECIALS, ...ranked.map(([t]) => t)], this.whitespaceOnly && !exact, [], exact);
  }
}

const SPECIAL_SET: ReadonlySet<string> = new Set<string>(SPECIALS);

/**
 * Picks the tokeniser kind for one side from its texts: short symbol sequences separated by spaces
 * (phonemes, tags: a small set of distinct fields) are word level; other text is character level,
 * which suits small data and never meets an unknown word.
 */
/** Natural-language sides of at least this many pairs are split into learned subwords by default. */
export const SUBWORD_MIN_PAIRS = 10000;
/** Pieces in an automatically chosen subword vocabulary (and whenever --vocab is not given for one). */
export const DEFAULT_SUBWORD_VOCAB = 4000;

/**
 * The default tokeniser of one side: `detectTokenizerKind`'s choice, except that mostly multi-word
 * natural-language text with enough pairs (`SUBWORD_MIN_PAIRS`) gets subwords: short sequences
 * without unknown words, where characters would make sequences ~4x longer and words leave many
 * rare ones unknown. Single words (G2P sources) and small data stay at character level.
 */
export function chooseTokenizerKind(texts: string[], pairs: number): TokenizerKind {
  const detected = detectTokenizerKind(texts);
  if (detected.kind !== 'char' || pairs < SUBWORD_MIN_PAIRS || !texts.length) return detected.kind;
  const multiWord = texts.filter((t) => /\S\s+\S/.test(t)).length / texts.length;
  return multiWord > 0.5 ? 'subword' : 'char';
}

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
