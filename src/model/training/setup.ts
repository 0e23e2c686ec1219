/**
 * Everything a training run needs before its first step: the data read and encoded, the settings
 * (resolved from the data for a new run, kept from config.json when resuming), the model and
 * optimizer (fresh, or restored from the checkpoint) and the progress to continue from.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_SETTINGS, mergeSettings, validateSettings, type Seq2SeqSettings, type TaskKind } from '../config';
import { DataError, readPairs, splitDev, type Example, type Pair } from '../data/data';
import type { Vocabulary } from '../data/tokenizer';
import { buildTextVocabulary, corpusReport, splitCorpus, textExamples } from '../generation/generationData';
import { Seq2SeqModel } from '../network/seq2seq';
import { FILES, readConfig, readMetrics, type MetricsFile, type ModelConfigFile } from '../storage/modelFolder';
import { loadCheckpoint, type CheckpointProgress, type SaveInfo } from '../storage/store';
import { abandonModelDir, planModelDir, type ModelDirPlan } from '../storage/modelFolderSwap';
import type { DataReport, SkippedLine } from './events';
import { Adam, adamSettings, FORMAT1_ADAM } from './optimizer';
import type { TrainOptions } from './options';
import { resolveSettings, resolveTextSettings, textProfile, textSide } from './settingsFromData';
import { buildVocabularies, devMetricKind, encodeExamples, type DevMetricKind } from './encodeData';

export { encodeExamples, type DevMetricKind };

export interface RunSetup {
  /** The model folder (as events and messages name it). */
  modelDir: string;
  /** Where the run writes: the folder itself, or a staging sibling until its first complete save. */
  plan: ModelDirPlan;
  resuming: boolean;
  task: TaskKind;
  dataFile: string;
  devFile?: string;
  settings: Seq2SeqSettings;
  model: Seq2SeqModel;
  optimizer: Adam;
  progress: CheckpointProgress;
  examples: Example[];
  devExamples: Example[];
  /** The dev pairs that survived the length filter (decoded for BLEU/PER after each epoch). */
  devKept: Pair[];
  report: DataReport;
  devMetric: DevMetricKind;
  saveInfo: SaveInfo;
  metricsFile: MetricsFile;
}

export function freshProgress(lr: number): CheckpointProgress {
  return { epoch: 0, step: 0, stepInEpoch: 0, optimizerStep: 0, lr, bestScore: null, plateauBest: null, badEpochs: 0, lrBadEpochs: 0, elapsedMs: 0 };
}

export async function prepareRun(opts: TrainOptions): Promise<RunSetup> {
  const modelDir = resolve(opts.modelDir);
  const resuming = opts.resume && existsSync(join(modelDir, FILES.checkpointDir, FILES.checkpointState));
  if (opts.resume && !resuming) throw new DataError(`${modelDir}: there is no checkpoint to resume from`);
  // Before any data is read: a folder that cannot be written, or a model that may not be replaced, fails at once.
  // Omitted means yes for now: the extension asks its modal question before it sends a run into an existing model.
  const plan = planModelDir(modelDir, { resume: resuming, overwrite: opts.overwrite === true });
  try {
    return await prepareIn(opts, modelDir, resuming, plan);
  } catch (e) {
    abandonModelDir(plan);
    throw e;
  }
}

async function prepareIn(opts: TrainOptions, modelDir: string, resuming: boolean, plan: ModelDirPlan): Promise<RunSetup> {
  const previous = resuming ? readConfig(modelDir) : null;
  const task = opts.task ?? previous?.task ?? 'pairs';
  const dataFile = resolve(opts.dataFile || previous?.dataFile || '');
  const devFile = opts.devFile ? resolve(opts.devFile) : previous?.devFile;

  if (task === 'generate') return prepareText(opts, modelDir, resuming, plan, previous, dataFile, devFile);
  const read = await readPairs(dataFile);
  const settings = previous ? resumedSettings(previous, opts) : resolveSettings(read.pairs, opts.preset ?? 'balanced', opts.settings);
  let trainPairs = read.pairs;
  let devPairs: Pair[] = [];
  if (devFile) devPairs = (await readPairs(devFile)).pairs;
  else ({ train: trainPairs, dev: devPairs } = splitDev(read.pairs, settings.train.devFraction, settings.train.seed));

  const { model, optimizer, progress } = modelAndOptimizer(modelDir, resuming, settings,
    () => buildVocabularies(trainPairs, settings));
  const lengthSkips: SkippedLine[] = [];
  const examples = encodeExamples(trainPairs, model.source, model.target, settings.train.maxLen, lengthSkips);
  const devExamples = encodeExamples(devPairs, model.source, model.target, settings.train.maxLen, []);
  const devKeptLines = new Set(devExamples.map((e) => e.line));
  if (examples.length === 0) {
    model.dispose();
    throw new DataError(`${dataFile}: every pair is longer than maxLen ${settings.train.maxLen} tokens; raise maxLen`, dataFile, lengthSkips[0]?.line);
  }
  const report: DataReport = {
    ...read.report,
    pairs: examples.length,
    skipped: read.report.skipped + lengthSkips.length,
    skippedLines: [...read.report.skippedLines, ...lengthSkips].sort((a, b) => a.line - b.line).slice(0, 20),
  };
  const devMetric = devMetricKind(model.target, task, trainPairs);
  const saveInfo: SaveInfo = {
    config: { task, devMetric, dataFile, devFile, trainPairs: examples.length, createdAt: previous?.createdAt ?? new Date().toISOString() },
  };
  const emptyMetrics: MetricsFile = { history: [], best: null, steps: 0, elapsedMs: 0 };
  const metricsFile = resuming ? (readMetrics(modelDir) ?? emptyMetrics) : emptyMetrics;
  return {
    modelDir, plan, resuming, task, dataFile, devFile, settings, model, optimizer, progress, examples, devExamples,
    devKept: devPairs.filter((p) => devKeptLines.has(p.line)), report, devMetric, saveInfo, metricsFile,
  };
}

