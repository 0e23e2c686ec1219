/**
 * Model and training configuration: one typed record with defaults, presets chosen from the data,
 * and validation that fails early with a clear message. Parsed once at the edge (CLI flags, the
 * panel's form, a model folder's config.json) and passed in; never re-read deep inside.
 */

export type CellKind = 'lstm' | 'gru';
export type AttentionKind = 'none' | 'luong' | 'bahdanau';
export type TokenizerKind = 'char' | 'word' | 'subword';
export type PresetName = 'fast' | 'balanced' | 'accurate';
/** Pairs (translate a source into a target) or text generation (continue a text). */
export type TaskKind = 'pairs' | 'generate';

export interface TokenizerSettings {
  kind: TokenizerKind;
  lowercase: boolean;
  /**
   * Largest vocabulary kept (most frequent tokens); the rest become <unk>. For subword it is the
   * size aimed at, counting the 4 specials, every base character and the learned merged pieces.
   */
  maxVocab: number;
}

export interface ModelSettings {
  cell: CellKind;
  /** Encoder and decoder layers, 1-4. */
  layers: number;
  bidirectional: boolean;
  emb: number;
  hidden: number;
  attention: AttentionKind;
  dropout: number;
}

export interface TrainSettings {
  batch: number;
  lr: number;
  epochs: number;
  /** Time budget in minutes; 0 means no budget. */
  minutes: number;
  clipNorm: number;
  labelSmoothing: number;
  /** Epochs without dev-loss improvement before stopping; 0 disables early stopping. */
  patience: number;
  /** Epochs without dev-loss improvement before the learning rate is halved; 0 disables. */
  lrPatience: number;
  seed: number;
  /** Share of the data held out as dev set when no dev file is given. */
  devFraction: number;
  /** Longest source or target sequence in tokens; longer pairs are skipped and reported. */
  maxLen: number;
  /** Progress event every N steps. */
  logEvery: number;
}

export interface Seq2SeqSettings {
  model: ModelSettings;
  train: TrainSettings;
  source: TokenizerSettings;
  target: TokenizerSettings;
}

export const DEFAULT_SETTINGS: Seq2SeqSettings = {
  model: { cell: 'lstm', layers: 1, bidirectional: true, emb: 64, hidden: 256, attention: 'luong', dropout: 0.1 },
  train: {
    batch: 64, lr: 0.002, epochs: 30, minutes: 0, clipNorm: 5, labelSmoothing: 0, patience: 5, lrPatience: 2,
    seed: 1, devFraction: 0.05, maxLen: 64, logEvery: 10,
  },
  source: { kind: 'char', lowercase: false, maxVocab: 20000 },
  target: { kind: 'char', lowercase: false, maxVocab: 20000 },
};

/** Deep-partial overrides, as given by flags, a preset or a form. */
export type SettingsOverrides = {
  model?: Partial<ModelSettings>;
  train?: Partial<TrainSettings>;
  source?: Partial<TokenizerSettings>;
  target?: Partial<TokenizerSettings>;
};

export function mergeSettings(base: Seq2SeqSettings, ...overrides: (SettingsOverrides | undefined)[]): Seq2SeqSettings {
  const out: Seq2SeqSettings = {
    model: { ...base.model }, train: { ...base.train }, source: { ...base.source }, target: { ...base.target },
  };
  for (const o of overrides) {
    if (!o) continue;
    Object.assign(out.model, dropUndefined(o.model));
    Object.assign(out.train, dropUndefined(o.train));
    Object.assign(out.source, dropUndefined(o.source));
    Object.assign(out.target, dropUndefined(o.target));
  }
  return out;
}

function dropUndefined<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What the presets look at in the data. */
export interface DataProfile {
  pairs: number;
  sourceVocab: number;
  targetVocab: number;
  /** 95th percentile of token lengths. */
  sourceLen95: number;
  targetLen95: number;
}

/**
 * Sizes chosen from the data: our answer to "how do I choose embedding size and LSTM units".
 * Small data gets small models (they overfit less and train faster); large vocabularies get wider
 * embeddings; long sequences get attention. `fast` aims at minutes, `accurate` at hours.
 */
