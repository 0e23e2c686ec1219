/**
 * Importing a Keras encoder-decoder converted by tensorflowjs_converter (TF.js layers format) into a
 * model folder of ours, without TensorFlow (usable in the extension host). The architecture must
 * match ours without attention: Embedding -> LSTM|GRU encoder whose final states initialise an
 * Embedding -> LSTM|GRU decoder -> Dense over the target vocabulary (the classic Keras seq2seq with
 * embeddings). Keras stores LSTM gates as i, f, c, o and GRU (reset_after) as z, r, h with a [2, 3H]
 * bias, as we do, so weights map one to one. Keras models carry no vocabulary: a tokenizers.json
 * (ours: ids 0-3 are <pad> <s> </s> <unk>) must sit beside model.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, mergeSettings, type CellKind } from '../config';
import { writeFileAtomic, writeJsonAtomic } from './atomicFs';
import { FILES, FORMAT_VERSION, ModelFolderError, readJson, readManifestWeights, type ManifestWeight, type ModelConfigFile, type WeightsManifestGroup } from './modelFolder';
import { modelJsonSchema, tokenizersSchema } from './fileSchemas';
import type { VocabularyJSON } from '../data/tokenizer';

interface KerasLayer { class_name: string; name?: string; config: Record<string, unknown>; inbound_nodes?: unknown }
interface LayersModelJson {
  format?: string;
  modelTopology?: { model_config?: { class_name?: string; config?: { layers?: KerasLayer[] } }; class_name?: string; config?: { layers?: KerasLayer[] } };
  weightsManifest?: { paths: string[]; weights: ManifestWeight[] }[];
}

/** True when dir holds a Keras-converted layers model (not one of ours). */
export function isKerasLayersFolder(dir: string): boolean {
  const p = join(dir, FILES.model);
  if (!existsSync(p) || existsSync(join(dir, FILES.config))) return false;
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as LayersModelJson;
    return Array.isArray(kerasLayers(j)) && Array.isArray(j.weightsManifest);
  } catch { return false; }
}

function kerasLayers(j: LayersModelJson): KerasLayer[] | undefined {
  const topo = j.modelTopology;
  return topo?.model_config?.config?.layers ?? topo?.config?.layers;
}

const layerName = (l: KerasLayer) => String(l.name ?? l.config.name);
const feeds = (consumer: KerasLayer, producer: KerasLayer) => JSON.stringify(consumer.inbound_nodes ?? []).includes(`"${layerName(producer)}"`);

