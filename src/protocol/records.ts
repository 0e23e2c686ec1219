/**
 * Checks for the engine's records that messages carry: the training request (the engine's
 * `TrainOptions` as it is), settings overrides, decoding options, training events, model summaries,
 * data profiles and hypotheses. Each is tied to the engine's type, so a field added there must be
 * checked here before the code compiles. Ranges stay the engine's (`settingsErrors`,
 * `decodeOptionErrors`): here only the kind of each value is checked.
 */
import { DEFAULT_SETTINGS, type DataProfile, type PresetName, type Seq2SeqSettings, type SettingsOverrides, type TaskKind } from '../model/config';
import type { AttentionHead, AttentionMap, DecodeOptions, DecodeStrategy, Hypothesis } from '../model/decoding/decodeOptions';
import type { AveragedCheckpoints, DataReport, DevMetrics, TrainEndEvent, TrainEndReason, TrainEpochEvent, TrainEvent, TrainStartEvent, TrainStepEvent } from '../model/training/events';
import type { TrainOptions } from '../model/training/options';
import type { TuneOptions } from '../model/training/tune';
import type { TrialRecord, TrialStatus, TuneEndEvent, TuneEndReason, TuneEvent, TuneRoundEvent, TuneStartEvent, TuneTrialEvent } from '../model/training/tuneEvents';
import type { SearchSpace, SettingValue } from '../model/training/tuneSpace';
import type { ModelSummary } from '../model/storage/modelSummary';
import type { RunPoint, RunRecord } from '../model/storage/runRecord';
import {
  boolean, child, dynamicShape, fail, isObj, list, literal, members, nullable, number, oneOf, optional, ProtocolError, shapeOf, string, union, type Check,
} from './validate';

export const PRESET_NAMES = members<PresetName>({ fast: true, balanced: true, accurate: true });
export const TASK_KINDS = members<TaskKind>({ pairs: true, generate: true });
export const DECODE_STRATEGIES = members<DecodeStrategy>({ greedy: true, beam: true, sample: true });
const DATA_FORMATS = members<DataReport['format']>({ tsv: true, csv: true, jsonl: true, text: true });
const DEV_METRICS = members<ModelSummary['devMetric']>({ bleu: true, per: true });
const END_REASONS = members<TrainEndReason>({ completed: true, stopped: true, 'time-budget': true, 'early-stopping': true, error: true });

const TRIAL_STATUSES = members<TrialStatus>({ waiting: true, running: true, trained: true, finished: true, dropped: true, failed: true, stopped: true });
const TUNE_END_REASONS = members<TuneEndReason>({ completed: true, 'time-budget': true, stopped: true });

export const MAX_PATH = 4096;
const MAX_TEXT = 100_000;

export const path = string({ max: MAX_PATH, nonEmpty: true });
const text = string({ max: MAX_TEXT });
const count = number({ min: 0 });
const name = string({ max: 200 });

/** A check per setting, from the kind of its default: a number stays a number, a string a string. */
function settingChecks(defaults: object, finite: boolean, wrap: (c: Check<unknown>) => Check<unknown>): Record<string, Check<unknown>> {
  return Object.fromEntries(Object.entries(defaults).map(([key, d]) => [
    key, wrap(typeof d === 'number' ? number({ finite }) : typeof d === 'boolean' ? boolean : string({ max: 200 })),
  ]));
}

/** Overrides of one section: any of its settings, nothing else. */
function overridesOf<T extends object>(defaults: T): Check<Partial<T> | undefined> {
  return optional(dynamicShape<Partial<T>>(settingChecks(defaults, true, optional), { strict: true }));
}

/** Settings that came after records were first kept (recorded runs, saved panel state): absent in older ones. */
const LATER_SETTINGS = new Set(['window', 'chunk', 'budgetDecay', 'sharedVocab']);

/** A whole section as the engine reports it (a diverging run may report what it was given). */
function sectionOf<T extends object>(defaults: T): Check<T> {
  const checks = settingChecks(defaults, false, (c) => c);
  for (const key of Object.keys(checks)) if (LATER_SETTINGS.has(key)) checks[key] = optional(checks[key]);
  return dynamicShape<T>(checks, { strict: false });
}

