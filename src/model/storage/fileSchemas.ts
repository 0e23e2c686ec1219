/**
 * The schema of every JSON file in a model folder (config.json, tokenizers.json, model.json,
 * metrics.json, checkpoint/state.json). Ranges of settings come from config.ts's settingsErrors,
 * so a value is judged the same in a folder as in a flag or the panel's form.
 */
import { DEFAULT_SETTINGS, settingsErrors, type Seq2SeqSettings } from '../config';
import { anything, bool, list, nullable, num, obj, oneOf, optional, SchemaIssue, str, tuple, type Schema } from './schema';

const int0 = num({ int: true, min: 0 });

const settingsTypes = obj({
  model: obj({
    arch: str(), cell: str(), layers: num(), bidirectional: bool, emb: num(), hidden: num(), attention: str(), dropout: num(),
    dModel: num(), heads: num(), ff: num(), encLayers: num(), decLayers: num(), attentionDropout: num(), positions: str(),
    maxPositions: num(), tieEmbeddings: bool, sharedVocab: optional(bool), activation: str(),
  }),
  train: obj({
    batch: num(), lr: num(), epochs: num(), minutes: num(), clipNorm: num(), labelSmoothing: num(), patience: num(),
    lrPatience: num(), seed: num(), devFraction: num(), maxLen: num(), logEvery: num(),
    lrSchedule: str(), warmupSteps: num(), adamBeta1: num(), adamBeta2: num(),
    window: optional(num()), chunk: optional(num()),
    budgetDecay: optional(num()),
  }),
  source: obj({ kind: str(), lowercase: bool, maxVocab: num() }),
  target: obj({ kind: str(), lowercase: bool, maxVocab: num() }),
});

/** Settings as saved: every field of the right type, then every value in its range. */
export const settingsSchema: Schema<Seq2SeqSettings> = (v, field) => {
  const s = settingsTypes(v, field) as unknown as Seq2SeqSettings;
  // The generation windows came after format 2: folders without them were trained with the defaults' meaning unused.
  s.train.window ??= DEFAULT_SETTINGS.train.window;
  s.train.chunk ??= DEFAULT_SETTINGS.train.chunk;
  // Folders from before the budget decay trained without it (and resume so).
  s.train.budgetDecay ??= 0;
  // Folders from before the shared vocabulary have one per side.
  s.model.sharedVocab ??= false;
  const errors = settingsErrors(s);
  if (errors.length) {
    const e = errors[0];
    const [section, key] = e.field.split('.');
    const got = (s as unknown as Record<string, Record<string, unknown>>)[section]?.[key];
    throw new SchemaIssue(`${field ? `${field}.` : ''}${e.field}`, e.message.replace(/^must be /, '').replace(/ \(got [^)]*\)$/, ''), got);
  }
  return s;
};

export const configSchema = obj({
  formatVersion: num({ int: true, min: 1 }),
  settings: settingsSchema,
  task: oneOf(['pairs', 'generate'] as const),
  devMetric: oneOf(['bleu', 'per'] as const),
  dataFile: str(),
  devFile: optional(str()),
  trainPairs: int0,
  parameters: int0,
  createdAt: str(),
  updatedAt: str(),
});

export const vocabularySchema = obj({
  kind: oneOf(['char', 'word', 'subword'] as const),
  lowercase: optional(bool),
  whitespaceOnly: optional(bool),
  tokens: list(str(), { min: 4 }),
  merges: optional(list(tuple(str({ nonEmpty: true }), str({ nonEmpty: true })))),
  exact: optional(bool),
});

export const tokenizersSchema = obj({ source: vocabularySchema, target: vocabularySchema });

export const weightSpecSchema = obj({
  name: str({ nonEmpty: true }),
  shape: list(num({ int: true, min: 0, max: 2 ** 31 - 1 }), { max: 8 }),
  dtype: optional(oneOf(['float32'] as const)),
});

export const modelJsonSchema = obj({
  format: optional(str()),
  generatedBy: optional(str()),
  convertedBy: optional(nullable(str())),
  modelTopology: anything,
  userDefinedMetadata: anything,
  weightsManifest: list(obj({ paths: list(str({ nonEmpty: true }), { min: 1 }), weights: list(weightSpecSchema) }), { min: 1 }),
});

export const checkpointStateSchema = obj({
  formatVersion: num({ int: true, min: 1 }),
  epoch: int0,
  step: int0,
  stepInEpoch: int0,
  optimizerStep: int0,
  lr: num({ above: 0, max: 1 }),
  bestScore: nullable(num()),
  plateauBest: nullable(num()),
  badEpochs: int0,
  lrBadEpochs: int0,
  elapsedMs: num({ min: 0 }),
  adam: optional(obj({
    beta1: num({ min: 0, max: 1 }), beta2: num({ min: 0, max: 1 }), epsilon: num({ above: 0 }),
    schedule: obj({ kind: oneOf(['constant', 'inverse-sqrt'] as const), warmupSteps: int0 }),
  })),
  weightsFile: str({ nonEmpty: true }),
  optimizerFile: str({ nonEmpty: true }),
  weightSpecs: list(weightSpecSchema),
  optimizerSpecs: list(weightSpecSchema),
});

export const devMetricsSchema = obj({
  loss: num(), accuracy: num(), perplexity: num(), bleu: num(), chrf: num(), per: num(), wer: num(),
});

export const metricsSchema = obj({
  history: list(obj({ kind: oneOf(['epoch'] as const), epoch: num({ int: true, min: 0 }), dev: nullable(devMetricsSchema) })),
  best: nullable(obj({ epoch: num({ int: true, min: 0 }), dev: nullable(devMetricsSchema) })),
  steps: int0,
  elapsedMs: num({ min: 0 }),
});