/** Converts srcDir (Keras layers model + tokenizers.json) into a model folder of ours at destDir. */
export function importKerasModel(srcDir: string, destDir: string): void {
  const modelPath = join(srcDir, FILES.model);
  const j = readJson(modelPath, 'the model file (model.json)', modelJsonSchema) as LayersModelJson & { weightsManifest: WeightsManifestGroup[] };
  const layers = kerasLayers(j);
  if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'object' && l !== null && typeof l.config === 'object' && l.config !== null)) throw new ModelFolderError(`${modelPath}: not a TF.js layers model (no model topology or weights manifest)`);
  const mismatch = (why: string) => new ModelFolderError(
    `${modelPath}: the architecture does not match (${why}). Supported: Embedding -> LSTM/GRU encoder whose states initialise an Embedding -> LSTM/GRU decoder -> Dense.`);
  const of = (kind: string) => layers.filter((l) => l.class_name === kind);
  const rnns = [...of('LSTM'), ...of('GRU')];
  const embeddings = of('Embedding');
  const dense = of('Dense');
  if (rnns.length !== 2) throw mismatch(`${rnns.length} recurrent layers, expected 2`);
  if (embeddings.length !== 2) throw mismatch(`${embeddings.length} Embedding layers, expected 2`);
  if (dense.length !== 1) throw mismatch(`${dense.length} Dense layers, expected 1`);
  if (rnns[0].class_name !== rnns[1].class_name) throw mismatch('encoder and decoder cells differ');
  const decoder = rnns.find((r) => feeds(dense[0], r));
  const encoder = rnns.find((r) => r !== decoder);
  if (!decoder || !encoder) throw mismatch('the Dense layer does not read a recurrent layer');
  if (!feeds(decoder, encoder)) throw mismatch('the decoder is not initialised from the encoder\'s states');
  const encEmb = embeddings.find((e) => feeds(encoder, e));
  const decEmb = embeddings.find((e) => feeds(decoder, e));
  if (!encEmb || !decEmb || encEmb === decEmb) throw mismatch('each recurrent layer must read its own Embedding');
  const cell: CellKind = encoder.class_name === 'LSTM' ? 'lstm' : 'gru';
  if (cell === 'gru' && (encoder.config.reset_after === false || decoder.config.reset_after === false)) throw mismatch('GRU with reset_after=false');
  if (encoder.config.go_backwards || decoder.config.go_backwards) throw mismatch('go_backwards is set');
  const hidden = Number(encoder.config.units);
  if (Number(decoder.config.units) !== hidden) throw mismatch('encoder and decoder sizes differ');
  const emb = Number(encEmb.config.output_dim);
  if (Number(decEmb.config.output_dim) !== emb) throw mismatch('the two embeddings differ in width (ours share one width)');

  // Weights, by our names.
  const { entries, data: all } = readManifestWeights(srcDir, j.weightsManifest, modelPath);
  const sizes = entries.map((w) => w.shape.reduce((a, b) => a * b, 1) * 4);
  const byName = new Map<string, { shape: number[]; bytes: Buffer }>();
  let off = 0;
  entries.forEach((w, i) => {
    if (w.dtype && w.dtype !== 'float32') throw new ModelFolderError(`${modelPath}: weight ${w.name} is ${w.dtype}; only float32 is supported`);
    byName.set(w.name, { shape: w.shape, bytes: all.subarray(off, off + sizes[i]) });
    off += sizes[i];
  });
  const pick = (layer: KerasLayer, suffix: string, ours: string) => {
    const prefix = `${layerName(layer)}/`;
    const found = [...byName.entries()].find(([n]) => n.startsWith(prefix) && n.endsWith(`/${suffix}`));
    if (!found) throw new ModelFolderError(`${modelPath}: weight ${prefix}…/${suffix} is missing`);
    return { name: ours, ...found[1] };
  };
  const weights = [
    pick(encEmb, 'embeddings', 'encoder/embedding'),
    pick(encoder, 'kernel', 'encoder/l0/fwd/kernel'),
    pick(encoder, 'recurrent_kernel', 'encoder/l0/fwd/recurrent_kernel'),
    pick(encoder, 'bias', 'encoder/l0/fwd/bias'),
    pick(decEmb, 'embeddings', 'decoder/embedding'),
    pick(decoder, 'kernel', 'decoder/l0/kernel'),
    pick(decoder, 'recurrent_kernel', 'decoder/l0/recurrent_kernel'),
    pick(decoder, 'bias', 'decoder/l0/bias'),
    pick(dense[0], 'kernel', 'output/kernel'),
    pick(dense[0], 'bias', 'output/bias'),
  ];

  // Vocabularies must come from the user and agree with the layer sizes.
  const tokPath = join(srcDir, FILES.tokenizers);
  if (!existsSync(tokPath)) {
    throw new ModelFolderError(`${srcDir}: a Keras model carries no vocabulary. Put a tokenizers.json beside model.json: ` +
      '{"source": {"kind": "char", "lowercase": false, "tokens": ["<pad>", "<s>", "</s>", "<unk>", ...]}, "target": {...}}, ' +
      'with token i at row i of the embedding and column i of the Dense layer.');
  }
  const tok = readJson(tokPath, 'the tokenizers (tokenizers.json)', tokenizersSchema) as { source: VocabularyJSON; target: VocabularyJSON };
  const srcVocab = Number(encEmb.config.input_dim);
  const tgtVocab = Number(dense[0].config.units);
  if (tok.source?.tokens?.length !== srcVocab) throw new ModelFolderError(`${tokPath}: source has ${tok.source?.tokens?.length} tokens but the encoder embedding has ${srcVocab} rows`);
  if (tok.target?.tokens?.length !== tgtVocab || Number(decEmb.config.input_dim) !== tgtVocab) {
    throw new ModelFolderError(`${tokPath}: target has ${tok.target?.tokens?.length} tokens but the decoder embedding has ${decEmb.config.input_dim} rows and the Dense layer ${tgtVocab} units`);
  }

  const settings = mergeSettings(DEFAULT_SETTINGS, {
    model: { cell, layers: 1, bidirectional: false, emb, hidden, attention: 'none', dropout: 0 },
    // maxVocab only matters when a vocabulary is built; kept within the settings' range (at least 8).
    source: { kind: tok.source.kind, lowercase: !!tok.source.lowercase, maxVocab: Math.max(8, srcVocab) },
    target: { kind: tok.target.kind, lowercase: !!tok.target.lowercase, maxVocab: Math.max(8, tgtVocab) },
  });
  const now = new Date().toISOString();
  const parameters = weights.reduce((n, w) => n + w.bytes.byteLength / 4, 0);
  const cfg: ModelConfigFile = {
    formatVersion: FORMAT_VERSION, settings, task: 'pairs', devMetric: tok.target.kind === 'word' && tok.target.whitespaceOnly ? 'per' : 'bleu',
    dataFile: '', trainPairs: 0, parameters, createdAt: now, updatedAt: now,
  };
  const tmp = `${destDir}.importing-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileAtomic(join(tmp, FILES.weights), Buffer.concat(weights.map((w) => w.bytes)));
  writeJsonAtomic(join(tmp, FILES.model), {
    format: 'layers-model', generatedBy: 'seq2seq-studio (imported from Keras)', convertedBy: null,
    modelTopology: { class_name: 'Seq2SeqStudio', config: { ...settings.model, source_vocab: srcVocab, target_vocab: tgtVocab }, imported_from: j.modelTopology },
    weightsManifest: [{ paths: [FILES.weights], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  });
  writeJsonAtomic(join(tmp, FILES.tokenizers), tok);
  writeJsonAtomic(join(tmp, FILES.config), cfg);
  renameSync(tmp, destDir);
}
