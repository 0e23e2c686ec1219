/**
 * The first recurrent layer's input projection for every token of a vocabulary, E W + b [V, gates*H]
 * (GRU: its input bias): looking up a token's row equals projecting its embedding, E[y] W + b, and
 * costs a row copy instead of a multiply per token. Inference only (training perturbs the embeddings
 * with dropout before projecting). Kept per layer until its weights change: a Variable's data is
 * replaced on every update, so the table is rebuilt when the data it was made from is no longer there.
 */
import { tf } from '../tf';
import type { CellKind } from '../config';
import { projectInputs } from '../acceleration/reference/recurrentCells';
import type { RnnWeights } from './rnn';

/** Larger vocabularies (e.g. subword or word level) project their few rows per step instead: a table would cost more memory than it saves. */
export const MAX_TABLE_VALUES = 1 << 21;

interface Entry { from: unknown[]; table: tf.Tensor2D }
const tables = new WeakMap<tf.Tensor, Entry>();

/** The table of layer weights w over `embedding` [V, E], or null when it would hold more than MAX_TABLE_VALUES values. */
export function inputTable(cell: CellKind, embedding: tf.Tensor2D, w: RnnWeights): tf.Tensor2D | null {
  const [V] = embedding.shape;
  if (V * w.kernel.shape[1] > MAX_TABLE_VALUES) return null;
  const from = [embedding.dataId, w.kernel.dataId, w.bias.dataId];
  const cached = tables.get(w.kernel);
  if (cached && cached.from.every((d, i) => d === from[i]) && !cached.table.isDisposed) return cached.table;
  cached?.table.dispose();
  const table = tf.keep(tf.tidy(() => tf.squeeze(projectInputs(cell, tf.expandDims(embedding, 0) as tf.Tensor3D, w), [0]) as tf.Tensor2D));
  tables.set(w.kernel, { from, table });
  return table;
}

/** Frees the tables made for these layers' weights (when a model is disposed). */
export function disposeInputTables(kernels: tf.Tensor[]): void {
  for (const k of kernels) {
    tables.get(k)?.table.dispose();
    tables.delete(k);
  }
}
