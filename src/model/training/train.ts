/**
 * The one training loop, used by the CLI and the worker alike. Progress goes out through a single
 * callback (start, step, epoch, end events); an AbortSignal is checked between batches. After each
 * epoch (and when stopped or out of time) the dev set is scored, the best model is saved, and a
 * checkpoint with weights, optimizer state and data position is written, so `resume` continues at
 * exactly the checkpointed step.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackendAbortedError, explainBackendError, initBackend, nativeKernelsStatus, tf, type BackendPreference } from '../acceleration/backend';
import {
  DEFAULT_SETTINGS, mergeSettings, presetOverrides, validateSettings,
  type DataProfile, type PresetName, type TaskKind, type Seq2SeqSettings, type SettingsOverrides, type TokenizerKind, type TokenizerSettings,
} from '../config';
import { DataError, makeBatches, padBatch, readGenerationPairs, readPairs, splitDev, type BatchArrays, type Example, type Pair } from '../data/data';
import { evaluatePairs } from './evaluate';
import type { DataReport, DevMetrics, SkippedLine, TrainEndEvent, TrainEndReason, TrainEpochEvent, TrainEvent } from './events';
import { FILES, readConfig, readMetrics, type MetricsFile } from '../storage/modelFolder';
import { Adam } from './optimizer';
import { loadCheckpoint, saveCheckpoint, saveModel, saveModelMeta, type CheckpointProgress } from '../storage/store';
import { BOS, EOS, Seq2SeqModel } from '../network/seq2seq';
import { chooseTokenizerKind, DEFAULT_SUBWORD_VOCAB, detectTokenizerKind, Vocabulary } from '../data/tokenizer';
import { writeJsonAtomic } from '../storage/atomicFs';
import type { TrainOptions } from './options';

export type { TrainOptions };
import { batchGradients } from './gradients';
import { defaultTrainingThreads, GradientReplica, MIN_ROWS_PER_REPLICA } from '../acceleration/gradientReplica';


export type TrainEventHandler = (e: TrainEvent) => void;

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

function percentile95(lengths: number[]): number {
  if (!lengths.length) return 0;
  const s = [...lengths].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
}

/** What the presets look at, measured on (the first 5,000 of) the pairs with the tokenisers that will be used. */
export function profilePairs(pairs: Pair[], overrides?: SettingsOverrides): { profile: DataProfile; source: TokenizerSettings; target: TokenizerSettings } {
  const sample = pairs.slice(0, 5000);
  const merged = mergeSettings(DEFAULT_SETTINGS, overrides);
  // Each side's tokeniser: the user's kind, else chosen from the data; a subword vocabulary without an
  // explicit size gets DEFAULT_SUBWORD_VOCAB pieces (the general default of 20000 is meant for words).
  const sideSettings = (side: 'source' | 'target'): TokenizerSettings => {
    const kind = overrides?.[side]?.kind ?? chooseTokenizerKind(sample.map((p) => p[side]), pairs.length);
    const maxVocab = overrides?.[side]?.maxVocab ?? (kind === 'subword' ? DEFAULT_SUBWORD_VOCAB : merged[side].maxVocab);
    return { ...merged[side], kind, maxVocab };
  };
  const source = sideSettings('source');
  const target = sideSettings('target');
  // Probed with the tokenisers training will use (a subword vocabulary of 4000 pieces is not one of 20000).
  const probeS = Vocabulary.build(sample.map((p) => p.source), source);
  const probeT = Vocabulary.build(sample.map((p) => p.target), target);
  const profile: DataProfile = {
    pairs: pairs.length,
    sourceVocab: probeS.size,
    targetVocab: probeT.size,
    sourceLen95: percentile95(sample.map((p) => probeS.tokenize(p.source).length)),
    targetLen95: percentile95(sample.map((p) => probeT.tokenize(p.target).length)),
  };
  return { profile, source, target };
}

/** The profile of a data file, for showing what a preset will pick before training starts. */
export async function profileDataFile(file: string, task: TaskKind = 'pairs'): Promise<DataProfile> {
  const read = task === 'generate' ? await readGenerationPairs(file) : await readPairs(file);
  return profilePairs(read.pairs).profile;
}

/** Settings from defaults, the preset (sized from the data), and explicit overrides, in that order. */
export function resolveSettings(pairs: Pair[], preset: PresetName, overrides: SettingsOverrides | undefined): Seq2SeqSettings {
  const { profile, source, target } = profilePairs(pairs, overrides);
  return validateSettings(mergeSettings(DEFAULT_SETTINGS, { source, target }, presetOverrides(preset, profile), overrides));
}

