/**
 * One training run in progress: the epochs of steps, the work at the end of each epoch (dev
 * evaluation, best model, learning-rate plateau, checkpoint, metrics) and the one way a checkpoint
 * is written. Built from a RunSetup by trainModel; every number that resume needs lives in
 * `progress`, which the checkpoint stores.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatches } from '../data/data';
import { FILES } from '../storage/modelFolder';
import { commitModelDir, type ModelDirPlan } from '../storage/modelFolderSwap';
import { loadCheckpoint, saveCheckpoint, saveModel, saveModelMeta } from '../storage/store';
import { writeJsonAtomic } from '../storage/atomicFs';
import { DivergenceGuard, MAX_BAD_STEPS, ROLLBACK_LR_FACTOR, TrainingDivergedError } from './divergence';
import type { GradientReplica } from '../acceleration/gradientReplica';
import { evaluatePairs, teacherForcedScores, type Evaluation } from './evaluate';
import type { TaskKind } from '../config';
import type { Seq2SeqModel } from '../network/seq2seq';
import type { Example } from '../data/data';

/** Held-out windows a generation run decodes after each epoch (for the samples and BLEU; the loss uses all). */
const GENERATE_DEV_DECODE = 64;

/** n indices spread evenly over 0 .. length - 1 (held-out windows from every file, not the first file's). */
function spreadIndices(length: number, n: number): number[] {
  const k = Math.min(length, n);
  return Array.from({ length: k }, (_, i) => Math.floor((i * length) / k));
}

function teacherForcedMetrics(model: Seq2SeqModel, examples: Example[], batch: number): { loss: number; accuracy: number; perplexity: number } {
  const { loss, accuracy } = teacherForcedScores(model, examples, batch);
  return { loss, accuracy, perplexity: Math.exp(Math.min(loss, 50)) };
}
import { recentCheckpointsFor, type RecentCheckpoints } from './averaging';
import type { DevMetrics, TrainEndReason, TrainEpochEvent, TrainEvent } from './events';
import type { TrainOptions } from './options';
import { encodeExamples, type DevMetricKind, type RunSetup } from './setup';
import { trainOnBatch } from './steps';
import { budgetDecayFactor } from './lrSchedule';
import { stepDropoutSeed } from '../network/dropout';

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** The score the best model is chosen by: the task's metric decides; dev loss breaks ties (e.g. two perfect epochs). */
export function devScore(metric: DevMetricKind, dev: DevMetrics | null, trainLoss: number, task: TaskKind = 'pairs'): number {
  if (!dev) return -trainLoss;
  // Generation: how well held-out text is predicted (a continuation has no one right answer to match).
  if (task === 'generate') return -dev.loss;
  return (metric === 'per' ? -(dev.per + dev.wer / 10) : dev.bleu + dev.chrf / 10) - dev.loss * 1e-3;
}

/** Sums over the steps of one epoch. */
interface EpochTotals { lossSum: number; correctSum: number; tokenSum: number; complete: boolean }

export class TrainingRun {
  reason: TrainEndReason = 'completed';
  bestDev: DevMetrics | null;
  samplesDone = 0;
  tokensDone = 0;
  private stepsThisRun = 0;
  readonly runStart = Date.now();
  private lastCheckpoint = Date.now();
  private readonly elapsedBefore: number;
  private readonly budgetMs: number;
  private readonly checkpointEveryMs: number;
  readonly stepsPerEpoch: number;
  readonly guard = new DivergenceGuard();
  /** Where files go: the model folder, or until the first complete save a staging sibling (modelFolderSwap.ts). */
  plan: ModelDirPlan;
  /** The last checkpoints' weights, kept for averaging at the end (`averageLast`), else null. */
  readonly recent: RecentCheckpoints | null;

