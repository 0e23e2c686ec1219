/**
 * Model and training configuration: one typed record with defaults, presets chosen from the data,
 * and validation that fails early with a clear message. Parsed once at the edge (CLI flags, the
 * panel's form, a model folder's config.json) and passed in; never re-read deep inside.
 */

/** The network: recurrent encoder-decoder (LSTM / GRU, optional attention) or Transformer. */
export type ArchKind = 'rnn' | 'transformer';
export type CellKind = 'lstm' | 'gru';
export type AttentionKind = 'none' | 'luong' | 'bahdanau';
export type TokenizerKind = 'char' | 'word' | 'subword';
export type PresetName = 'fast' | 'balanced' | 'accurate';
export type PositionKind = 'sinusoidal' | 'learned';
export type ActivationKind = 'relu' | 'gelu';
export type LrScheduleKind = 'constant' | 'inverse-sqrt';
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
  arch: ArchKind;
  // ---- rnn ----
  cell: CellKind;
  /** Encoder and decoder layers, 1-4. */
  layers: number;
  bidirectional: boolean;
  emb: number;
  hidden: number;
  attention: AttentionKind;
  /** rnn: on the embeddings and between layers; transformer: residual dropout (embeddings and every sub-layer's output). */
  dropout: number;
  // ---- transformer ----
  /** Width of every position's vector. */
  dModel: number;
  /** Attention heads; must divide dModel. */
  heads: number;
  /** Inner width of the feed-forward blocks. */
  ff: number;
  encLayers: number;
  decLayers: number;
  /** Dropout on the attention weights. */
  attentionDropout: number;
  positions: PositionKind;
  /** Rows of the learned position table (positions: learned); later positions reuse the last row. */
  maxPositions: number;
  /** The target embedding is also the output projection (transposed). */
  tieEmbeddings: boolean;
  /**
   * One vocabulary learned from both sides' texts (the target side's tokeniser settings) and one
   * embedding for the encoder, the decoder and (tied) the output, as in Press & Wolf (2017).
   */
  sharedVocab: boolean;
  activation: ActivationKind;
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
  /** constant: lr throughout (halved on plateaus); inverse-sqrt: linear warm-up to lr over warmupSteps, then lr * sqrt(warmupSteps / step). */
  lrSchedule: LrScheduleKind;
  warmupSteps: number;
  adamBeta1: number;
  adamBeta2: number;
  /** Text generation: tokens of preceding text a pair's source holds (the context the model continues from). */
  window: number;
  /** Text generation: tokens of the continuation each pair's target holds (generation writes chunk by chunk). */
  chunk: number;
  /**
   * With a time budget (minutes > 0): the share of it, at its end, over which the learning rate falls
   * linearly to 0 (0 = off). Ending a deadline at a low rate rather than at the peak is what budgeted
   * training needs (Li et al., "Budget-Aware Training", ICLR 2020).
   */
  budgetDecay: number;
}

export interface Seq2SeqSettings {
  model: ModelSettings;
  train: TrainSettings;
  source: TokenizerSettings;
  target: TokenizerSettings;
}

