/**
 * Saving and loading model folders with TensorFlow: the weights in the TF.js layers format
 * (model.json + weights.bin) through our own I/O handler on Node's fs, which works on every backend;
 * tokenizers and config beside them; and training checkpoints whose state.json is written last, so
 * a crash at any moment leaves the previous checkpoint whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, tf } from '../acceleration/backend';
import { writeFileAtomic, writeJsonAtomic } from './atomicFs';
import { FILES, FORMAT_VERSION, ModelFolderError, readConfig, readJson, readManifestWeights, type ModelConfigFile } from './modelFolder';
import { paramSpecs, type Params } from '../network/params';
import { Seq2SeqModel } from '../network/seq2seq';
import { Vocabulary, type VocabularyJSON } from '../data/tokenizer';

interface WeightSpec { name: string; shape: number[]; dtype: 'float32' }

/** An tf.io.IOHandler that reads and writes model.json + weights.bin in a folder with Node's fs. */
export function fsIOHandler(dir: string, weightsFile: string = FILES.weights): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      mkdirSync(dir, { recursive: true });
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
      const json = readJson<{ modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string; generatedBy?: string; convertedBy?: string; userDefinedMetadata?: Record<string, {}> }>(modelPath, 'the model file (model.json)');
      if (!Array.isArray(json.weightsManifest)) throw new ModelFolderError(`${modelPath}: has no weightsManifest; not a TF.js layers model`);
      const { entries, data } = readManifestWeights(dir, json.weightsManifest);
      const specs = entries as tf.io.WeightsManifestEntry[];
      const weightData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      return {
        modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer as ArrayBuffer,
        format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy ?? undefined,
        userDefinedMetadata: json.userDefinedMetadata,
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

/** Weights as one float32 buffer plus their manifest, in the model's weight order. */
function packTensors(named: { name: string; tensor: tf.Tensor }[]): { specs: WeightSpec[]; data: ArrayBuffer } {
  const total = named.reduce((n, t) => n + t.tensor.size, 0);
  const out = new Float32Array(total);
  let off = 0;
  const specs: WeightSpec[] = [];
  for (const { name, tensor } of named) {
    out.set(tensor.dataSync() as Float32Array, off);
    off += tensor.size;
    specs.push({ name, shape: tensor.shape, dtype: 'float32' });
  }
  return { specs, data: out.buffer };
}

function unpackTensors(specs: { name: string; shape: number[] }[], data: ArrayBuffer): Map<string, tf.Tensor> {
  const all = new Float32Array(data);
  const out = new Map<string, tf.Tensor>();
  let off = 0;
  for (const s of specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    out.set(s.name, tf.tensor(all.slice(off, off + size), s.shape));
    off += size;
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
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, FILES.tokenizers), { source: model.source.toJSON(), target: model.target.toJSON() });
  const cfg: ModelConfigFile = {
    formatVersion: FORMAT_VERSION, settings: model.settings, parameters: model.parameterCount,
    ...info.config, updatedAt: new Date().toISOString(),
  };
  writeJsonAtomic(join(dir, FILES.config), cfg);
}

/** Writes the model's weights, tokenizers and config into dir. Each file is replaced atomically. */
export async function saveModel(model: Seq2SeqModel, dir: string, info: SaveInfo): Promise<void> {
  saveModelMeta(model, dir, info);
  const { specs, data } = packTensors([...model.params].map(([name, tensor]) => ({ name, tensor })));
  await fsIOHandler(dir).save!({ modelTopology: topology(model), weightSpecs: specs, weightData: data, format: 'layers-model', generatedBy: 'seq2seq-studio' });
}

function readTokenizers(dir: string): { source: Vocabulary; target: Vocabulary } {
  const j = readJson<{ source: VocabularyJSON; target: VocabularyJSON }>(join(dir, FILES.tokenizers), 'the tokenizers (tokenizers.json)');
  try { return { source: Vocabulary.fromJSON(j.source), target: Vocabulary.fromJSON(j.target) }; } catch (e) {
    throw new ModelFolderError(`${join(dir, FILES.tokenizers)}: ${(e as Error).message}`);
  }
}

/** Builds a model from a folder's config and tokenizers and the given named weights, checking every shape. */
function assemble(dir: string, cfg: ModelConfigFile, weights: Map<string, tf.Tensor>): Seq2SeqModel {
  const { source, target } = readTokenizers(dir);
  const specs = paramSpecs(cfg.settings.model, source.size, target.size);
  const params: Params = new Map();
  try {
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
  return new Seq2SeqModel(cfg.settings, source, target, params);
}

/** Loads a saved model. Throws ModelFolderError with a clear message for missing, truncated or mismatched folders. */
export async function loadModel(dir: string): Promise<Seq2SeqModel> {
  await initBackend();
  const cfg = readConfig(dir);
  if (!existsSync(join(dir, FILES.model))) {
    throw new ModelFolderError(existsSync(join(dir, FILES.checkpointDir))
      ? `${dir}: training has not finished an epoch's save yet; only a checkpoint exists. Resume the training or wait for the first epoch.`
      : `${dir}: model.json is missing`);
  }
  const artifacts = await fsIOHandler(dir).load!();
  return assemble(dir, cfg, unpackTensors(artifacts.weightSpecs ?? [], artifacts.weightData as ArrayBuffer));
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
  weightsFile: string;
  optimizerFile: string;
  weightSpecs: WeightSpec[];
  optimizerSpecs: WeightSpec[];
}

export type CheckpointProgress = Omit<CheckpointState, 'formatVersion' | 'weightsFile' | 'optimizerFile' | 'weightSpecs' | 'optimizerSpecs'>;

/** Writes weights and optimizer state under new names, then state.json (the commit), then removes older files. */
export function saveCheckpoint(dir: string, model: Seq2SeqModel, optimizerState: { name: string; tensor: tf.Tensor }[], progress: CheckpointProgress): void {
  const cdir = join(dir, FILES.checkpointDir);
  mkdirSync(cdir, { recursive: true });
  const w = packTensors([...model.params].map(([name, tensor]) => ({ name, tensor })));
  const o = packTensors(optimizerState);
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
  const state = readJson<CheckpointState>(join(cdir, FILES.checkpointState), 'the checkpoint state (checkpoint/state.json)');
  const read = (file: string, specs: WeightSpec[]) => {
    const p = join(cdir, file);
    if (!existsSync(p)) throw new ModelFolderError(`${p}: checkpoint file is missing`);
    const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
    if (statSync(p).size !== expected) throw new ModelFolderError(`${p}: checkpoint file is truncated (expected ${expected} bytes)`);
    const b = readFileSync(p);
    return unpackTensors(specs, b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  };
  const model = assemble(dir, cfg, read(state.weightsFile, state.weightSpecs));
  return { model, optimizer: read(state.optimizerFile, state.optimizerSpecs), state };
}