export const settingsOverrides: Check<SettingsOverrides> = shapeOf<SettingsOverrides>({ strict: true })({
  model: overridesOf(DEFAULT_SETTINGS.model),
  train: overridesOf(DEFAULT_SETTINGS.train),
  source: overridesOf(DEFAULT_SETTINGS.source),
  target: overridesOf(DEFAULT_SETTINGS.target),
});

export const decodeOverrides: Check<Partial<DecodeOptions>> = shapeOf<Partial<DecodeOptions>>({ strict: true })({
  strategy: optional(oneOf(DECODE_STRATEGIES)),
  beamSize: optional(number()), lengthPenalty: optional(number()), nBest: optional(number()),
  temperature: optional(number()), topK: optional(number()), topP: optional(number()),
  seed: optional(number()), maxLength: optional(number()), attention: optional(boolean), repetitionPenalty: optional(number()),
});

/** The largest attention map a message carries: tokens on either side, and numbers in all its matrices (the average and the heads). */
export const MAX_ATTENTION_TOKENS = 1000;
export const MAX_ATTENTION_VALUES = 250_000;
const MAX_ATTENTION_HEADS = 256;

/** Whether a map is within the bounds a message may carry (the worker leaves out larger ones). */
export function attentionMapFits(a: AttentionMap): boolean {
  const cells = a.source.length * a.target.length;
  return a.source.length <= MAX_ATTENTION_TOKENS && a.target.length <= MAX_ATTENTION_TOKENS && a.heads.length <= MAX_ATTENTION_HEADS &&
    cells * (1 + a.heads.length) <= MAX_ATTENTION_VALUES;
}

const token = string({ max: 200 });
const tokens = (minimum: number): Check<string[]> => (v, field) => {
  const t = list(token, { max: MAX_ATTENTION_TOKENS })(v, field);
  if (t.length < minimum) fail(field, `a list of 1 to ${MAX_ATTENTION_TOKENS} tokens`, v);
  return t;
};
const weight = number({ min: 0, max: 1 });

/** rows x columns weights, each in [0, 1], each row summing to 1. */
function weightMatrix(rows: number, columns: number): Check<number[][]> {
  return (v, field) => {
    if (!Array.isArray(v) || v.length !== rows) fail(field, `a list of ${rows} rows (one per output token)`, v);
    return v.map((row: unknown, t) => {
      const at = child(field, t);
      if (!Array.isArray(row) || row.length !== columns) fail(at, `a list of ${columns} weights (one per input token)`, row);
      const out = row.map((x: unknown, s) => weight(x, child(at, s)));
      const sum = out.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-3) throw new ProtocolError(`field "${at}" must be weights summing to 1 (got a sum of ${sum})`);
      return out;
    });
  };
}

/** An attention map: tokens on both sides, then matrices of that shape, within the bounds. */
export const attentionMap: Check<AttentionMap> = (v, field) => {
  if (!isObj(v)) fail(field, 'an attention map (an object)', v);
  const source = tokens(1)(v.source, child(field, 'source'));
  const target = tokens(1)(v.target, child(field, 'target'));
  const matrix = weightMatrix(target.length, source.length);
  const heads = list(shapeOf<AttentionHead>()({
    layer: number({ min: 0, max: MAX_ATTENTION_HEADS, integer: true }), head: number({ min: 0, max: MAX_ATTENTION_HEADS, integer: true }), weights: matrix,
  }), { max: MAX_ATTENTION_HEADS });
  const cells = source.length * target.length;
  const headCount = Array.isArray(v.heads) ? v.heads.length : 0;
  if (cells * (1 + headCount) > MAX_ATTENTION_VALUES) {
    throw new ProtocolError(`field "${field}" must hold at most ${MAX_ATTENTION_VALUES} weights (got ${cells} x ${1 + headCount})`);
  }
  return { source, target, weights: matrix(v.weights, child(field, 'weights')), heads: heads(v.heads, child(field, 'heads')) };
};