/** A word-level side whose texts are white-space separated symbols (phonemes) keeps them as they are. */
function buildVocabulary(texts: string[], side: TokenizerSettings): Vocabulary {
  const whitespaceOnly = side.kind === 'word' && detectTokenizerKind(texts.slice(0, 5000)).whitespaceOnly;
  return Vocabulary.build(texts, side, whitespaceOnly);
}

function encodeExamples(pairs: Pair[], src: Vocabulary, tgt: Vocabulary, maxLen: number, skipped: SkippedLine[]): Example[] {
  const out: Example[] = [];
  for (const p of pairs) {
    const s = src.encode(p.source);
    const t = tgt.encode(p.target);
    if (s.length > maxLen || t.length > maxLen) {
      skipped.push({ line: p.line, reason: `longer than ${maxLen} tokens (source ${s.length}, target ${t.length})` });
      continue;
    }
    out.push({ src: s, tgt: t, line: p.line });
  }
  return out;
}

function devScore(metric: 'bleu' | 'per', dev: DevMetrics | null, trainLoss: number): number {
  if (!dev) return -trainLoss;
  // The task's metric decides; dev loss breaks ties (e.g. two epochs that are both perfect).
  return (metric === 'per' ? -(dev.per + dev.wer / 10) : dev.bleu + dev.chrf / 10) - dev.loss * 1e-3;
}

