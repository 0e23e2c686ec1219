/**
 * The one training loop, used by the CLI and the worker alike. Progress goes out through a single
 * callback (start, step, epoch, end events); an AbortSignal is checked between batches. After each
 * epoch (and when stopped or out of time) the dev set is scored, the best model is saved, and a
 * checkpoint with weights, optimizer state and data position is written, so `resume` continues at
 * exactly the checkpointed step. The parts: setup.ts (data, settings, model), run.ts (epochs,
 * end-of-epoch work, checkpoints), steps.ts (one optimisation step).
 */
import { BackendAbortedError, explainBackendError, initBackend, type BackendPreference } from '../acceleration/backend';
import { defaultTrainingThreads, GradientReplica, MIN_ROWS_PER_REPLICA } from '../acceleration/gradientReplica';
import type { TrainEndEvent, TrainEvent } from './events';
import type { TrainOptions } from './options';
import { TrainingRun } from './run';
import { prepareRun, type RunSetup } from './setup';
import { abandonModelDir } from '../storage/modelFolderSwap';
import { averageAtEnd } from './averaging';

export type { TrainOptions };
export { profilePairs, profileDataFile, resolveSettings } from './settingsFromData';
export { trainStep, trainStepParallel, trainOnBatch } from './steps';

export type TrainEventHandler = (e: TrainEvent) => void;

export async function trainModel(opts: TrainOptions, onEvent: TrainEventHandler, signal?: AbortSignal): Promise<TrainEndEvent> {
  const backend = await initBackend();
  const setup = await prepareRun(opts);
  let run: TrainingRun;
  let replica: GradientReplica | null = null;
  try {
    replica = await startReplica(setup, backend, opts.threads);
    run = new TrainingRun(setup, opts, replica, onEvent, signal);
  } catch (e) {
    await replica?.close();
    abandonModelDir(setup.plan);
    dispose(setup);
    throw e;
  }
  onEvent(startEvent(setup, run, backend));
  let averaged;
  try {
    await run.runEpochs();
    // A stopped run is resumed later; averaging is for the end of training.
    if (run.recent && run.reason !== 'stopped') averaged = await averageAtEnd(run, run.recent);
  } catch (caught) {
    await replica?.close();
    // A run into a staging folder that never completed a save leaves the old model as it was.
    abandonModelDir(run.plan);
    const e = explainBackendError(caught);
    onEvent(endEvent(run, 'error', (e as Error).message));
    if (!(e instanceof BackendAbortedError)) dispose(setup);
    throw e;
  }
  await replica?.close();
  abandonModelDir(run.plan);
  const end = { ...endEvent(run, run.reason), ...(averaged ? { averaged } : {}) };
  onEvent(end);
  dispose(setup);
  return end;
}

/** A second training thread when asked for (or by the acceleration's default) and the batch is big enough to split. */
async function startReplica(s: RunSetup, backend: string, threads: number | undefined): Promise<GradientReplica | null> {
  const wantThreads = threads ?? defaultTrainingThreads(backend);
  if (wantThreads < 2 || s.settings.train.batch < 2 * MIN_ROWS_PER_REPLICA) return null;
  // A second thread that cannot start only costs speed: training goes on with one.
  return GradientReplica.start(s.model, backend as BackendPreference).catch(() => null);
}

function startEvent(s: RunSetup, run: TrainingRun, backend: string): TrainEvent {
  return {
    kind: 'start', runId: `${Date.now().toString(36)}-${process.pid}`, modelDir: s.modelDir, backend, threads: run.replica ? 2 : 1,
    settings: s.settings, data: s.report, dev: { pairs: s.devExamples.length, file: s.devFile },
    sourceVocab: s.model.source.size, targetVocab: s.model.target.size, parameters: s.model.parameterCount,
    stepsPerEpoch: run.stepsPerEpoch, devMetric: s.devMetric,
    resumedFrom: s.resuming ? { epoch: s.progress.epoch, step: s.progress.step } : undefined,
  };
}

function endEvent(run: TrainingRun, reason: TrainEndEvent['reason'], error?: string): TrainEndEvent {
  const secs = Math.max(1e-3, (Date.now() - run.runStart) / 1000);
  const failed = reason === 'error';
  return {
    kind: 'end', reason, modelDir: run.s.modelDir, epochs: run.s.progress.epoch, steps: run.s.progress.step, elapsedMs: run.elapsed(),
    samplesPerSec: failed ? 0 : run.samplesDone / secs, targetTokensPerSec: failed ? 0 : run.tokensDone / secs, bestDev: run.bestDev,
    ...(error !== undefined ? { error } : {}),
  };
}

function dispose(s: RunSetup): void {
  s.model.dispose();
  s.optimizer.dispose();
}
