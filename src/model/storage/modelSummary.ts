/** What the model list shows about one saved model folder, read from its JSON files without TensorFlow. */
import type { DevMetrics } from '../training/events';

export interface ModelSummary {
  name: string;
  dir: string;
  /** e.g. "char → char" */
  task: string;
  sourceKind: string;
  targetKind: string;
  /** 'rnn' or 'transformer'. */
  arch: string;
  /** The architecture and its sizes in one line, e.g. "Transformer 3+3 layers, d 256, 4 heads, ff 1024". */
  architecture: string;
  cell: string;
  attention: string;
  parameters: number;
  sizeBytes: number;
  trainPairs: number;
  epochs: number;
  steps: number;
  bestDev: DevMetrics | null;
  /** Which dev metric ranks this model: 'bleu' for text, 'per' for token tasks. */
  devMetric: 'bleu' | 'per';
  createdAt: string;
  updatedAt: string;
  /** True when a final model is saved (not only a checkpoint). */
  complete: boolean;
  /** True when training can be resumed from a checkpoint. */
  resumable: boolean;
}