export async function trainModel(opts: TrainOptions, onEvent: TrainEventHandler, signal?: AbortSignal): Promise<TrainEndEvent> {
  const backend = await initBackend();
  const modelDir = resolve(opts.modelDir);
  const resuming = opts.resume && existsSync(join(modelDir, FILES.checkpointDir, FILES.checkpointState));
  if (opts.resume && !resuming) throw new DataError(`${modelDir}: there is no checkpoint to resume from`);
  const previous = resuming ? readConfig(modelDir) : null;
  const task = opts.task ?? previous?.task ?? 'pairs';
  const dataFile = resolve(opts.dataFile || previous?.dataFile || '');
  const devFile = opts.devFile ? resolve(opts.devFile) : previous?.devFile;

  const read = task === 'generate' ? await readGenerationPairs(dataFile) : await readPairs(dataFile);
  let settings: Seq2SeqSettings;
  if (previous) {
    // A resumed run keeps its architecture; only the budget (epochs, minutes) may change.
    settings = validateSettings(mergeSettings(previous.settings, { train: { epochs: opts.settings?.train?.epochs, minutes: opts.settings?.train?.minutes } }));
  } else {
    settings = resolveSettings(read.pairs, opts.preset ?? 'balanced', opts.settings);
  }
  let trainPairs = read.pairs;
  let devPairs: Pair[] = [];
  if (devFile) devPairs = (await readPairs(devFile)).pairs;
  else ({ train: trainPairs, dev: devPairs } = splitDev(read.pairs, settings.train.devFraction, settings.train.seed));

  let model: Seq2SeqModel;
  const optimizer = new Adam(settings.train.lr);
  let progress: CheckpointProgress = {
    epoch: 0, step: 0, stepInEpoch: 0, optimizerStep: 0, lr: settings.train.lr, bestScore: null, plateauBest: null, badEpochs: 0, lrBadEpochs: 0, elapsedMs: 0,
  };
  if (resuming) {
    const ck = loadCheckpoint(modelDir);
    model = ck.model;
    optimizer.restore(ck.state.optimizerStep, ck.optimizer);
    progress = { ...ck.state };
    optimizer.lr = progress.lr;
  } else {
    model = Seq2SeqModel.create(settings, buildVocabulary(trainPairs.map((p) => p.source), settings.source), buildVocabulary(trainPairs.map((p) => p.target), settings.target));
  }
  const lengthSkips: SkippedLine[] = [];
  const examples = encodeExamples(trainPairs, model.source, model.target, settings.train.maxLen, lengthSkips);
  const devExamples = encodeExamples(devPairs, model.source, model.target, settings.train.maxLen, []);
  const devKeptLines = new Set(devExamples.map((e) => e.line));
  const devKept = devPairs.filter((p) => devKeptLines.has(p.line));
  if (examples.length === 0) {
    model.dispose();
    throw new DataError(`${dataFile}: every pair is longer than maxLen ${settings.train.maxLen} tokens; raise maxLen`, dataFile, lengthSkips[0]?.line);
  }
  const report: DataReport = {
    ...read.report,
    pairs: examples.length,
    skipped: read.report.skipped + lengthSkips.length,
    skippedLines: [...read.report.skippedLines, ...lengthSkips].sort((a, b) => a.line - b.line).slice(0, 20),
  };
  const devMetricKind: 'bleu' | 'per' = model.target.kind === 'word' && model.target.whitespaceOnly ? 'per' : model.target.kind === 'char' && task === 'pairs' && !trainPairs.slice(0, 200).some((p) => /\s/.test(p.target)) ? 'per' : 'bleu';

  mkdirSync(modelDir, { recursive: true });
  const createdAt = previous?.createdAt ?? new Date().toISOString();
  const saveInfo = { config: { task, devMetric: devMetricKind, dataFile, devFile, trainPairs: examples.length, createdAt } };
  const metricsFile: MetricsFile = resuming ? (readMetrics(modelDir) ?? { history: [], best: null, steps: 0, elapsedMs: 0 }) : { history: [], best: null, steps: 0, elapsedMs: 0 };
  if (!resuming) saveModelMeta(model, modelDir, saveInfo);

  const stepsPerEpoch = Math.ceil(examples.length / settings.train.batch);
  const wantThreads = opts.threads ?? defaultTrainingThreads(backend, nativeKernelsStatus().active);
  let replica: GradientReplica | null = null;
  if (wantThreads >= 2 && settings.train.batch >= 2 * MIN_ROWS_PER_REPLICA) {
    // A second thread that cannot start only costs speed: training goes on with one.
    replica = await GradientReplica.start(model, backend as BackendPreference).catch(() => null);
  }
  const runId = `${Date.now().toString(36)}-${process.pid}`;
  onEvent({
    kind: 'start', runId, modelDir, backend, threads: replica ? 2 : 1, settings, data: report,
    dev: { pairs: devExamples.length, file: devFile }, sourceVocab: model.source.size, targetVocab: model.target.size,
    parameters: model.parameterCount, stepsPerEpoch, devMetric: devMetricKind,
    resumedFrom: resuming ? { epoch: progress.epoch, step: progress.step } : undefined,
  });

  const budgetMs = settings.train.minutes > 0 ? settings.train.minutes * 60_000 : Infinity;
  const checkpointEveryMs = (opts.checkpointMinutes ?? 1) * 60_000;
  let lastCheckpoint = Date.now();
  let reason: TrainEndReason = 'completed';
  let bestDev: DevMetrics | null = metricsFile.best?.dev ?? null;
  let samplesDone = 0;
  let stepsThisRun = 0;
  let tokensDone = 0;
  const runStart = Date.now();
  const elapsedBefore = progress.elapsedMs;
  const elapsed = () => elapsedBefore + (Date.now() - runStart);

  const endOfEpochWork = async (epoch: number, trainLoss: number, trainAcc: number, complete: boolean): Promise<TrainEpochEvent> => {
    const devSubset = devKept.slice(0, opts.maxDevDecode ?? 1000);
    const devSubsetEx = encodeExamples(devSubset, model.source, model.target, settings.train.maxLen, []);
    const evaluation = devExamples.length ? evaluatePairs(model, devSubset, devSubsetEx, {}, Math.max(64, settings.train.batch)) : null;
    const dev = evaluation?.metrics ?? null;
    const score = devScore(devMetricKind, dev, trainLoss);
    const isBest = progress.bestScore === null || score > progress.bestScore;
    if (isBest) {
      progress.bestScore = score;
      bestDev = dev;
      await saveModel(model, modelDir, saveInfo);
    }
    // Plateau accounting looks at whole epochs only, so a stop-and-resume follows the same schedule.
    if (complete) {
      // Dev loss is the smooth signal for plateaus (decoded metrics can sit still for epochs early on).
      const plateauScore = -(dev?.loss ?? trainLoss);
      if (progress.plateauBest === null || plateauScore > progress.plateauBest + 1e-4) {
        progress.plateauBest = plateauScore;
        progress.badEpochs = 0;
        progress.lrBadEpochs = 0;
      } else {
        progress.badEpochs++;
        progress.lrBadEpochs++;
        if (settings.train.lrPatience > 0 && progress.lrBadEpochs >= settings.train.lrPatience) {
          optimizer.lr = Math.max(optimizer.lr * 0.5, 1e-5);
          progress.lrBadEpochs = 0;
        }
      }
    }
    progress.lr = optimizer.lr;
    progress.elapsedMs = elapsed();
    progress.optimizerStep = optimizer.state.step;
    saveCheckpoint(modelDir, model, optimizer.namedState(model.params), progress);
    lastCheckpoint = Date.now();
    const ev: TrainEpochEvent = {
      kind: 'epoch', epoch, epochs: settings.train.epochs, step: progress.step, trainLoss, trainAccuracy: trainAcc,
      dev, samples: evaluation?.samples ?? [], lr: optimizer.lr, elapsedMs: elapsed(), isBest, checkpointSaved: true,
    };
    metricsFile.history.push(ev);
    if (isBest) metricsFile.best = { epoch, dev };
    metricsFile.steps = progress.step;
    metricsFile.elapsedMs = elapsed();
    writeJsonAtomic(join(modelDir, FILES.metrics), metricsFile);
    return ev;
  };

  try {
    let stopNow = false;
    for (let epoch = progress.epoch; epoch < settings.train.epochs && !stopNow; epoch++) {
      const batches = makeBatches(examples, settings.train.batch, settings.train.seed, epoch);
      let lossSum = 0;
      let correctSum = 0;
      let tokenSum = 0;
      // The window since the previous step event: its speed, and its own mean loss and accuracy.
      const win = { time: Date.now(), steps: 0, samples: 0, tokens: 0, lossSum: 0, correct: 0 };
      for (let bi = progress.stepInEpoch; bi < batches.length; bi++) {
        if (signal?.aborted) { reason = 'stopped'; stopNow = true; break; }
        if (elapsed() >= budgetMs) { reason = 'time-budget'; stopNow = true; break; }
        const { b, loss, correct } = await trainOnBatch(model, optimizer, examples, batches[bi], replica);
        progress.step++;
        progress.stepInEpoch = bi + 1;
        lossSum += loss * b.targetTokens;
        correctSum += correct;
        tokenSum += b.targetTokens;
        samplesDone += b.batch;
        tokensDone += b.targetTokens;
        stepsThisRun++;
        win.steps++; win.samples += b.batch; win.tokens += b.targetTokens; win.lossSum += loss * b.targetTokens; win.correct += correct;
        if (progress.step % settings.train.logEvery === 0 || bi === batches.length - 1) {
          const secs = Math.max(1e-3, (Date.now() - win.time) / 1000);
          // ETA from the whole run's pace, which includes dev evaluation and checkpoints.
          const msPerStep = (Date.now() - runStart) / stepsThisRun;
          const remainingSteps = (settings.train.epochs - epoch) * stepsPerEpoch - (bi + 1);
          const etaMs = Math.min(Number.isFinite(budgetMs) ? budgetMs - elapsed() : Infinity, remainingSteps * msPerStep);
          onEvent({
            kind: 'step', epoch: epoch + 1, step: progress.step, stepInEpoch: bi + 1, stepsPerEpoch,
            loss: win.tokens ? win.lossSum / win.tokens : 0, accuracy: win.tokens ? (100 * win.correct) / win.tokens : 0, lr: optimizer.lr,
            samplesPerSec: win.samples / secs, targetTokensPerSec: win.tokens / secs,
            elapsedMs: elapsed(), etaMs: Math.max(0, etaMs), memoryMB: Math.round(process.memoryUsage().rss / 1048576),
          });
          Object.assign(win, { time: Date.now(), steps: 0, samples: 0, tokens: 0, lossSum: 0, correct: 0 });
        }
        if (Date.now() - lastCheckpoint > checkpointEveryMs) {
          progress.epoch = epoch;
          progress.elapsedMs = elapsed();
          progress.optimizerStep = optimizer.state.step;
          saveCheckpoint(modelDir, model, optimizer.namedState(model.params), progress);
          // Until the first epoch has been scored, the latest weights are the model: a crash still leaves one to load.
          if (!existsSync(join(modelDir, FILES.model))) await saveModel(model, modelDir, saveInfo);
          lastCheckpoint = Date.now();
        }
        await yieldToEventLoop();
      }
      const complete = progress.stepInEpoch >= batches.length;
      if (complete) { progress.epoch = epoch + 1; progress.stepInEpoch = 0; } else { progress.epoch = epoch; }
      if (tokenSum === 0 && !complete) {
        // Stopped before any step of this epoch: still checkpoint so resume is exact.
        progress.elapsedMs = elapsed();
        progress.optimizerStep = optimizer.state.step;
        saveCheckpoint(modelDir, model, optimizer.namedState(model.params), progress);
        break;
      }
      const ev = await endOfEpochWork(epoch + 1, tokenSum ? lossSum / tokenSum : 0, tokenSum ? (100 * correctSum) / tokenSum : 0, complete);
      onEvent(ev);
      if (complete && settings.train.patience > 0 && progress.badEpochs >= settings.train.patience) { reason = 'early-stopping'; break; }
    }
  } catch (caught) {
    await replica?.close();
    const e = explainBackendError(caught);
    const end: TrainEndEvent = {
      kind: 'end', reason: 'error', modelDir, epochs: progress.epoch, steps: progress.step, elapsedMs: elapsed(),
      samplesPerSec: 0, targetTokensPerSec: 0, bestDev, error: (e as Error).message,
    };
    onEvent(end);
    if (!(e instanceof BackendAbortedError)) { model.dispose(); optimizer.dispose(); }
    throw e;
  }
  await replica?.close();
  const secs = Math.max(1e-3, (Date.now() - runStart) / 1000);
  const end: TrainEndEvent = {
    kind: 'end', reason, modelDir, epochs: progress.epoch, steps: progress.step, elapsedMs: elapsed(),
    samplesPerSec: samplesDone / secs, targetTokensPerSec: tokensDone / secs, bestDev,
  };
  onEvent(end);
  model.dispose();
  optimizer.dispose();
  return end;
}