export const DEFAULT_SETTINGS: Seq2SeqSettings = {
  model: {
    arch: 'rnn', cell: 'lstm', layers: 1, bidirectional: true, emb: 64, hidden: 256, attention: 'luong', dropout: 0.1,
    dModel: 256, heads: 4, ff: 1024, encLayers: 3, decLayers: 3, attentionDropout: 0.1, positions: 'sinusoidal', maxPositions: 256,
    tieEmbeddings: true, sharedVocab: false, activation: 'relu',
  },
  train: {
    batch: 64, lr: 0.002, epochs: 30, minutes: 0, clipNorm: 5, labelSmoothing: 0, patience: 5, lrPatience: 2,
    seed: 1, devFraction: 0.05, maxLen: 64, logEvery: 10, lrSchedule: 'constant', warmupSteps: 0, adamBeta1: 0.9, adamBeta2: 0.999,
    window: 128, chunk: 128,
    budgetDecay: 0.3,
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

/** The fields of `o` that are set. */
export function dropUndefined<T extends object>(o: T | undefined): Partial<T> {
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
 * embeddings; long sequences get attention. `fast` aims at minutes, `accurate` at hours. The
 * architecture is the given one, else the one chooseArchitecture picks from the data.
 */
export function presetOverrides(preset: PresetName, data: DataProfile, arch: ArchKind = chooseArchitecture(data), task: TaskKind = 'pairs'): SettingsOverrides {
  // Long enough for nearly every pair (95th percentile with room to spare), short enough to keep steps fast.
  const maxLen = clamp(Math.ceil(Math.max(data.sourceLen95, data.targetLen95) * 1.6), 32, 400);
  const dataScale = data.pairs < 2000 ? 0.5 : data.pairs < 20000 ? 1 : data.pairs < 200000 ? 1.5 : 2;
  return arch === 'transformer' ? transformerPreset(preset, dataScale, maxLen, data.pairs) : rnnPreset(preset, data, dataScale, maxLen, task);
}

/**
 * Text generation trains the recurrent model on batches of 16 windows at twice the preset's rate:
 * a window is 128 + 128 tokens, so 16 of them are already 2,000 target tokens, and minutes of
 * training leave it far from converged, where more, smaller updates pay (measured against batch
 * 64 and 32 and the preset's own rate: README "Generation, measured").
 */
const TEXT_BATCH = 16;
const TEXT_LR_FACTOR = 2;

function rnnPreset(preset: PresetName, data: DataProfile, dataScale: number, maxLen: number, task: TaskKind): SettingsOverrides {
  const vocab = Math.max(data.sourceVocab, data.targetVocab);
  const embFor = (base: number) => clamp(roundTo(base * Math.max(1, Math.log2(vocab) / 6), 16), 32, 512);
  const hiddenFor = (base: number) => clamp(roundTo(base * dataScale, 32), 64, 1024);
  // Small data overfits: the fewer the pairs, the more dropout and label smoothing, and smaller
  // batches give more updates per epoch. From 20,000 pairs on, the presets' own values.
  const extraDropout = data.pairs < 3000 ? 0.3 : data.pairs < 10000 ? 0.2 : data.pairs < 20000 ? 0.1 : 0;
  const dropoutFor = (base: number) => Math.min(0.5, Math.round((base + extraDropout) * 100) / 100);
  const labelSmoothing = data.pairs < 20000 ? 0.1 : 0;
  const text = task === 'generate';
  const batch = text ? TEXT_BATCH : data.pairs < 10000 ? 32 : 64;
  const lr = (base: number) => (text ? base * TEXT_LR_FACTOR : base);
  const train = { lrSchedule: 'constant', warmupSteps: 0, adamBeta1: 0.9, adamBeta2: 0.999, labelSmoothing, maxLen, batch } as const;
  switch (preset) {
    case 'fast':
      return {
        model: { arch: 'rnn', layers: 1, bidirectional: false, emb: embFor(32), hidden: hiddenFor(128), attention: 'luong', dropout: dropoutFor(0) },
        train: { ...train, lr: lr(0.003), epochs: 10 },
      };
    case 'balanced':
      return {
        model: { arch: 'rnn', layers: 1, bidirectional: true, emb: embFor(64), hidden: hiddenFor(192), attention: 'luong', dropout: dropoutFor(0.1) },
        train: { ...train, lr: lr(0.002), epochs: 30 },
      };
    case 'accurate':
      return {
        model: { arch: 'rnn', layers: 2, bidirectional: true, emb: embFor(96), hidden: hiddenFor(256), attention: 'luong', dropout: dropoutFor(0.2) },
        train: { ...train, lr: lr(0.0015), epochs: 60 },
      };
  }
}

/**
 * Transformer sizes: pre-LayerNorm blocks, tied target embedding, label smoothing 0.1, Adam betas
 * (0.9, 0.98) and a warm-up then inverse-square-root learning rate, as Transformers are trained.
 */
function transformerPreset(preset: PresetName, dataScale: number, maxLen: number, pairs: number): SettingsOverrides {
  // Warm-up at most one epoch: on small or slow (long-sequence) data a fixed 1,000 steps can be a whole
  // time budget (10 minutes of 150-letter strings gave 626 steps, all at a rising rate).
  const warmup = (base: number) => Math.min(base, Math.max(100, Math.round(pairs / 64)));
  // Width is what a CPU pays for (a step costs about d^2); small data gets a narrower model.
  const d = (base: number) => (dataScale < 1 ? Math.max(64, base / 2) : base);
  const train = { lrSchedule: 'inverse-sqrt', adamBeta1: 0.9, adamBeta2: 0.98, labelSmoothing: 0.1, maxLen } as const;
  const model = { arch: 'transformer', positions: 'sinusoidal', tieEmbeddings: true, activation: 'relu', maxPositions: Math.max(256, maxLen + 2) } as const;
  // From 20,000 pairs on, minutes of training are far from overfitting: dropout only slows learning
  // (FreeDict, 10 minutes side by side: 0.1 -> 0 gained 0.8 BLEU; README "Which architecture the presets choose").
  const dropoutFor = (base: number) => (pairs >= 20000 ? 0 : base);
  const sized = (width: number, layers: number, dropout: number, decLayers = layers) => ({
    ...model, dModel: width, heads: 4, ff: 4 * width, encLayers: layers, decLayers, dropout, attentionDropout: dropout,
  });
  switch (preset) {
    case 'fast':
      // One decoder layer: a quarter more steps, nearly level with 2 + 2 (FreeDict, same comparison).
      return { model: sized(d(128), 2, dropoutFor(0.1), 1), train: { ...train, batch: 64, lr: 0.002, warmupSteps: warmup(800), epochs: 10 } };
    case 'balanced':
      // 2 + 2 layers at 0.003 rather than 3 + 3 at 0.002: more steps in the same minutes, and ahead at each (same comparison).
      return { model: sized(d(128), 2, dropoutFor(0.1)), train: { ...train, batch: 64, lr: 0.003, warmupSteps: warmup(1000), epochs: 30 } };
    case 'accurate':
      return { model: sized(d(256), 4, 0.2), train: { ...train, batch: 64, lr: 0.001, warmupSteps: warmup(2000), epochs: 60 } };
  }
}

/**
 * The architecture a preset trains when none is given, from the data. Measured rule: see README
 * ("Which architecture the presets choose").
 */
export function chooseArchitecture(data: DataProfile, task: TaskKind = 'pairs'): ArchKind {
  void data;
  // Both tasks measured: for text generation too (Python source, equal minutes) the LSTM made about
  // twice the Transformer's steps and was ahead per character.
  void task;
  return 'rnn';
}

/** One line naming the architecture and its sizes, for model lists, logs and the panel. */
export function describeArchitecture(m: ModelSettings): string {
  if (m.arch === 'transformer') return `Transformer ${m.encLayers}+${m.decLayers} layers, d ${m.dModel}, ${m.heads} heads, ff ${m.ff}`;
  return `${m.cell.toUpperCase()} ${m.layers}×${m.hidden}${m.bidirectional ? ' bi' : ''}${m.attention === 'none' ? '' : ` + ${m.attention}`}, emb ${m.emb}`;
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
  oneOf('model.arch', s.model.arch, ['rnn', 'transformer']);
  oneOf('model.cell', s.model.cell, ['lstm', 'gru']);
  int('model.layers', s.model.layers, 1, 4);
  if (typeof s.model.bidirectional !== 'boolean') errs.push({ field: 'model.bidirectional', message: 'must be true or false' });
  int('model.emb', s.model.emb, 4, 2048);
  int('model.hidden', s.model.hidden, 4, 4096);
  oneOf('model.attention', s.model.attention, ['none', 'luong', 'bahdanau']);
  num('model.dropout', s.model.dropout, 0, 0.9);
  int('model.dModel', s.model.dModel, 8, 4096);
  int('model.heads', s.model.heads, 1, 64);
  if (Number.isInteger(s.model.dModel) && Number.isInteger(s.model.heads) && s.model.heads > 0 && s.model.dModel % s.model.heads !== 0) {
    errs.push({ field: 'model.heads', message: `must divide model.dModel (${s.model.dModel}) into equal heads (got ${s.model.heads})` });
  }
  int('model.ff', s.model.ff, 4, 16384);
  int('model.encLayers', s.model.encLayers, 1, 12);
  int('model.decLayers', s.model.decLayers, 1, 12);
  num('model.attentionDropout', s.model.attentionDropout, 0, 0.9);
  oneOf('model.positions', s.model.positions, ['sinusoidal', 'learned']);
  int('model.maxPositions', s.model.maxPositions, 2, 100000);
  if (s.model.arch === 'transformer' && s.model.positions === 'learned' && s.model.maxPositions < s.train.maxLen + 2) {
    errs.push({ field: 'model.maxPositions', message: `must cover train.maxLen + 2 = ${s.train.maxLen + 2} positions for learned positions (got ${s.model.maxPositions})` });
  }
  if (typeof s.model.tieEmbeddings !== 'boolean') errs.push({ field: 'model.tieEmbeddings', message: 'must be true or false' });
  if (typeof s.model.sharedVocab !== 'boolean') errs.push({ field: 'model.sharedVocab', message: 'must be true or false' });
  else if (s.model.sharedVocab) {
    if (s.model.arch !== 'transformer') errs.push({ field: 'model.sharedVocab', message: 'is a setting of the Transformer (--arch transformer)' });
    else if (s.source.kind !== s.target.kind || s.source.lowercase !== s.target.lowercase || s.source.maxVocab !== s.target.maxVocab) {
      errs.push({ field: 'model.sharedVocab', message: `needs the same tokeniser on both sides (source ${s.source.kind}${s.source.lowercase ? ' lowercased' : ''} ${s.source.maxVocab}, target ${s.target.kind}${s.target.lowercase ? ' lowercased' : ''} ${s.target.maxVocab})` });
    }
  }
  oneOf('model.activation', s.model.activation, ['relu', 'gelu']);
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
  oneOf('train.lrSchedule', s.train.lrSchedule, ['constant', 'inverse-sqrt']);
  int('train.warmupSteps', s.train.warmupSteps, 0, 10000000);
  if (s.train.lrSchedule === 'inverse-sqrt' && s.train.warmupSteps < 1) {
    errs.push({ field: 'train.warmupSteps', message: `must be at least 1 for the inverse-sqrt schedule (got ${s.train.warmupSteps})` });
  }
  num('train.adamBeta1', s.train.adamBeta1, 0, 0.9999);
  num('train.adamBeta2', s.train.adamBeta2, 0, 0.99999);
  int('train.window', s.train.window, 1, 1000);
  int('train.chunk', s.train.chunk, 1, 1000);
  num('train.budgetDecay', s.train.budgetDecay, 0, 1);
  for (const side of ['source', 'target'] as const) {
    oneOf(`${side}.kind`, s[side].kind, ['char', 'word', 'subword']);
    int(`${side}.maxVocab`, s[side].maxVocab, 8, 1000000);
  }
  return errs;
}