  constructor(
    readonly s: RunSetup, private readonly opts: TrainOptions, readonly replica: GradientReplica | null,
    private readonly onEvent: (e: TrainEvent) => void, private readonly signal?: AbortSignal,
  ) {
    const t = s.settings.train;
    this.bestDev = s.metricsFile.best?.dev ?? null;
    this.elapsedBefore = s.progress.elapsedMs;
    this.budgetMs = t.minutes > 0 ? t.minutes * 60_000 : Infinity;
    this.checkpointEveryMs = (opts.checkpointMinutes ?? 1) * 60_000;
    this.stepsPerEpoch = Math.ceil(s.examples.length / t.batch);
    this.plan = s.plan;
    this.recent = recentCheckpointsFor(opts.averageLast);
    if (!s.resuming) saveModelMeta(s.model, this.plan.writeDir, s.saveInfo);
  }

  /** After a save: the first complete one of a run into a staging folder swaps it in for the old model. */
  private committed(): void {
    this.plan = commitModelDir(this.plan);
  }

  elapsed(): number { return this.elapsedBefore + (Date.now() - this.runStart); }

  /** Runs epochs until the last one, the budget, a stop request or early stopping. */
  async runEpochs(): Promise<void> {
    const { progress, settings } = this.s;
    for (let epoch = progress.epoch; epoch < settings.train.epochs; epoch++) {
      const totals = await this.runEpoch(epoch);
      if (totals.complete) { progress.epoch = epoch + 1; progress.stepInEpoch = 0; } else { progress.epoch = epoch; }
      if (totals.tokenSum === 0 && !totals.complete) {
        // Stopped before any step of this epoch: still checkpoint so resume is exact.
        this.checkpoint();
        return;
      }
      const { lossSum, correctSum, tokenSum } = totals;
      this.onEvent(await this.endOfEpoch(epoch + 1, tokenSum ? lossSum / tokenSum : 0, tokenSum ? (100 * correctSum) / tokenSum : 0, totals.complete));
      if (!totals.complete) return;
      if (settings.train.patience > 0 && progress.badEpochs >= settings.train.patience) { this.reason = 'early-stopping'; return; }
    }
  }

  /** The steps of one epoch (from where a resumed run left off), with a step event every logEvery steps. */
  private async runEpoch(epoch: number): Promise<EpochTotals> {
    const { progress, settings, model, optimizer, examples } = this.s;
    const batches = makeBatches(examples, settings.train.batch, settings.train.seed, epoch);
    const totals: EpochTotals = { lossSum: 0, correctSum: 0, tokenSum: 0, complete: false };
    // The window since the previous step event: its speed, and its own mean loss and accuracy.
    const win = { time: Date.now(), samples: 0, tokens: 0, lossSum: 0, correct: 0 };
    for (let bi = progress.stepInEpoch; bi < batches.length; bi++) {
      if (this.signal?.aborted) { this.reason = 'stopped'; return totals; }
      if (this.elapsed() >= this.budgetMs) { this.reason = 'time-budget'; return totals; }
      optimizer.budgetFactor = budgetDecayFactor(settings.train.budgetDecay, this.elapsed() / this.budgetMs);
      const seed = stepDropoutSeed(settings.train.seed, progress.step);
      const { b, loss, correct, applied } = await trainOnBatch(model, optimizer, examples, batches[bi], this.replica, seed);
      progress.step++;
      progress.stepInEpoch = bi + 1;
      if (!applied) {
        // A non-finite loss or gradient: nothing was updated and the step adds nothing to the figures.
        const verdict = this.guard.afterStep(false);
        if (verdict === 'roll-back') this.rollBack(loss);
        if (verdict === 'stop') throw this.diverged(loss);
        await yieldToEventLoop();
        continue;
      }
      this.guard.afterStep(true);
      totals.lossSum += loss * b.targetTokens;
      totals.correctSum += correct;
      totals.tokenSum += b.targetTokens;
      this.samplesDone += b.batch;
      this.tokensDone += b.targetTokens;
      this.stepsThisRun++;
      win.samples += b.batch; win.tokens += b.targetTokens; win.lossSum += loss * b.targetTokens; win.correct += correct;
      if (progress.step % settings.train.logEvery === 0 || bi === batches.length - 1) {
        this.stepEvent(epoch, bi, win);
        Object.assign(win, { time: Date.now(), samples: 0, tokens: 0, lossSum: 0, correct: 0 });
      }
      if (Date.now() - this.lastCheckpoint > this.checkpointEveryMs) await this.midEpochCheckpoint(epoch);
      await yieldToEventLoop();
    }
    totals.complete = true;
    return totals;
  }