/** The model and optimizer: fresh from the vocabularies, or restored from the checkpoint. */
function modelAndOptimizer(modelDir: string, resuming: boolean, settings: Seq2SeqSettings, vocabularies: () => [Vocabulary, Vocabulary]): { model: Seq2SeqModel; optimizer: Adam; progress: CheckpointProgress } {
  const optimizer = new Adam(settings.train.lr, adamSettings(settings.train));
  if (!resuming) return { model: Seq2SeqModel.create(settings, ...vocabularies()), optimizer, progress: freshProgress(settings.train.lr) };
  const ck = loadCheckpoint(modelDir);
  optimizer.restore(ck.state.optimizerStep, ck.optimizer);
  // The checkpoint's Adam constants and schedule, not today's settings: resume continues exactly.
  optimizer.settings = ck.state.adam ?? FORMAT1_ADAM;
  const progress = { ...ck.state };
  optimizer.lr = progress.lr;
  return { model: ck.model, optimizer, progress };
}

/**
 * Text generation: the corpus split by file, one exact vocabulary from the training text, and the
 * window pairs of both parts (src/model/generation). A resumed run re-reads the same split.
 */
async function prepareText(
  opts: TrainOptions, modelDir: string, resuming: boolean, plan: ModelDirPlan, previous: ModelConfigFile | null, dataFile: string, devFile: string | undefined,
): Promise<RunSetup> {
  const early = previous?.settings.train ?? mergeSettings(DEFAULT_SETTINGS, opts.settings).train;
  const split = await splitCorpus(dataFile, devFile, early.devFraction, early.seed);
  let settings: Seq2SeqSettings;
  let vocab: Vocabulary | null = null;
  if (previous) settings = resumedSettings(previous, opts);
  else {
    const side = textSide(opts.settings);
    vocab = await buildTextVocabulary(split.train, side);
    const window = opts.settings?.train?.window ?? DEFAULT_SETTINGS.train.window;
    const chunk = opts.settings?.train?.chunk ?? DEFAULT_SETTINGS.train.chunk;
    const chars = split.train.reduce((n, p) => n + p.source.chars, 0);
    settings = resolveTextSettings(textProfile(Math.ceil(chars / chunk), vocab.size, window, chunk), side, opts.preset ?? 'balanced', opts.settings);
  }
  const { model, optimizer, progress } = modelAndOptimizer(modelDir, resuming, settings, () => [vocab!, vocab!]);
  const { window, chunk } = settings.train;
  const train = await textExamples(split.train, model.target, window, chunk);
  const dev = await textExamples(split.dev, model.target, window, chunk, true);
  if (train.examples.length === 0) {
    model.dispose();
    throw new DataError(`${dataFile}: no text to learn from`, dataFile);
  }
  const report = corpusReport(split, train.examples.length);
  const saveInfo: SaveInfo = {
    config: { task: 'generate', devMetric: 'bleu', dataFile, devFile, trainPairs: train.examples.length, createdAt: previous?.createdAt ?? new Date().toISOString() },
  };
  const emptyMetrics: MetricsFile = { history: [], best: null, steps: 0, elapsedMs: 0 };
  const metricsFile = resuming ? (readMetrics(modelDir) ?? emptyMetrics) : emptyMetrics;
  return {
    modelDir, plan, resuming, task: 'generate', dataFile, devFile, settings, model, optimizer, progress,
    examples: train.examples, devExamples: dev.examples, devKept: dev.pairs, report, devMetric: 'bleu', saveInfo, metricsFile,
  };
}

/** A resumed run keeps its architecture; only the budget (epochs, minutes) may change. */
function resumedSettings(previous: ModelConfigFile, opts: TrainOptions): Seq2SeqSettings {
  return validateSettings(mergeSettings(previous.settings, { train: { epochs: opts.settings?.train?.epochs, minutes: opts.settings?.train?.minutes } }));
}
