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
import { DEFAULT_SETTINGS, describeArchitecture, mergeSettings, type Seq2SeqSettings, type TaskKind } from '../config';
import type { AveragedCheckpoints, DevMetrics, TrainEpochEvent } from '../training/events';
import type { ModelSummary } from './modelSummary';
import { anything, check, type Schema } from './schema';
import { configSchema, metricsSchema } from './fileSchemas';
import { PathConfinementError, resolveInside } from './confinedPath';
import { settleModelFolder, settleModelsDir } from './modelFolderSwap';

/** 2: settings.model.arch and the Transformer's settings; the learning-rate schedule and Adam's betas (checkpoints keep them too). */
export const FORMAT_VERSION = 2;

/** What a format-1 folder's settings meant for the fields format 2 added (it had only the recurrent architecture). */
const FORMAT1_MEANING = {
  model: { arch: 'rnn' },
  train: { lrSchedule: 'constant', warmupSteps: 0, adamBeta1: 0.9, adamBeta2: 0.999 },
} as const;
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
  task: TaskKind;
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
  /** Set when the run averaged its last checkpoints at the end (`--average-last`). */
  averaged?: AveragedCheckpoints;
}

export class ModelFolderError extends Error {
  constructor(message: string) { super(message); this.name = 'ModelFolderError'; }
}

/** Why a read failed, in words, for messages. */
function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'ENOENT' : code === 'EISDIR' ? 'EISDIR: a folder, not a file' : code ?? 'unreadable';
}

/** Parses a JSON file and checks it against its schema; every problem is a ModelFolderError naming the file (and the field). */
export function readJson<T>(path: string, what: string, schema: Schema<T>): T {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new ModelFolderError(`${path}: ${what} is missing (${readFailure(e)})`);
  }
  let value: unknown;
  try { value = JSON.parse(text); } catch {
    throw new ModelFolderError(`${path}: ${what} is not valid JSON (truncated or corrupted)`);
  }
  return check(path, value, schema, (m) => new ModelFolderError(m));
}

/** The folder exists and is a folder, else a ModelFolderError naming it. */
export function requireModelFolder(dir: string): void {
  let isDir = false;
  try { isDir = statSync(dir).isDirectory(); } catch { throw new ModelFolderError(`${dir}: no such model folder`); }
  if (!isDir) throw new ModelFolderError(`${dir}: is a file, not a model folder`);
}

export function readConfig(dir: string): ModelConfigFile {
  requireModelFolder(dir);
  settleModelFolder(dir);
  const path = join(dir, FILES.config);
  // A run killed right after making its folder leaves it empty (but for temporaries), or killed
  // between its first two writes, with tokenizers.json alone (config.json is written second).
  if (!existsSync(path) && readdirSync(dir).every((f) => f.endsWith('.tmp') || f === FILES.tokenizers)) {
    throw new ModelFolderError(`${dir}: nothing was saved yet: a training run stopped here before writing its configuration`);
  }
  // The format version first: a newer writer may have changed anything else.
  const raw = readJson(path, 'the model configuration (config.json)', anything);
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw new ModelFolderError(`${dir}: saved by a newer version (format ${version}; this version reads up to ${FORMAT_VERSION}). Update the extension.`);
  }
  return check(path, upgradeFormat1(raw, version), configSchema, (m) => new ModelFolderError(m)) as ModelConfigFile;
}

/**
 * A format-1 config.json's settings with the fields format 2 added, as that folder was trained
 * (the recurrent model, a constant rate, betas 0.9 / 0.999; the Transformer's settings unused).
 * Anything that is not such a record is left for the schema to report.
 */
function upgradeFormat1(raw: unknown, version: unknown): unknown {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (typeof version !== 'number' || version >= 2 || !isObj(raw) || !isObj(raw.settings)) return raw;
  const s = raw.settings;
  if (!['model', 'train', 'source', 'target'].every((k) => isObj(s[k]))) return raw;
  return { ...raw, settings: mergeSettings(DEFAULT_SETTINGS, FORMAT1_MEANING, s as unknown as Seq2SeqSettings) };
}

/** The metrics history, or null when there is none yet. Throws ModelFolderError when the file is corrupt. */
export function readMetrics(dir: string): MetricsFile | null {
  const p = join(dir, FILES.metrics);
  if (!existsSync(p)) return null;
  return readJson(p, 'the metrics history (metrics.json)', metricsSchema) as unknown as MetricsFile;
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
  // A damaged history does not hide the model from the list; loading and resuming say what is wrong.
  let metrics: MetricsFile | null = null;
  try { metrics = readMetrics(dir); } catch { /* shown without history */ }
  const s = cfg.settings;
  return {
    name: basename(dir),
    dir,
    task: `${s.source.kind} → ${s.target.kind}${cfg.task === 'generate' ? ' (generator)' : ''}`,
    sourceKind: s.source.kind,
    targetKind: s.target.kind,
    arch: s.model.arch,
    architecture: describeArchitecture(s.model),
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
  settleModelsDir(modelsDir);
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
 * each lies inside the folder and that their bytes add up to the float32 weights listed. Returns
 * the entries and one buffer. `manifestFile` is the file that lists them, for messages.
 */
export function readManifestWeights(dir: string, manifest: WeightsManifestGroup[], manifestFile = join(dir, FILES.model)): { entries: ManifestWeight[]; data: Buffer } {
  const entries: ManifestWeight[] = [];
  const files: string[] = [];
  manifest.forEach((group, g) => {
    entries.push(...group.weights);
    group.paths.forEach((p, i) => files.push(confinedFile(dir, p, manifestFile, `weightsManifest[${g}].paths[${i}]`)));
  });
  const expected = entries.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  let found = 0;
  for (const file of files) {
    if (!existsSync(file)) throw new ModelFolderError(`${file}: weights file is missing`);
    found += statSync(file).size;
  }
  // Sizes first, so a wrong manifest never makes us read (or allocate) more than it promises.
  if (found !== expected) {
    throw new ModelFolderError(`${dir}: weights are truncated or do not match model.json (expected ${expected} bytes, found ${found})`);
  }
  const data = Buffer.concat(files.map((f) => readFileSync(f)));
  if (data.byteLength !== expected) {
    throw new ModelFolderError(`${dir}: weights are truncated or do not match model.json (expected ${expected} bytes, found ${data.byteLength})`);
  }
  return { entries, data };
}

/** `dir/name` for a file a model file names, which must lie inside dir; else a ModelFolderError in the one format. */
export function confinedFile(dir: string, name: string, listedIn: string, field: string): string {
  try {
    return resolveInside(dir, name, 'file');
  } catch (e) {
    if (!(e instanceof PathConfinementError)) throw e;
    throw new ModelFolderError(`${listedIn}: ${field}: must name a file inside ${dir} (got ${JSON.stringify(name)}: ${e.message.replace(/^file "[^"]*" (is not allowed: )?/, '')})`);
  }
}