/** The training request: the engine's options, passed through untouched. */
export const trainOptions: Check<TrainOptions> = shapeOf<TrainOptions>()({
  dataFile: path, devFile: optional(path), modelDir: path,
  preset: optional(oneOf(PRESET_NAMES)), settings: optional(settingsOverrides), resume: boolean,
  task: optional(oneOf(TASK_KINDS)),
  checkpointMinutes: optional(number({ min: 0 })), maxDevDecode: optional(number({ min: 0 })), threads: optional(number({ min: 1 })),
  averageLast: optional(number({ min: 0, integer: true })),
  overwrite: optional(boolean),
});

/** A search space: an object here; the engine checks it field by field (checkSpace) before drawing a trial. */
const searchSpace: Check<SearchSpace> = (v, field) => (isObj(v) ? v as unknown as SearchSpace : fail(field, 'a search space (an object)', v));

/** The tune request: the engine's options, passed through. */
export const tuneOptions: Check<TuneOptions> = shapeOf<TuneOptions>()({
  dataFile: string({ max: MAX_PATH }), devFile: optional(path), outDir: path, minutes: number({ min: 0 }), space: optional(searchSpace),
  seed: optional(number({ min: 0, integer: true })), resume: boolean, task: optional(oneOf(TASK_KINDS)), threads: optional(number({ min: 1 })),
});

const settingValue: Check<SettingValue> = (v, field) => (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : fail(field, 'a number, a string or true/false', v));

/**
 * Checks of the records the engine reports. `metric` is how a measured value is checked: over IPC
 * NaN arrives as NaN (any number); over the webview's JSON it arrives as null.
 */