/** One optimisation step on a padded batch; returns the batch's mean loss and its correct-token count. */
export function trainStep(model: Seq2SeqModel, optimizer: Adam, b: BatchArrays): { loss: number; correct: number } {
  const { loss, correct, grads } = batchGradients(model, b);
  optimizer.apply(model.params, Object.fromEntries(grads), model.settings.train.clipNorm);
  for (const g of grads.values()) g.dispose();
  return { loss, correct };
}

/**
 * One optimisation step on two halves of a batch, the second half's gradients computed by the
 * replica on another thread at the same time. Combined weighted by target tokens, the gradients
 * are those of the whole batch's mean loss, so the step equals trainStep on the whole batch.
 */
export async function trainStepParallel(
  model: Seq2SeqModel, optimizer: Adam, mine: BatchArrays, theirs: BatchArrays, replica: GradientReplica,
): Promise<{ loss: number; correct: number }> {
  const vars = [...model.params.values()];
  const weights = vars.map((v) => ownedFloats(v));
  const targetTokens = theirs.targetTokens;
  const remote = replica.gradients(weights, theirs);
  let local: ReturnType<typeof batchGradients> | null = null;
  try {
    local = batchGradients(model, mine);
    const r = await remote;
    const n1 = mine.targetTokens;
    const n2 = targetTokens;
    const w1 = n1 / (n1 + n2);
    const w2 = n2 / (n1 + n2);
    const combined: Record<string, tf.Tensor> = {};
    [...model.params.keys()].forEach((name, i) => {
      const g1 = local!.grads.get(name)!;
      combined[name] = tf.tidy(() => tf.add(tf.mul(g1, w1), tf.mul(tf.tensor(r.grads[i], g1.shape), w2)));
    });
    optimizer.apply(model.params, combined, model.settings.train.clipNorm);
    for (const g of Object.values(combined)) g.dispose();
    return { loss: local.loss * w1 + r.loss * w2, correct: local.correct + r.correct };
  } finally {
    if (local) for (const g of local.grads.values()) g.dispose();
    else remote.catch(() => { /* the local error is the one reported */ });
  }
}

