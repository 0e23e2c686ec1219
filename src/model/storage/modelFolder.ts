/**
 * The layout of a model folder and what can be read from it without TensorFlow (safe to use in the
 * extension host): file names, the config record and its format version, the metrics history, and
 * the summary shown in model lists.
 *
 *   model.json        TF.js layers-format artifacts: topology + weights manifest (commit point of a save)
 *   weights.bin       the best weights, float32, in manifest order
 *   tokenizers.json   source and target vocabularies and their kinds
 *   config.json       settings, task and format version
 *   metrics.json      history per epoch
 *   checkpoint/       latest training state: state.json (commit point) + weights-N.bin + optimizer-N.bin
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Seq2SeqSettings } from '../config';
import type { DevMetrics, TrainEpochEvent } from '../training/events';
import type { ModelSummary } from './modelSummary';

export const FORMAT_VERSION = 1;
export const FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  tokenizers: 'tokenizers.json',
  config: 'config.json',
  metrics: 'metrics.json',
  checkpointDir: 'checkpoint',
  checkpointState: 'state.json',
} as const;

export interface ModelConfigFile {
  formatVersion: number;
  settings: Seq2SeqSettings;
  task: 'pairs' | 'generate';
  devMetric: 'bleu' | 'per';
  dataFile: string;
  devFile?: string;
  trainPairs: number;
  parameters: number;
  createdAt: string;
  updatedAt: string;
}

export interface MetricsFile {
  history: TrainEpochEvent[];
  best: { epoch: number; dev: DevMetrics | null } | null;
  steps: number;
  elapsedMs: number;
}

export class ModelFolderError extends Error {
  constructor(message: string) { super(message); this.name = 'ModelFolderError'; }
}

export function readJson<T>(path: string, what: string): T {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new ModelFolderError(`${path}: ${what} is missing (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  try { return JSON.parse(text) as T; } catch {
    throw new ModelFolderError(`${path}: ${what} is not valid JSON (truncated or corrupted)`);
  }
}

export function readConfig(dir: string): ModelConfigFile {
  if (!existsSync(dir)) throw new ModelFolderError(`${dir}: no such model folder`);
  const cfg = readJson<ModelConfigFile>(join(dir, FILES.config), 'the model configuration (config.json)');
  if (typeof cfg.formatVersion !== 'number' || !cfg.settings) throw new ModelFolderError(`${join(dir, FILES.config)}: not a Seq2Seq model configuration`);
  if (cfg.formatVersion > FORMAT_VERSION) {
    throw new ModelFolderError(`${dir}: saved by a newer version (format ${cfg.formatVersion}; this version reads up to ${FORMAT_VERSION}). Update the extension.`);
  }
  return cfg;
}

export function readMetrics(dir: string): MetricsFile | null {
  const p = join(dir, FILES.metrics);
  if (!existsSync(p)) return null;
  try { return JSON.parse(readFileSync(p, 'utf8')) as MetricsFile; } catch { return null; }
}

function folderSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? folderSize(p) : statSync(p).size;
  }
  return n;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, FILES.checkpointDir, FILES.checkpointState));
}

/** The summary of one model folder. Throws ModelFolderError when it is not a model folder. */
export function readModelSummary(dir: string): ModelSummary {
  const cfg = readConfig(dir);
  const metrics = readMetrics(dir);
  const s = cfg.settings;
  return {
    name: basename(dir),
    dir,
    task: `${s.source.kind} → ${s.target.kind}${cfg.task === 'generate' ? ' (generator)' : ''}`,
    sourceKind: s.source.kind,
    targetKind: s.target.kind,
    cell: s.model.cell,
    attention: s.model.attention,
    parameters: cfg.parameters,
    sizeBytes: folderSize(dir),
    trainPairs: cfg.trainPairs,
    epochs: metrics?.history.length ?? 0,
    steps: metrics?.steps ?? 0,
    bestDev: metrics?.best?.dev ?? null,
    devMetric: cfg.devMetric,
    createdAt: cfg.createdAt,
    updatedAt: cfg.updatedAt,
    complete: existsSync(join(dir, FILES.model)) && existsSync(join(dir, FILES.weights)),
    resumable: hasCheckpoint(dir),
  };
}

/** Every model folder directly under modelsDir, newest first; folders that are not models are skipped. */
export function listModels(modelsDir: string): ModelSummary[] {
  if (!existsSync(modelsDir)) return [];
  const out: ModelSummary[] = [];
  for (const e of readdirSync(modelsDir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    try { out.push(readModelSummary(join(modelsDir, e.name))); } catch { /* not a model folder */ }
  }
  return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

export interface ManifestWeight { name: string; shape: number[]; dtype?: string }
export interface WeightsManifestGroup { paths: string[]; weights: ManifestWeight[] }

/**
 * Reads the weight files a TF.js weights manifest names (in order, across shards) and checks that
 * their bytes add up to the float32 weights listed. Returns the entries and one buffer.
 */
export function readManifestWeights(dir: string, manifest: WeightsManifestGroup[]): { entries: ManifestWeight[]; data: Buffer } {
  const entries: ManifestWeight[] = [];
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    entries.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dir, p);
      if (!existsSync(file)) throw new ModelFolderError(`${file}: weights file is missing`);
      buffers.push(readFileSync(file));
    }
  }
  const data = Buffer.concat(buffers);
  const expected = entries.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (data.byteLength !== expected) {
    throw new ModelFolderError(`${dir}: weights are truncated or do not match model.json (expected ${expected} bytes, found ${data.byteLength})`);
  }
  return { entries, data };
}
