/**
 * What one training run reports, in order: `start`, then `step` every few steps and `epoch` after
 * each epoch, then `end`. The training loop calls these as callbacks; the worker forwards them over
 * IPC, the panel draws them, the CLI prints them. Plain JSON data only.
 */
import type { Seq2SeqSettings } from '../config';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | string;

export interface SkippedLine { line: number; reason: string }

export interface DataReport {
  file: string;
  /** text: plain text for generation (a file or a folder; pairs are its windows). */
  format: 'tsv' | 'csv' | 'jsonl' | 'text';
  pairs: number;
  skipped: number;
  /** The first few skipped lines, with 1-based line numbers (text: skipped files, line 0). */
  skippedLines: SkippedLine[];
  /** text: the files read, and those a .gitignore left out (`skipped` counts binary or non-UTF-8 files). */
  files?: number;
  ignored?: number;
}

export interface TrainStartEvent {
  kind: 'start';
  runId: string;
  modelDir: string;
  backend: BackendName;
  /** Threads computing gradients: 2 when a replica on a second core shares each batch. */
  threads?: number;
  settings: Seq2SeqSettings;
  data: DataReport;
  dev: { pairs: number; file?: string };
  sourceVocab: number;
  targetVocab: number;
  parameters: number;
  stepsPerEpoch: number;
  /** Set when resuming from a checkpoint. */
  resumedFrom?: { epoch: number; step: number };
  /** Dev task kind: token tasks (char targets) report PER/WER first, text tasks BLEU/chrF. */
  devMetric: 'bleu' | 'per';
}

export interface TrainStepEvent {
  kind: 'step';
  epoch: number;
  /** Global step, counted from the first run (resumes continue the count). */
  step: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** Mean loss and token accuracy over the steps since the previous step event. */
  loss: number;
  accuracy: number;
  lr: number;
  samplesPerSec: number;
  targetTokensPerSec: number;
  elapsedMs: number;
  /** Estimated time to the end of the run (epochs or time budget, whichever is first). */
  etaMs: number;
  memoryMB: number;
}

export interface DevMetrics {
  loss: number;
  accuracy: number;
  perplexity: number;
  bleu: number;
  chrf: number;
  per: number;
  wer: number;
}

export interface SamplePrediction { source: string; reference: string; prediction: string }

export interface TrainEpochEvent {
  kind: 'epoch';
  epoch: number;
  epochs: number;
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  dev: DevMetrics | null;
  samples: SamplePrediction[];
  lr: number;
  elapsedMs: number;
  isBest: boolean;
  checkpointSaved: boolean;
}

/** What averaging the last checkpoints gave (`--average-last K`), scored on dev like an epoch. */
export interface AveragedCheckpoints {
  /** How many were averaged (the last K, or fewer when the run had fewer epochs). */
  checkpoints: number;
  /** The step of each. */
  steps: number[];
  dev: DevMetrics | null;
  /** The best epoch's dev metrics it was compared with. */
  bestBefore: DevMetrics | null;
  /** Whether it scored better and replaced the saved model. */
  kept: boolean;
}

export type TrainEndReason = 'completed' | 'stopped' | 'time-budget' | 'early-stopping' | 'error';

export interface TrainEndEvent {
  kind: 'end';
  reason: TrainEndReason;
  modelDir: string;
  epochs: number;
  steps: number;
  elapsedMs: number;
  samplesPerSec: number;
  targetTokensPerSec: number;
  bestDev: DevMetrics | null;
  error?: string;
  averaged?: AveragedCheckpoints;
}

export type TrainEvent = TrainStartEvent | TrainStepEvent | TrainEpochEvent | TrainEndEvent;
