/**
 * Saving and loading model folders with TensorFlow: the weights in the TF.js layers format
 * (model.json + weights.bin) through our own I/O handler on Node's fs, which works on every backend;
 * tokenizers and config beside them; and training checkpoints whose state.json is written last, so
 * a crash at any moment leaves the previous checkpoint whole.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, tf } from '../acceleration/backend';
import { ensureWritableDir, removeStaleTemps, writeFileAtomic, writeJsonAtomic } from './atomicFs';
import { checkpointStateSchema, modelJsonSchema, tokenizersSchema } from './fileSchemas';
import { confinedFile, FILES, FORMAT_VERSION, ModelFolderError, readConfig, readJson, readManifestWeights, type ModelConfigFile } from './modelFolder';
import type { Params } from '../network/params';
import { paramSpecs } from '../network/architectures';
import { Seq2SeqModel } from '../network/seq2seq';
import { Vocabulary, type VocabularyJSON } from '../data/tokenizer';
import type { AdamSettings } from '../training/optimizer';

interface WeightSpec { name: string; shape: number[]; dtype: 'float32' }

/** An tf.io.IOHandler that reads and writes model.json + weights.bin in a folder with Node's fs. */
export function fsIOHandler(dir: string, weightsFile: string = FILES.weights): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      ensureWritableDir(dir);
      const data = concatWeightData(artifacts.weightData);
      writeFileAtomic(join(dir, weightsFile), data);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'seq2seq-studio',
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      writeJsonAtomic(join(dir, FILES.model), modelJson);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelPath = join(dir, FILES.model);
      const json = readJson(modelPath, 'the model file (model.json)', modelJsonSchema);
      const { entries, data } = readManifestWeights(dir, json.weightsManifest, modelPath);
      const specs = entries.map((e) => ({ ...e, dtype: 'float32' })) as tf.io.WeightsManifestEntry[];
      const weightData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      return {
        modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: weightData.buffer as ArrayBuffer,
        format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy ?? undefined,
        userDefinedMetadata: json.userDefinedMetadata as Record<string, {}> | undefined,
      };
    },
  };
}

function concatWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) { out.set(new Uint8Array(p), off); off += p.byteLength; }
  return out;
}

/** Thrown instead of saving weights that hold NaN or Infinity: a saved model is never poisoned. */
export class NonFiniteWeightsError extends Error {
  constructor(message: string, readonly weight: string) { super(message); this.name = 'NonFiniteWeightsError'; }
}

/** Where values is not finite, in words (`NaN at index 3, 12 of 480 values`), or null when all are. */
export function nonFiniteReport(values: Float32Array): string | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) { if (first < 0) first = i; count++; }
  }
  return first < 0 ? null : `${Number.isNaN(values[first]) ? 'NaN' : values[first] > 0 ? 'Infinity' : '-Infinity'} at index ${first}, ${count} of ${values.length} values`;
}

/** Weights as one float32 buffer plus their manifest, in the model's weight order. Refuses non-finite values. */
function packTensors(named: { name: string; tensor: tf.Tensor }[], what: string): { specs: WeightSpec[]; data: ArrayBuffer } {
  const total = named.reduce((n, t) => n + t.tensor.size, 0);
  const out = new Float32Array(total);
  let off = 0;
  const specs: WeightSpec[] = [];
  for (const { name, tensor } of named) {
    const values = tensor.dataSync() as Float32Array;
    const bad = nonFiniteReport(values);
    if (bad) throw new NonFiniteWeightsError(`not saving ${what}: ${name} has non-finite values (${bad})`, name);
    out.set(values, off);
    off += tensor.size;
    specs.push({ name, shape: tensor.shape, dtype: 'float32' });
  }
  return { specs, data: out.buffer };
}