  private stepEvent(epoch: number, bi: number, win: { time: number; samples: number; tokens: number; lossSum: number; correct: number }): void {
    const { progress, settings, optimizer } = this.s;
    const secs = Math.max(1e-3, (Date.now() - win.time) / 1000);
    // ETA from the whole run's pace, which includes dev evaluation and checkpoints.
    const msPerStep = (Date.now() - this.runStart) / this.stepsThisRun;
    const remainingSteps = (settings.train.epochs - epoch) * this.stepsPerEpoch - (bi + 1);
    const etaMs = Math.min(Number.isFinite(this.budgetMs) ? this.budgetMs - this.elapsed() : Infinity, remainingSteps * msPerStep);
    this.onEvent({
      kind: 'step', epoch: epoch + 1, step: progress.step, stepInEpoch: bi + 1, stepsPerEpoch: this.stepsPerEpoch,
      loss: win.tokens ? win.lossSum / win.tokens : 0, accuracy: win.tokens ? (100 * win.correct) / win.tokens : 0, lr: optimizer.currentLr,
      samplesPerSec: win.samples / secs, targetTokensPerSec: win.tokens / secs,
      elapsedMs: this.elapsed(), etaMs: Math.max(0, etaMs), memoryMB: Math.round(process.memoryUsage().rss / 1048576),
    });
  }

  private async midEpochCheckpoint(epoch: number): Promise<void> {
    const { progress, model, saveInfo } = this.s;
    progress.epoch = epoch;
    this.checkpoint();
    // Until the first epoch has been scored, the latest weights are the model: a crash still leaves one to load.
    if (!existsSync(join(this.plan.writeDir, FILES.model))) await saveModel(model, this.plan.writeDir, saveInfo);
    this.committed();
  }

  /** The one way a checkpoint is written: weights, optimizer state and progress, so resume continues at exactly this step. */
  checkpoint(): void {
    const { progress, model, optimizer } = this.s;
    progress.elapsedMs = this.elapsed();
    progress.optimizerStep = optimizer.state.step;
    progress.adam = optimizer.settings;
    saveCheckpoint(this.plan.writeDir, model, optimizer.namedState(model.params), progress);
    this.guard.onCheckpoint();
    this.lastCheckpoint = Date.now();
  }

  /**
   * MAX_BAD_STEPS non-finite steps in a row: back to the last checkpoint's weights and optimizer
   * state, with a lower learning rate. The data goes on from where it is (the bad batches are not
   * met again at once). Without a checkpoint to go back to, the run stops.
   */
  private rollBack(loss: number): void {
    const { model, optimizer, progress } = this.s;
    if (!existsSync(join(this.plan.writeDir, FILES.checkpointDir, FILES.checkpointState))) throw this.diverged(loss);
    const ck = loadCheckpoint(this.plan.writeDir);
    try {
      for (const [name, v] of model.params) v.assign(ck.model.params.get(name)!);
      optimizer.restore(ck.state.optimizerStep, ck.optimizer);
    } finally {
      ck.model.dispose();
      for (const t of ck.optimizer.values()) t.dispose();
    }
    optimizer.lr = Math.max(optimizer.lr * ROLLBACK_LR_FACTOR, 1e-7);
    progress.lr = optimizer.lr;
    this.rolledBackTo = ck.state.step;
  }

  private rolledBackTo: number | null = null;

  private diverged(loss: number): TrainingDivergedError {
    const { progress, optimizer } = this.s;
    const what = Number.isFinite(loss) ? 'the gradient norm was not finite' : `the loss was ${loss}`;
    const tried = this.rolledBackTo !== null
      ? ` again after rolling back to the checkpoint of step ${this.rolledBackTo} with learning rate ${optimizer.lr.toPrecision(2)}`
      : existsSync(join(this.plan.writeDir, FILES.checkpointDir, FILES.checkpointState)) ? '' : ' and there is no checkpoint yet to roll back to';
    return new TrainingDivergedError(
      `training diverged at step ${progress.step}: ${what} for ${MAX_BAD_STEPS} steps in a row${tried}. ` +
      'Nothing non-finite was saved: the model and checkpoint on disk are the last good ones. Try a lower --lr or a smaller --clip.');
  }

