/** Command-line flag parsing shared by the CLI's commands: typed flag readers and the training-settings flags. */
import type { SettingsOverrides } from './model/config';

export class UsageError extends Error {}

export const numberFlag = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  // Number('') and Number(' ') are 0: an empty value is not a number.
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number (got ${JSON.stringify(v)})`);
  return n;
};

/** A whole number from lo to hi, or a UsageError that says so. */
export const wholeFlag = (v: string | undefined, name: string, lo: number, hi: number): number | undefined => {
  const n = numberFlag(v, name);
  if (n !== undefined && (!Number.isInteger(n) || n < lo || n > hi)) throw new UsageError(`--${name} must be a whole number from ${lo} to ${hi} (got ${JSON.stringify(v)})`);
  return n;
};

export const boolFlag = (v: string | undefined, name: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new UsageError(`--${name} needs true or false (got "${v}")`);
};

export function oneOfFlag<T extends string>(v: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${v}")`);
  return v as T;
}

/** The flags that set training settings (`seq2seq train`, `seq2seq export-job`), for parseArgs. */
export const SETTINGS_FLAGS = {
  minutes: { type: 'string' }, epochs: { type: 'string' }, cell: { type: 'string' }, layers: { type: 'string' },
  emb: { type: 'string' }, hidden: { type: 'string' }, attention: { type: 'string' }, bidirectional: { type: 'string' }, dropout: { type: 'string' },
  batch: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, 'label-smoothing': { type: 'string' }, 'max-len': { type: 'string' },
  clip: { type: 'string' }, patience: { type: 'string' }, 'source-tokens': { type: 'string' }, 'target-tokens': { type: 'string' },
  tokens: { type: 'string' }, lowercase: { type: 'boolean' }, vocab: { type: 'string' }, 'log-every': { type: 'string' },
} as const;

type FlagValues = { [K in keyof typeof SETTINGS_FLAGS]?: (typeof SETTINGS_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** Settings overrides from the values of SETTINGS_FLAGS; a bad value is a UsageError naming its flag. */
export function settingsFromFlags(v: FlagValues): SettingsOverrides {
  const KINDS = ['char', 'word', 'subword'] as const;
  const bothKinds = oneOfFlag(v.tokens, 'tokens', KINDS);
  return {
    model: {
      cell: oneOfFlag(v.cell, 'cell', ['lstm', 'gru'] as const), layers: numberFlag(v.layers, 'layers'), emb: numberFlag(v.emb, 'emb'),
      hidden: numberFlag(v.hidden, 'hidden'), attention: oneOfFlag(v.attention, 'attention', ['none', 'luong', 'bahdanau'] as const),
      bidirectional: boolFlag(v.bidirectional, 'bidirectional'), dropout: numberFlag(v.dropout, 'dropout'),
    },
    train: {
      batch: numberFlag(v.batch, 'batch'), lr: numberFlag(v.lr, 'lr'), epochs: numberFlag(v.epochs, 'epochs'), minutes: numberFlag(v.minutes, 'minutes'),
      seed: numberFlag(v.seed, 'seed'), labelSmoothing: numberFlag(v['label-smoothing'], 'label-smoothing'), maxLen: numberFlag(v['max-len'], 'max-len'),
      clipNorm: numberFlag(v.clip, 'clip'), patience: numberFlag(v.patience, 'patience'), logEvery: numberFlag(v['log-every'], 'log-every'),
    },
    source: { kind: oneOfFlag(v['source-tokens'], 'source-tokens', KINDS) ?? bothKinds, lowercase: v.lowercase, maxVocab: numberFlag(v.vocab, 'vocab') },
    target: { kind: oneOfFlag(v['target-tokens'], 'target-tokens', KINDS) ?? bothKinds, lowercase: v.lowercase, maxVocab: numberFlag(v.vocab, 'vocab') },
  };
}
