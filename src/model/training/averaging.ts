/**
 * Checkpoint averaging (`--average-last K`), as NMT toolkits do it: the weights of the last K
 * end-of-epoch checkpoints are kept in checkpoint/recent/, and when training ends their average is
 * scored on dev like an epoch; it replaces the saved model only when it scores better. The
 * checkpoint itself keeps the trained (not averaged) weights, so a resumed run continues exactly.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf';
import { writeFileAtomic, writeJsonAtomic } from '../storage/atomicFs';
import { FILES, ModelFolderError, readJson } from '../storage/modelFolder';
import { list, num, obj, str, type Schema } from '../storage/schema';
import { saveModel } from '../storage/store';
import type { Seq2SeqModel } from '../network/seq2seq';
import { SettingsError } from '../config';
import type { AveragedCheckpoints, DevMetrics } from './events';
import { devScore, type TrainingRun } from './run';

export const RECENT_DIR = 'recent';
const INDEX = 'index.json';

interface RecentIndex {
  /** Every parameter, in the order the files hold them. */
  specs: { name: string; shape: number[] }[];
  /** Oldest first; each file is every parameter's float32 values, one after the other. */
  entries: { epoch: number; step: number; file: string }[];
}

const indexSchema: Schema<RecentIndex> = obj({
  specs: list(obj({ name: str({ nonEmpty: true }), shape: list(num({ int: true, min: 0 })) })),
  entries: list(obj({ epoch: num({ int: true, min: 0 }), step: num({ int: true, min: 0 }), file: str({ nonEmpty: true, max: 100 }) })),
}) as unknown as Schema<RecentIndex>;

/** The snapshots a run keeps for `averageLast` (null when off: 0 or 1); a bad value fails naming the option. */
export function recentCheckpointsFor(averageLast: number | undefined): RecentCheckpoints | null {
  if (averageLast === undefined || averageLast === 0 || averageLast === 1) return null;
  if (!Number.isInteger(averageLast) || averageLast < 0 || averageLast > 100) throw new SettingsError(`averageLast: must be a whole number from 0 to 100 (got ${averageLast})`);
  return new RecentCheckpoints(averageLast);
}

/** The element-wise mean of equally long arrays, summed in float64 (K equal arrays give exactly that array). */
export function averageWeights(snapshots: Float32Array[]): Float32Array {
  if (!snapshots.length) throw new Error('nothing to average');
  const n = snapshots[0].length;
  const sum = new Float64Array(n);
  for (const s of snapshots) {
    if (s.length !== n) throw new Error(`snapshots differ in size (${s.length} and ${n} values)`);
    for (let i = 0; i < n; i++) sum[i] += s[i];
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sum[i] / snapshots.length;
  return out;
}

function weightsOf(model: Seq2SeqModel): { specs: RecentIndex['specs']; data: Float32Array } {
  const specs = [...model.params].map(([name, v]) => ({ name, shape: v.shape }));
  const data = new Float32Array(specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
  let off = 0;
  for (const v of model.params.values()) { data.set(v.dataSync() as Float32Array, off); off += v.size; }
  return { specs, data };
}

function setWeights(model: Seq2SeqModel, data: Float32Array): void {
  let off = 0;
  for (const v of model.params.values()) {
    const part = data.subarray(off, off + v.size);
    tf.tidy(() => v.assign(tf.tensor(part, v.shape, 'float32')));
    off += v.size;
  }
}

/** The weights of the last `k` end-of-epoch checkpoints, in `<model folder>/checkpoint/recent/`. */
export class RecentCheckpoints {
  constructor(readonly k: number) {}

  private dir(modelDir: string): string { return join(modelDir, FILES.checkpointDir, RECENT_DIR); }

  private index(modelDir: string): RecentIndex | null {
    const p = join(this.dir(modelDir), INDEX);
    return existsSync(p) ? readJson(p, 'the recent checkpoints (checkpoint/recent/index.json)', indexSchema) : null;
  }

  /** Adds the model's weights now; the index (written last) names the last k; older files go. */
  remember(modelDir: string, model: Seq2SeqModel, epoch: number, step: number): void {
    const dir = this.dir(modelDir);
    mkdirSync(dir, { recursive: true });
    const { specs, data } = weightsOf(model);
    const file = `step-${step}.bin`;
    writeFileAtomic(join(dir, file), new Uint8Array(data.buffer));
    const previous = this.index(modelDir);
    const same = previous && JSON.stringify(previous.specs) === JSON.stringify(specs);
    const entries = [...(same ? previous.entries.filter((e) => e.file !== file) : []), { epoch, step, file }].slice(-this.k);
    writeJsonAtomic(join(dir, INDEX), { specs, entries } satisfies RecentIndex);
    const keep = new Set([INDEX, ...entries.map((e) => e.file)]);
    for (const f of readdirSync(dir)) if (!keep.has(f) && !f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
  }

  /** The kept snapshots, oldest first, checked against the model's parameters. */
  load(modelDir: string, model: Seq2SeqModel): { entries: RecentIndex['entries']; weights: Float32Array[] } {
    const index = this.index(modelDir);
    if (!index) return { entries: [], weights: [] };
    const specs = weightsOf(model).specs;
    if (JSON.stringify(index.specs) !== JSON.stringify(specs)) return { entries: [], weights: [] };
    const bytes = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0) * 4;
    const weights = index.entries.map((e) => {
      if (!/^step-\d+\.bin$/.test(e.file)) throw new ModelFolderError(`${join(this.dir(modelDir), INDEX)}: entries: file "${e.file}" is not a snapshot name`);
      const p = join(this.dir(modelDir), e.file);
      if (!existsSync(p) || statSync(p).size !== bytes) throw new ModelFolderError(`${p}: recent checkpoint is missing or truncated (expected ${bytes} bytes)`);
      const b = readFileSync(p);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    });
    return { entries: index.entries, weights };
  }
}

/**
 * At the end of training: the average of the kept snapshots, scored on dev; saved as the model only
 * when it beats the best epoch. The trained weights go back into the model (and the checkpoint).
 */
export async function averageAtEnd(run: TrainingRun, recent: RecentCheckpoints): Promise<AveragedCheckpoints | undefined> {
  const { model, progress, metricsFile, saveInfo } = run.s;
  const dir = run.plan.writeDir;
  const { entries, weights } = recent.load(dir, model);
  if (weights.length < 2) return undefined;
  const trained = weightsOf(model).data;
  const before: DevMetrics | null = run.bestDev;
  setWeights(model, averageWeights(weights));
  let kept = false;
  let dev: DevMetrics | null = null;
  try {
    dev = run.evaluateDev()?.metrics ?? null;
    const score = devScore(run.s.devMetric, dev, Number.POSITIVE_INFINITY);
    kept = dev !== null && (progress.bestScore === null || score > progress.bestScore);
    if (kept) {
      await saveModel(model, dir, saveInfo);
      progress.bestScore = score;
      run.bestDev = dev;
      metricsFile.best = { epoch: progress.epoch, dev };
    }
  } finally {
    setWeights(model, trained);
  }
  const averaged: AveragedCheckpoints = { checkpoints: weights.length, steps: entries.map((e) => e.step), dev, bestBefore: before, kept };
  metricsFile.averaged = averaged;
  writeJsonAtomic(join(dir, FILES.metrics), metricsFile);
  // The checkpoint keeps the trained weights; only its record of the best score changes.
  if (kept) run.checkpoint();
  return averaged;
}