export function presetOverrides(preset: PresetName, data: DataProfile): SettingsOverrides {
  const vocab = Math.max(data.sourceVocab, data.targetVocab);
  const embFor = (base: number) => clamp(roundTo(base * Math.max(1, Math.log2(vocab) / 6), 16), 32, 512);
  const dataScale = data.pairs < 2000 ? 0.5 : data.pairs < 20000 ? 1 : data.pairs < 200000 ? 1.5 : 2;
  const hiddenFor = (base: number) => clamp(roundTo(base * dataScale, 32), 64, 1024);
  // Long enough for nearly every pair (95th percentile with room to spare), short enough to keep steps fast.
  const maxLen = clamp(Math.ceil(Math.max(data.sourceLen95, data.targetLen95) * 1.6), 32, 400);
  // Small data overfits: the fewer the pairs, the more dropout and label smoothing, and smaller
  // batches give more updates per epoch. From 20,000 pairs on, the presets' own values.
  const extraDropout = data.pairs < 3000 ? 0.3 : data.pairs < 10000 ? 0.2 : data.pairs < 20000 ? 0.1 : 0;
  const dropoutFor = (base: number) => Math.min(0.5, Math.round((base + extraDropout) * 100) / 100);
  const labelSmoothing = data.pairs < 20000 ? 0.1 : 0;
  const batch = data.pairs < 10000 ? 32 : 64;
  switch (preset) {
    case 'fast':
      return {
        model: { layers: 1, bidirectional: false, emb: embFor(32), hidden: hiddenFor(128), attention: 'luong', dropout: dropoutFor(0) },
        train: { batch, lr: 0.003, epochs: 10, maxLen, labelSmoothing },
      };
    case 'balanced':
      return {
        model: { layers: 1, bidirectional: true, emb: embFor(64), hidden: hiddenFor(192), attention: 'luong', dropout: dropoutFor(0.1) },
        train: { batch, lr: 0.002, epochs: 30, maxLen, labelSmoothing },
      };
    case 'accurate':
      return {
        model: { layers: 2, bidirectional: true, emb: embFor(96), hidden: hiddenFor(256), attention: 'luong', dropout: dropoutFor(0.2) },
        train: { batch, lr: 0.0015, epochs: 60, maxLen, labelSmoothing },
      };
  }
}

function clamp(x: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, x)); }
function roundTo(x: number, step: number): number { return Math.round(x / step) * step; }

export class SettingsError extends Error {
  constructor(message: string) { super(message); this.name = 'SettingsError'; }
}

/** Throws a SettingsError naming the first bad field, or returns the settings unchanged. */
export function validateSettings(s: Seq2SeqSettings): Seq2SeqSettings {
  const errors = settingsErrors(s);
  if (errors.length) throw new SettingsError(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  return s;
}

export interface SettingsFieldError { field: string; message: string }

/** Every problem with the settings, by field path (`model.hidden`), for forms and flags alike. */
export function settingsErrors(s: Seq2SeqSettings): SettingsFieldError[] {
  const errs: SettingsFieldError[] = [];
  const int = (field: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) errs.push({ field, message: `must be a whole number from ${lo} to ${hi} (got ${v})` });
  };
  const num = (field: string, v: number, lo: number, hi: number, loOpen = false) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (loOpen && v === lo)) {
      errs.push({ field, message: `must be a number ${loOpen ? 'above' : 'from'} ${lo}${loOpen ? ' and at most' : ' to'} ${hi} (got ${v})` });
    }
  };
  const oneOf = (field: string, v: string, allowed: readonly string[]) => {
    if (!allowed.includes(v)) errs.push({ field, message: `must be one of ${allowed.join(', ')} (got ${v})` });
  };
  oneOf('model.cell', s.model.cell, ['lstm', 'gru']);
  int('model.layers', s.model.layers, 1, 4);
  if (typeof s.model.bidirectional !== 'boolean') errs.push({ field: 'model.bidirectional', message: 'must be true or false' });
  int('model.emb', s.model.emb, 4, 2048);
  int('model.hidden', s.model.hidden, 4, 4096);
  oneOf('model.attention', s.model.attention, ['none', 'luong', 'bahdanau']);
  num('model.dropout', s.model.dropout, 0, 0.9);
  int('train.batch', s.train.batch, 1, 4096);
  num('train.lr', s.train.lr, 0, 1, true);
  int('train.epochs', s.train.epochs, 1, 100000);
  num('train.minutes', s.train.minutes, 0, 100000);
  num('train.clipNorm', s.train.clipNorm, 0, 1e6);
  num('train.labelSmoothing', s.train.labelSmoothing, 0, 0.5);
  int('train.patience', s.train.patience, 0, 1000);
  int('train.lrPatience', s.train.lrPatience, 0, 1000);
  int('train.seed', s.train.seed, 0, 2 ** 31 - 1);
  num('train.devFraction', s.train.devFraction, 0, 0.5);
  int('train.maxLen', s.train.maxLen, 2, 1000);
  int('train.logEvery', s.train.logEvery, 1, 100000);
  for (const side of ['source', 'target'] as const) {
    oneOf(`${side}.kind`, s[side].kind, ['char', 'word', 'subword']);
    int(`${side}.maxVocab`, s[side].maxVocab, 8, 1000000);
  }
  return errs;
}
