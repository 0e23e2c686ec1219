/** How to turn a trained model's probabilities into output text: one options record for every strategy. */
export type DecodeStrategy = 'greedy' | 'beam' | 'sample';

export interface DecodeOptions {
  strategy: DecodeStrategy;
  /** Beam width (beam search). */
  beamSize: number;
  /** Length penalty exponent alpha (GNMT): score / ((5 + len) / 6)^alpha. 0 = none. */
  lengthPenalty: number;
  /** Hypotheses returned per input (beam: up to beamSize; sample: independent samples). */
  nBest: number;
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  seed: number;
  /** Longest output in target tokens. */
  maxLength: number;
  /** Whether each hypothesis carries the attention weights its tokens were produced with (Hypothesis.attention): the attention view asks. */
  attention: boolean;
  /** Sampling: log-probabilities of tokens already in the context are multiplied by this (1 = off; above 1 repeats less). */
  repetitionPenalty: number;
}

/** Most tokens one generate request may ask for (the CLI's --max-tokens, the worker's maxTokens, the setting). */
export const MAX_GENERATE_TOKENS = 100_000;

/**
 * The one set of decoding defaults: the CLI, Translate Selection and Generate Text all start from
 * it, and package.json's `seq2seq.decoding.*` defaults equal it (test/unit/settingsDefaults.test.ts).
 * Sampling is a little cooled (temperature 0.8, nucleus 0.95): text reads better than at 1 / 1.
 */
export const DEFAULT_DECODE: DecodeOptions = {
  strategy: 'greedy', beamSize: 5, lengthPenalty: 0.6, nBest: 1, temperature: 0.8, topK: 0, topP: 0.95, seed: 0, maxLength: 100, attention: false,
  repetitionPenalty: 1,
};

/** When text generation stops (besides the end of the text, which the model writes as </s>, and cancellation). */
export interface GenerateLimits {
  /** Most tokens to add (always bounded: 1 to MAX_GENERATE_TOKENS). */
  maxTokens: number;
  /** Stop after this many line ends (0 = no line limit). */
  maxLines: number;
  /** Stop at the first blank (empty or white-space) line written; the text ends with the line end before it. */
  stopAtBlankLine: boolean;
}

/** The one set of generation limits: the CLI's flags, the worker's request and package.json's `seq2seq.generate.*` defaults. */
export const DEFAULT_GENERATE: GenerateLimits = { maxTokens: 200, maxLines: 0, stopAtBlankLine: false };

/** Tokens Generate Text adds when not told otherwise. */
export const DEFAULT_GENERATE_TOKENS = DEFAULT_GENERATE.maxTokens;
/** Most line ends one generate request may ask for. */
export const MAX_GENERATE_LINES = 100_000;
/** Most characters of prompt a generate request carries (the model sees its last window of tokens). */
export const MAX_PROMPT_CHARS = 100_000;

export interface Hypothesis {
  text: string;
  tokens: string[];
  /** Sum of log-probabilities of the tokens including </s>. */
  logProb: number;
  /** The score the search ranked by (log-prob with length penalty for beam). */
  score: number;
  /** With DecodeOptions.attention, for models with attention: which input tokens each output token attended to. */
  attention?: AttentionMap;
}

/**
 * The alignment of a hypothesis's output tokens (rows) with its input's tokens (columns): the
 * cross-attention weights of the decoding steps that produced them. Every row sums to 1.
 */
export interface AttentionMap {
  /** The input's tokens as the encoder read them (columns). */
  source: string[];
  /** The output's tokens, `</s>` included when it was produced (rows). */
  target: string[];
  /** weights[t][s]: the recurrent model's attention; the Transformer's heads of its last decoder layer, averaged. */
  weights: number[][];
  /** The Transformer's heads one by one (layer and head numbered from 0); empty for the recurrent model. */
  heads: AttentionHead[];
}

export interface AttentionHead { layer: number; head: number; weights: number[][] }

export function generateLimitErrors(l: GenerateLimits): string[] {
  const e: string[] = [];
  if (!Number.isInteger(l.maxTokens) || l.maxTokens < 1 || l.maxTokens > MAX_GENERATE_TOKENS) e.push(`maxTokens must be a whole number from 1 to ${MAX_GENERATE_TOKENS} (got ${l.maxTokens})`);
  if (!Number.isInteger(l.maxLines) || l.maxLines < 0 || l.maxLines > MAX_GENERATE_LINES) e.push(`maxLines must be a whole number from 0 to ${MAX_GENERATE_LINES} (got ${l.maxLines})`);
  if (typeof l.stopAtBlankLine !== 'boolean') e.push(`stopAtBlankLine must be true or false (got ${String(l.stopAtBlankLine)})`);
  return e;
}

export function decodeOptionErrors(o: DecodeOptions): string[] {
  const e: string[] = [];
  if (!['greedy', 'beam', 'sample'].includes(o.strategy)) e.push(`strategy must be greedy, beam or sample (got ${o.strategy})`);
  if (!Number.isInteger(o.beamSize) || o.beamSize < 1 || o.beamSize > 64) e.push(`beamSize must be 1-64 (got ${o.beamSize})`);
  if (!(o.lengthPenalty >= 0 && o.lengthPenalty <= 5)) e.push(`lengthPenalty must be 0-5 (got ${o.lengthPenalty})`);
  if (!Number.isInteger(o.nBest) || o.nBest < 1 || o.nBest > 64) e.push(`nBest must be 1-64 (got ${o.nBest})`);
  if (!(o.temperature >= 0 && o.temperature <= 100)) e.push(`temperature must be 0-100 (got ${o.temperature})`);
  if (!Number.isInteger(o.topK) || o.topK < 0) e.push(`topK must be a whole number >= 0 (got ${o.topK})`);
  if (!(o.topP > 0 && o.topP <= 1)) e.push(`topP must be above 0 and at most 1 (got ${o.topP})`);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 1 || o.maxLength > 10000) e.push(`maxLength must be 1-10000 (got ${o.maxLength})`);
  if (typeof o.attention !== 'boolean') e.push(`attention must be true or false (got ${o.attention})`);
  if (!(o.repetitionPenalty >= 1 && o.repetitionPenalty <= 10)) e.push(`repetitionPenalty must be 1-10 (got ${o.repetitionPenalty})`);
  return e;
}