  /** Dev evaluation, the best model, the learning-rate plateau, a checkpoint and metrics.json. */
  private async endOfEpoch(epoch: number, trainLoss: number, trainAcc: number, complete: boolean): Promise<TrainEpochEvent> {
    const { progress, settings, model, optimizer, saveInfo, metricsFile } = this.s;
    const evaluation = this.evaluateDev();
    const dev = evaluation?.metrics ?? null;
    const score = devScore(this.s.devMetric, dev, trainLoss, this.s.task);
    const isBest = progress.bestScore === null || score > progress.bestScore;
    if (isBest) {
      progress.bestScore = score;
      this.bestDev = dev;
      await saveModel(model, this.plan.writeDir, saveInfo);
    }
    // Plateau accounting looks at whole epochs only, so a stop-and-resume follows the same schedule.
    if (complete) this.updatePlateau(-(dev?.loss ?? trainLoss));
    progress.lr = optimizer.lr;
    this.checkpoint();
    this.recent?.remember(this.plan.writeDir, model, epoch, progress.step);
    const ev: TrainEpochEvent = {
      kind: 'epoch', epoch, epochs: settings.train.epochs, step: progress.step, trainLoss, trainAccuracy: trainAcc,
      dev, samples: evaluation?.samples ?? [], lr: optimizer.currentLr, elapsedMs: this.elapsed(), isBest, checkpointSaved: true,
    };
    metricsFile.history.push(ev);
    if (isBest) metricsFile.best = { epoch, dev };
    metricsFile.steps = progress.step;
    metricsFile.elapsedMs = this.elapsed();
    writeJsonAtomic(join(this.plan.writeDir, FILES.metrics), metricsFile);
    this.committed();
    return ev;
  }

  /** The model as it is now, scored on the dev pairs (loss on all, decoded metrics on the first maxDevDecode); null without dev pairs. */
  evaluateDev(): Evaluation | null {
    const { settings, model, devExamples, task } = this.s;
    if (!devExamples.length) return null;
    const batch = Math.max(64, settings.train.batch);
    if (task === 'generate') {
      // Loss on every held-out window; a few decoded, each one chunk long (open chunks never learn an end).
      const n = Math.min(this.opts.maxDevDecode ?? GENERATE_DEV_DECODE, GENERATE_DEV_DECODE);
      const spread = spreadIndices(devExamples.length, n);
      const ev = evaluatePairs(model, spread.map((i) => this.s.devKept[i]), spread.map((i) => devExamples[i]), { maxLength: settings.train.chunk }, batch);
      return { ...ev, metrics: { ...ev.metrics, ...teacherForcedMetrics(model, devExamples, batch) } };
    }
    const devSubset = this.s.devKept.slice(0, this.opts.maxDevDecode ?? 1000);
    const devSubsetEx = encodeExamples(devSubset, model.source, model.target, settings.train.maxLen, []);
    return evaluatePairs(model, devSubset, devSubsetEx, {}, batch);
  }

  /** Dev loss is the smooth signal for plateaus (decoded metrics can sit still for epochs early on). */
  private updatePlateau(plateauScore: number): void {
    const { progress, settings, optimizer } = this.s;
    if (progress.plateauBest === null || plateauScore > progress.plateauBest + 1e-4) {
      progress.plateauBest = plateauScore;
      progress.badEpochs = 0;
      progress.lrBadEpochs = 0;
      return;
    }
    progress.badEpochs++;
    progress.lrBadEpochs++;
    if (settings.train.lrPatience > 0 && progress.lrBadEpochs >= settings.train.lrPatience) {
      optimizer.lr = Math.max(optimizer.lr * 0.5, 1e-5);
      progress.lrBadEpochs = 0;
    }
  }
}