/** Named tensors from a float32 buffer; a weight with NaN or Infinity is refused, naming it and the file. */
function unpackTensors(specs: { name: string; shape: number[] }[], data: ArrayBuffer, file: string): Map<string, tf.Tensor> {
  const all = new Float32Array(data);
  const out = new Map<string, tf.Tensor>();
  let off = 0;
  try {
    for (const s of specs) {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const values = all.slice(off, off + size);
      const bad = nonFiniteReport(values);
      if (bad) throw new ModelFolderError(`${file}: weight ${s.name} has non-finite values (${bad}); the file is corrupt or training diverged. Retrain, or resume from a good checkpoint.`);
      if (out.has(s.name)) throw new ModelFolderError(`${file}: weight ${s.name} is listed twice`);
      out.set(s.name, tf.tensor(values, s.shape));
      off += size;
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

function topology(model: Seq2SeqModel): object {
  return {
    class_name: 'Seq2SeqStudio',
    config: { ...model.settings.model, source_vocab: model.source.size, target_vocab: model.target.size },
    keras_version: 'seq2seq-studio-1',
    backend: 'tensorflow.js',
  };
}

export interface SaveInfo { config: Omit<ModelConfigFile, 'formatVersion' | 'settings' | 'parameters' | 'updatedAt'> }

/** Writes tokenizers.json and config.json (atomically each): enough to recognise the folder and resume it. */
export function saveModelMeta(model: Seq2SeqModel, dir: string, info: SaveInfo): void {
  ensureWritableDir(dir);
  removeStaleTemps(dir);
  writeJsonAtomic(join(dir, FILES.tokenizers), { source: model.source.toJSON(), target: model.target.toJSON() });
  const cfg: ModelConfigFile = {
    formatVersion: FORMAT_VERSION, settings: model.settings, parameters: model.parameterCount,
    ...info.config, updatedAt: new Date().toISOString(),
  };
  writeJsonAtomic(join(dir, FILES.config), cfg);
}

/** Writes the model's weights, tokenizers and config into dir. Each file is replaced atomically. */
export async function saveModel(model: Seq2SeqModel, dir: string, info: SaveInfo): Promise<void> {
  // Checked before anything is written, so a poisoned model never replaces a good one.
  const { specs, data } = packTensors([...model.params].map(([name, tensor]) => ({ name, tensor })), 'the model');
  saveModelMeta(model, dir, info);
  await fsIOHandler(dir).save!({ modelTopology: topology(model), weightSpecs: specs, weightData: data, format: 'layers-model', generatedBy: 'seq2seq-studio' });
}

function readTokenizers(dir: string): { source: Vocabulary; target: Vocabulary } {
  const path = join(dir, FILES.tokenizers);
  const j = readJson(path, 'the tokenizers (tokenizers.json)', tokenizersSchema);
  const side = (name: 'source' | 'target') => {
    try { return Vocabulary.fromJSON(j[name] as VocabularyJSON); } catch (e) {
      throw new ModelFolderError(`${path}: ${name}: ${(e as Error).message}`);
    }
  };
  return { source: side('source'), target: side('target') };
}

/** Builds a model from a folder's config and tokenizers and the given named weights, checking every shape. */
function assemble(dir: string, cfg: ModelConfigFile, weights: Map<string, tf.Tensor>): Seq2SeqModel {
  const params: Params = new Map();
  let vocabularies: { source: Vocabulary; target: Vocabulary };
  try {
    vocabularies = readTokenizers(dir);
    const specs = paramSpecs(cfg.settings.model, vocabularies.source.size, vocabularies.target.size);
    for (const s of specs) {
      const t = weights.get(s.name);
      if (!t) throw new ModelFolderError(`${dir}: weight ${s.name} is missing; the weights do not match config.json`);
      if (t.shape.join('x') !== s.shape.join('x')) {
        throw new ModelFolderError(`${dir}: weight ${s.name} has shape [${t.shape}] but the configuration needs [${s.shape}]`);
      }
      params.set(s.name, tf.variable(t, true));
    }
  } catch (e) {
    for (const v of params.values()) v.dispose();
    throw e;
  } finally {
    for (const t of weights.values()) t.dispose();
  }
  return new Seq2SeqModel(cfg.settings, vocabularies.source, vocabularies.target, params);
}

/** Loads a saved model. Throws ModelFolderError with a clear message for missing, truncated or mismatched folders. */
export async function loadModel(dir: string): Promise<Seq2SeqModel> {
  await initBackend();
  let cfg: ModelConfigFile;
  try {
    cfg = readConfig(dir);
  } finally {
    // A reader that looks leaves nothing of a killed writer, in the model or in its checkpoint, even
    // when the folder turns out to hold no model yet (readConfig first settles an interrupted swap).
    removeStaleTemps(dir);
    removeStaleTemps(join(dir, FILES.checkpointDir));
  }
  if (!existsSync(join(dir, FILES.model))) {
    throw new ModelFolderError(existsSync(join(dir, FILES.checkpointDir, FILES.checkpointState))
      ? `${dir}: nothing was saved yet as a model; only a training checkpoint exists. Resume the training (train --resume) or wait for its first save.`
      : `${dir}: nothing was saved yet: training started here but stopped (or is still running) before its first save.`);
  }
  const artifacts = await fsIOHandler(dir).load!();
  return assemble(dir, cfg, unpackTensors(artifacts.weightSpecs ?? [], artifacts.weightData as ArrayBuffer, join(dir, FILES.weights)));
}

// ---- checkpoints ----------------------------------------------------------------------------

export interface CheckpointState {
  formatVersion: number;
  /** Epochs completed (the epoch to continue in). */
  epoch: number;
  step: number;
  /** Batches of the current epoch already done; resume skips them in the same (seeded) order. */
  stepInEpoch: number;
  optimizerStep: number;
  lr: number;
  /** Best dev score of any evaluation (decides which weights are saved as the model). */
  bestScore: number | null;
  /** Best dev score at the end of a whole epoch (drives learning-rate reduction and early stopping). */
  plateauBest: number | null;
  badEpochs: number;
  lrBadEpochs: number;
  elapsedMs: number;
  /** Adam's constants and the learning-rate schedule (absent in format-1 checkpoints: 0.9 / 0.999, constant). */
  adam?: AdamSettings;
  weightsFile: string;
  optimizerFile: string;
  weightSpecs: WeightSpec[];
  optimizerSpecs: WeightSpec[];
}

export type CheckpointProgress = Omit<CheckpointState, 'formatVersion' | 'weightsFile' | 'optimizerFile' | 'weightSpecs' | 'optimizerSpecs'>;

/** Writes weights and optimizer state under new names, then state.json (the commit), then removes older files. */
export function saveCheckpoint(dir: string, model: Seq2SeqModel, optimizerState: { name: string; tensor: tf.Tensor }[], progress: CheckpointProgress): void {
  const cdir = join(dir, FILES.checkpointDir);
  const w = packTensors([...model.params].map(([name, tensor]) => ({ name, tensor })), 'the checkpoint');
  const o = packTensors(optimizerState, 'the checkpoint');
  ensureWritableDir(cdir);
  removeStaleTemps(cdir);
  const weightsFile = `weights-${progress.step}.bin`;
  const optimizerFile = `optimizer-${progress.step}.bin`;
  writeFileAtomic(join(cdir, weightsFile), new Uint8Array(w.data));
  writeFileAtomic(join(cdir, optimizerFile), new Uint8Array(o.data));
  const state: CheckpointState = { formatVersion: FORMAT_VERSION, ...progress, weightsFile, optimizerFile, weightSpecs: w.specs, optimizerSpecs: o.specs };
  writeJsonAtomic(join(cdir, FILES.checkpointState), state);
  for (const f of readdirSync(cdir)) {
    if (f.endsWith('.bin') && f !== weightsFile && f !== optimizerFile) rmSync(join(cdir, f), { force: true });
  }
}

export interface LoadedCheckpoint { model: Seq2SeqModel; optimizer: Map<string, tf.Tensor>; state: CheckpointState }

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const cfg = readConfig(dir);
  const cdir = join(dir, FILES.checkpointDir);
  removeStaleTemps(cdir);
  const statePath = join(cdir, FILES.checkpointState);
  const state = readJson(statePath, 'the checkpoint state (checkpoint/state.json)', checkpointStateSchema) as CheckpointState;
  const read = (file: string, specs: WeightSpec[], field: string) => {
    const p = confinedFile(cdir, file, statePath, field);
    if (!existsSync(p)) throw new ModelFolderError(`${p}: checkpoint file is missing`);
    const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (statSync(p).size !== expected) throw new ModelFolderError(`${p}: checkpoint file is truncated (expected ${expected} bytes)`);
    const b = readFileSync(p);
    return unpackTensors(specs, b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, p);
  };
  const weights = read(state.weightsFile, state.weightSpecs, 'weightsFile');
  const model = assemble(dir, cfg, weights);
  try {
    return { model, optimizer: read(state.optimizerFile, state.optimizerSpecs, 'optimizerFile'), state };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
