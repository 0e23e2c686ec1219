/** Command-line flag parsing shared by the CLI's commands: typed flag readers and the training-settings flags. */
import type { ModelSettings, SettingsOverrides, TrainSettings } from './model/config';

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
  // the architecture and the Transformer's settings (archSettings below)
  arch: { type: 'string' }, 'd-model': { type: 'string' }, heads: { type: 'string' }, ff: { type: 'string' },
  'enc-layers': { type: 'string' }, 'dec-layers': { type: 'string' }, 'attention-dropout': { type: 'string' },
  positions: { type: 'string' }, 'max-positions': { type: 'string' }, 'tie-embeddings': { type: 'string' }, 'shared-vocab': { type: 'string' }, activation: { type: 'string' },
  'lr-schedule': { type: 'string' }, warmup: { type: 'string' }, 'adam-beta1': { type: 'string' }, 'adam-beta2': { type: 'string' },
  window: { type: 'string' }, chunk: { type: 'string' },
  'budget-decay': { type: 'string' },
} as const;

export const ARCH_HELP = `  --arch rnn|transformer (default: chosen by the preset from the data; without it, flags of one architecture choose it)
  transformer: --d-model N --heads N --ff N --enc-layers N --dec-layers N --attention-dropout X (--dropout: residual)
               --positions sinusoidal|learned --max-positions N --tie-embeddings true|false --activation relu|gelu
               --shared-vocab true|false (one vocabulary of both sides, one embedding for encoder, decoder and output)
  --lr-schedule constant|inverse-sqrt --warmup N (steps to the peak --lr) --adam-beta1 X --adam-beta2 X`;

type FlagValues = { [K in keyof typeof SETTINGS_FLAGS]?: (typeof SETTINGS_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

/** Settings overrides from the values of SETTINGS_FLAGS; a bad value is a UsageError naming its flag. */
export function settingsFromFlags(v: FlagValues): SettingsOverrides {
  const KINDS = ['char', 'word', 'subword'] as const;
  const bothKinds = oneOfFlag(v.tokens, 'tokens', KINDS);
  const arch = archSettings(v);
  return {
    model: {
      ...arch.model,
      cell: oneOfFlag(v.cell, 'cell', ['lstm', 'gru'] as const), layers: numberFlag(v.layers, 'layers'), emb: numberFlag(v.emb, 'emb'),
      hidden: numberFlag(v.hidden, 'hidden'), attention: oneOfFlag(v.attention, 'attention', ['none', 'luong', 'bahdanau'] as const),
      bidirectional: boolFlag(v.bidirectional, 'bidirectional'), dropout: numberFlag(v.dropout, 'dropout'),
    },
    train: {
      batch: numberFlag(v.batch, 'batch'), lr: numberFlag(v.lr, 'lr'), epochs: numberFlag(v.epochs, 'epochs'), minutes: numberFlag(v.minutes, 'minutes'),
      seed: numberFlag(v.seed, 'seed'), labelSmoothing: numberFlag(v['label-smoothing'], 'label-smoothing'), maxLen: numberFlag(v['max-len'], 'max-len'),
      clipNorm: numberFlag(v.clip, 'clip'), patience: numberFlag(v.patience, 'patience'), logEvery: numberFlag(v['log-every'], 'log-every'),
      window: numberFlag(v.window, 'window'), chunk: numberFlag(v.chunk, 'chunk'),
      budgetDecay: numberFlag(v['budget-decay'], 'budget-decay'),
      ...arch.train,
    },
    source: { kind: oneOfFlag(v['source-tokens'], 'source-tokens', KINDS) ?? bothKinds, lowercase: v.lowercase, maxVocab: numberFlag(v.vocab, 'vocab') },
    target: { kind: oneOfFlag(v['target-tokens'], 'target-tokens', KINDS) ?? bothKinds, lowercase: v.lowercase, maxVocab: numberFlag(v.vocab, 'vocab') },
  };
}

const RNN_ONLY = ['cell', 'layers', 'emb', 'hidden', 'attention', 'bidirectional'] as const;
const TRANSFORMER_ONLY = ['d-model', 'heads', 'ff', 'enc-layers', 'dec-layers', 'attention-dropout', 'positions', 'max-positions', 'tie-embeddings', 'shared-vocab', 'activation'] as const;

/**
 * The architecture and the Transformer's settings. Without --arch, flags that belong to one
 * architecture choose it (--d-model: a Transformer); flags of both, or of the other one, are an error.
 */
function archSettings(v: FlagValues): { model: Partial<ModelSettings>; train: Partial<TrainSettings> } {
  const rnnGiven = RNN_ONLY.filter((f) => v[f] !== undefined);
  const transformerGiven = TRANSFORMER_ONLY.filter((f) => v[f] !== undefined);
  let arch = oneOfFlag(v.arch, 'arch', ['rnn', 'transformer'] as const);
  if (arch === 'transformer' && rnnGiven.length) throw new UsageError(`--${rnnGiven[0]} is a setting of --arch rnn, not of the Transformer`);
  if (arch === 'rnn' && transformerGiven.length) throw new UsageError(`--${transformerGiven[0]} is a setting of --arch transformer, not of the recurrent model`);
  if (!arch && rnnGiven.length && transformerGiven.length) {
    throw new UsageError(`--${rnnGiven[0]} (rnn) and --${transformerGiven[0]} (transformer) belong to different architectures; choose one with --arch`);
  }
  arch ??= transformerGiven.length ? 'transformer' : rnnGiven.length ? 'rnn' : undefined;
  return {
    model: {
      arch, dModel: numberFlag(v['d-model'], 'd-model'), heads: numberFlag(v.heads, 'heads'), ff: numberFlag(v.ff, 'ff'),
      encLayers: numberFlag(v['enc-layers'], 'enc-layers'), decLayers: numberFlag(v['dec-layers'], 'dec-layers'),
      attentionDropout: numberFlag(v['attention-dropout'], 'attention-dropout'), positions: oneOfFlag(v.positions, 'positions', ['sinusoidal', 'learned'] as const),
      maxPositions: numberFlag(v['max-positions'], 'max-positions'), tieEmbeddings: boolFlag(v['tie-embeddings'], 'tie-embeddings'), sharedVocab: boolFlag(v['shared-vocab'], 'shared-vocab'),
      activation: oneOfFlag(v.activation, 'activation', ['relu', 'gelu'] as const),
    },
    train: {
      lrSchedule: oneOfFlag(v['lr-schedule'], 'lr-schedule', ['constant', 'inverse-sqrt'] as const), warmupSteps: numberFlag(v.warmup, 'warmup'),
      adamBeta1: numberFlag(v['adam-beta1'], 'adam-beta1'), adamBeta2: numberFlag(v['adam-beta2'], 'adam-beta2'),
    },
  };
}
