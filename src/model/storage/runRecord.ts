/**
 * One model's run as the panel's comparison shows it: its settings (config.json) and its history
 * per epoch with the dev samples of its best epoch (metrics.json). Read with `fs` only, so the
 * extension host can use it without TensorFlow.
 */
import type { Seq2SeqSettings } from '../config';
import type { DevMetrics, SamplePrediction } from '../training/events';
import { readConfig, readMetrics } from './modelFolder';

/** Where a run stood at the end of one epoch. */
export interface RunPoint {
  epoch: number;
  step: number;
  elapsedMs: number;
  trainLoss: number;
  dev: DevMetrics | null;
}

export interface RunRecord {
  name: string;
  devMetric: 'bleu' | 'per';
  settings: Seq2SeqSettings;
  trainPairs: number;
  parameters: number;
  history: RunPoint[];
  /** The best epoch (by the task's metric), as the model folder records it. */
  best: { epoch: number; dev: DevMetrics | null } | null;
  steps: number;
  elapsedMs: number;
  /** The dev samples of the best epoch, else of the latest epoch that has some. */
  samples: SamplePrediction[];
  samplesEpoch: number | null;
}

/** Throws ModelFolderError (naming the file) when `dir` is not a model folder. */
export function readRunRecord(dir: string, name: string): RunRecord {
  const cfg = readConfig(dir);
  const metrics = readMetrics(dir);
  const history = metrics?.history ?? [];
  const bestEpoch = metrics?.best?.epoch;
  const withSamples = history.filter((e) => e.samples.length > 0);
  const sampled = withSamples.find((e) => e.epoch === bestEpoch) ?? withSamples[withSamples.length - 1] ?? null;
  return {
    name,
    devMetric: cfg.devMetric,
    settings: cfg.settings,
    trainPairs: cfg.trainPairs,
    parameters: cfg.parameters,
    history: history.map((e) => ({ epoch: e.epoch, step: e.step, elapsedMs: e.elapsedMs, trainLoss: e.trainLoss, dev: e.dev })),
    best: metrics?.best ?? null,
    steps: metrics?.steps ?? 0,
    elapsedMs: metrics?.elapsedMs ?? 0,
    samples: sampled?.samples ?? [],
    samplesEpoch: sampled?.epoch ?? null,
  };
}