/** A tensor's values in a buffer of their own (safe to transfer to another thread). */
function ownedFloats(t: tf.Tensor): Float32Array {
  const a = t.dataSync() as Float32Array;
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && tf.getBackend() === 'wasm' ? a : a.slice();
}

/**
 * The step the training loop takes for one batch of example indices: split across two threads when
 * a replica is running and the batch is big enough, else on this thread. Rows are dealt alternately
 * so both halves have nearly the same lengths and hence the same work.
 */
export async function trainOnBatch(
  model: Seq2SeqModel, optimizer: Adam, examples: Example[], idx: number[], replica: GradientReplica | null,
): Promise<{ b: { batch: number; targetTokens: number }; loss: number; correct: number }> {
  if (!replica || idx.length < 2 * MIN_ROWS_PER_REPLICA) {
    const b = padBatch(examples, idx, BOS, EOS);
    return { b, ...trainStep(model, optimizer, b) };
  }
  const mine = padBatch(examples, idx.filter((_, i) => i % 2 === 0), BOS, EOS);
  const theirs = padBatch(examples, idx.filter((_, i) => i % 2 === 1), BOS, EOS);
  const b = { batch: idx.length, targetTokens: mine.targetTokens + theirs.targetTokens };
  return { b, ...(await trainStepParallel(model, optimizer, mine, theirs, replica)) };
}