export function reportChecks(metric: Check<number>) {
  const settings: Check<Seq2SeqSettings> = shapeOf<Seq2SeqSettings>()({
    model: sectionOf(DEFAULT_SETTINGS.model), train: sectionOf(DEFAULT_SETTINGS.train),
    source: sectionOf(DEFAULT_SETTINGS.source), target: sectionOf(DEFAULT_SETTINGS.target),
  });
  const devMetrics: Check<DevMetrics> = shapeOf<DevMetrics>()({
    loss: metric, accuracy: metric, perplexity: metric, bleu: metric, chrf: metric, per: metric, wer: metric,
  });
  const dataReport: Check<DataReport> = shapeOf<DataReport>()({
    file: path, format: oneOf(DATA_FORMATS), pairs: count, skipped: count,
    skippedLines: list(shapeOf<DataReport['skippedLines'][number]>()({ line: count, reason: text }), { max: 10_000 }),
    files: optional(count), ignored: optional(count),
  });
  const devMetric = oneOf(DEV_METRICS);
  const start: Check<TrainStartEvent> = shapeOf<TrainStartEvent>()({
    kind: literal('start'), runId: name, modelDir: path, backend: string({ max: 100 }), threads: optional(count),
    settings, data: dataReport, dev: shapeOf<TrainStartEvent['dev']>()({ pairs: count, file: optional(path) }),
    sourceVocab: count, targetVocab: count, parameters: count, stepsPerEpoch: count,
    resumedFrom: optional(shapeOf<NonNullable<TrainStartEvent['resumedFrom']>>()({ epoch: count, step: count })), devMetric,
  });
  const step: Check<TrainStepEvent> = shapeOf<TrainStepEvent>()({
    kind: literal('step'), epoch: count, step: count, stepInEpoch: metric, stepsPerEpoch: metric, loss: metric, accuracy: metric,
    lr: metric, samplesPerSec: metric, targetTokensPerSec: metric, elapsedMs: metric, etaMs: metric, memoryMB: metric,
  });
  const samples = list(shapeOf<TrainEpochEvent['samples'][number]>()({ source: text, reference: text, prediction: text }), { max: 1000 });
  const epoch: Check<TrainEpochEvent> = shapeOf<TrainEpochEvent>()({
    kind: literal('epoch'), epoch: count, epochs: metric, step: metric, trainLoss: metric, trainAccuracy: metric,
    dev: nullable(devMetrics), samples,
    lr: metric, elapsedMs: metric, isBest: boolean, checkpointSaved: boolean,
  });
  const end: Check<TrainEndEvent> = shapeOf<TrainEndEvent>()({
    kind: literal('end'), reason: oneOf(END_REASONS), modelDir: path, epochs: metric, steps: metric, elapsedMs: metric,
    samplesPerSec: metric, targetTokensPerSec: metric, bestDev: nullable(devMetrics), error: optional(text),
    averaged: optional(shapeOf<AveragedCheckpoints>()({
      checkpoints: count, steps: list(count, { max: 1000 }), dev: nullable(devMetrics), bestBefore: nullable(devMetrics), kept: boolean,
    })),
  });
  const trainEvent: Check<TrainEvent> = union<TrainEvent, 'kind'>('kind', { start, step, epoch, end });
  const modelSummary: Check<ModelSummary> = shapeOf<ModelSummary>()({
    name, dir: path, task: name, sourceKind: name, targetKind: name,
    arch: name, architecture: name, cell: name, attention: name, parameters: metric, sizeBytes: metric, trainPairs: metric,
    epochs: metric, steps: metric, bestDev: nullable(devMetrics), devMetric, createdAt: string({ max: 100 }), updatedAt: string({ max: 100 }),
    complete: boolean, resumable: boolean,
  });
  const hypothesis: Check<Hypothesis> = shapeOf<Hypothesis>()({
    text, tokens: list(text, { max: 100_000 }), logProb: metric, score: metric, attention: optional(attentionMap),
  });
  const runPoint: Check<RunPoint> = shapeOf<RunPoint>()({ epoch: count, step: metric, elapsedMs: metric, trainLoss: metric, dev: nullable(devMetrics) });
  const runRecord: Check<RunRecord> = shapeOf<RunRecord>()({
    name, devMetric, settings, trainPairs: metric, parameters: metric, history: list(runPoint, { max: 100_000 }),
    best: nullable(shapeOf<NonNullable<RunRecord['best']>>()({ epoch: count, dev: nullable(devMetrics) })),
    steps: metric, elapsedMs: metric, samples, samplesEpoch: nullable(count),
  });
  const trial: Check<TrialRecord> = shapeOf<TrialRecord>()({
    id: name, group: name, values: (v, field) => {
      if (!isObj(v)) fail(field, 'an object of settings', v);
      return Object.fromEntries(Object.entries(v).slice(0, 100).map(([k, x]) => [k.slice(0, 200), settingValue(x, `${field}.${k}`)]));
    },
    round: count, status: oneOf(TRIAL_STATUSES), steps: metric, epochs: metric, elapsedMs: metric, targetMinutes: nullable(metric),
    bestDev: nullable(devMetrics), score: nullable(metric), lastReason: optional(oneOf(END_REASONS)), error: optional(text),
  });
  const trials = list(trial, { max: 10_000 });
  const tuneStart: Check<TuneStartEvent> = shapeOf<TuneStartEvent>()({
    kind: literal('tune-start'), dir: path, minutes: metric, rounds: list(count, { max: 100 }), varied: list(name, { max: 100 }),
    trials, resumed: boolean, elapsedMs: metric,
  });
  const tuneTrial: Check<TuneTrialEvent> = shapeOf<TuneTrialEvent>()({
    kind: literal('trial'), change: oneOf(members<TuneTrialEvent['change']>({ start: true, epoch: true, end: true, round: true })), trial, devMetric: nullable(devMetric), elapsedMs: metric, remainingMs: metric,
  });
  const tuneRound: Check<TuneRoundEvent> = shapeOf<TuneRoundEvent>()({ kind: literal('round'), round: count, promoted: list(name, { max: 10_000 }) });
  const tuneEnd: Check<TuneEndEvent> = shapeOf<TuneEndEvent>()({
    kind: literal('tune-end'), reason: oneOf(TUNE_END_REASONS), dir: path, best: nullable(trial), bestDir: nullable(path), elapsedMs: metric,
    table: text, trials,
  });
  const tuneEvent: Check<TuneEvent> = union<TuneEvent, 'kind'>('kind', { 'tune-start': tuneStart, trial: tuneTrial, round: tuneRound, 'tune-end': tuneEnd });
  return { trainEvent, end, modelSummary, hypothesis, devMetrics, runRecord, tuneEvent, tuneEnd };
}

export const dataProfile: Check<DataProfile> = shapeOf<DataProfile>()({
  pairs: count, sourceVocab: count, targetVocab: count, sourceLen95: count, targetLen95: count,
});

