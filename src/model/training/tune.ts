/**
 * `tune`: a time-boxed search over architectures and sizes by successive halving. Trials are drawn
 * from a search space (tuneSpace.ts), each trained by the one training loop (`trainModel`) into its
 * own model folder under DIR/trials; after each round the best 1 in `keep` continue from their
 * checkpoints with more time (successiveHalving.ts). Everything is written as it happens: the
 * state (DIR/tune.json), the table (DIR/trials.txt, .tsv) and the best model so far (DIR/best), so
 * Ctrl+C or a kill loses at most the current trial's last minute, and `resume` skips what is done.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeSettings, validateSettings, DEFAULT_SETTINGS, type SettingsOverrides, type TaskKind } from '../config';
import { BackendAbortedError } from '../acceleration/backend';
import { DataError } from '../data/data';
import { FILES, readJson } from '../storage/modelFolder';
import { writeFileAtomic, writeJsonAtomic } from '../storage/atomicFs';
import { devMetricsSchema } from '../storage/fileSchemas';
import { settleModelFolder, stagingDirFor, swapIn } from '../storage/modelFolderSwap';
import { anything, list, nullable, num, obj, oneOf, optional, str, type Schema } from '../storage/schema';
import type { TrainEvent } from './events';
import { devScore } from './run';
import { trainModel } from './train';
import { best, chooseTrials, planRounds, trialMinutes, type HalvingPlan } from './successiveHalving';
import type { TrialRecord, TuneEndEvent, TuneEndReason, TuneEvent, TuneTrialEvent } from './tuneEvents';
import { checkSpace, DEFAULT_SPACE, drawTrials, overridesOf, SpaceError, variedSettings, type SearchSpace } from './tuneSpace';
import { formatTable, trialRows, tsvTable } from './tuneTable';

export interface TuneOptions {
  dataFile: string;
  devFile?: string;
  outDir: string;
  /** Wall-clock minutes for the whole search (a resumed tune counts its earlier sessions). */
  minutes: number;
  /** The space (default DEFAULT_SPACE); on resume, the one saved in DIR unless given (then it must be the same). */
  space?: SearchSpace;
  /** Draws the trials and orders the data (every trial holds out the same dev pairs). */
  seed?: number;
  resume: boolean;
  task?: TaskKind;
  threads?: number;
}

export const TUNE_FILES = { state: 'tune.json', table: 'trials.txt', tsv: 'trials.tsv', trials: 'trials', best: 'best' } as const;
const FORMAT = 1;
/** Below this, a trial would not finish a useful number of steps: the tune ends instead. */
const MIN_TRIAL_MINUTES = 0.05;
const DEFAULT_OVERHEAD_MS = 5000;

export class TuneError extends Error {
  constructor(message: string) { super(message); this.name = 'TuneError'; }
}

/** DIR/tune.json: everything a resumed tune needs. */
interface TuneState {
  formatVersion: number;
  dataFile: string;
  devFile?: string;
  task?: TaskKind;
  seed: number;
  minutes: number;
  space: SearchSpace;
  plan: HalvingPlan;
  round: number;
  /** Wall time of all sessions so far. */
  elapsedMs: number;
  /** Time each trial run spent outside training (data, model, dev scoring), to plan the rest. */
  overheadMs: number[];
  devMetric: 'bleu' | 'per' | null;
  trials: TrialRecord[];
  best: { id: string; score: number } | null;
  ended?: TuneEndReason;
}

const trialSchema: Schema<TrialRecord> = obj({
  id: str({ nonEmpty: true, max: 20 }), group: str(), values: anything as Schema<TrialRecord['values']>, round: num({ int: true, min: 0 }),
  status: oneOf(['waiting', 'running', 'trained', 'finished', 'dropped', 'failed', 'stopped'] as const),
  steps: num({ min: 0 }), epochs: num({ min: 0 }), elapsedMs: num({ min: 0 }), targetMinutes: nullable(num()),
  bestDev: nullable(devMetricsSchema), score: nullable(num()), error: optional(str()),
}) as unknown as Schema<TrialRecord>;

const stateSchema: Schema<TuneState> = obj({
  formatVersion: num({ int: true, min: 1, max: FORMAT }), dataFile: str({ nonEmpty: true }), devFile: optional(str()), seed: num({ int: true, min: 0 }),
  minutes: num({ above: 0 }), space: (v: unknown) => checkSpace(v, 'space'),
  plan: obj({ sizes: list(num({ int: true, min: 1 }), { min: 1 }), units: list(num({ min: 0 }), { min: 1 }) }),
  round: num({ int: true, min: 0 }), elapsedMs: num({ min: 0 }), overheadMs: list(num({ min: 0 })),
  devMetric: nullable(oneOf(['bleu', 'per'] as const)), trials: list(trialSchema, { min: 1 }),
  best: nullable(obj({ id: str({ nonEmpty: true }), score: num() })),
}) as unknown as Schema<TuneState>;

const needsTraining = (t: TrialRecord) => t.status === 'waiting' || t.status === 'running' || t.status === 'stopped';

export async function tune(opts: TuneOptions, onEvent: (e: TuneEvent) => void, signal?: AbortSignal): Promise<TuneEndEvent> {
  const dir = resolve(opts.outDir);
  const state = openState(dir, opts);
  const resumed = state.elapsedMs > 0 || state.trials.some((t) => t.status !== 'waiting');
  settleModelFolder(join(dir, TUNE_FILES.best));
  const sessionStart = Date.now();
  const before = state.elapsedMs;
  const wall = () => before + (Date.now() - sessionStart);
  const remaining = () => state.minutes * 60_000 - wall();
  const saveState = () => { state.elapsedMs = wall(); writeJsonAtomic(join(dir, TUNE_FILES.state), state); };
  const emitTrial = (t: TrialRecord, change: TuneTrialEvent['change']) => onEvent({ kind: 'trial', change, trial: { ...t }, devMetric: state.devMetric, elapsedMs: wall(), remainingMs: Math.max(0, remaining()) });
  saveState();
  onEvent({
    kind: 'tune-start', dir, minutes: state.minutes, rounds: state.plan.sizes, varied: variedSettings(state.space),
    trials: state.trials.map((t) => ({ ...t })), resumed, elapsedMs: before,
  });

  let reason: TuneEndReason = 'completed';
  rounds: for (let round = state.round; round < state.plan.sizes.length; round++) {
    state.round = round;
    for (const t of state.trials) {
      if (t.round !== round || !needsTraining(t)) continue;
      if (signal?.aborted) { reason = 'stopped'; break rounds; }
      const waiting = state.trials.filter((x) => x.round === round && needsTraining(x)).length;
      const overhead = state.overheadMs.length ? state.overheadMs.reduce((a, b) => a + b, 0) / state.overheadMs.length : DEFAULT_OVERHEAD_MS;
      // An interrupted trial keeps the target it was given; a new one gets its share of the time left.
      const target = t.targetMinutes !== null && t.status !== 'waiting'
        ? t.targetMinutes
        : t.elapsedMs / 60_000 + trialMinutes(state.plan, round, waiting, remaining(), overhead);
      if (target - t.elapsedMs / 60_000 < MIN_TRIAL_MINUTES) { reason = 'time-budget'; break rounds; }
      t.targetMinutes = target;
      const outcome = await runTrial(dir, state, t, opts, signal, (change) => { saveState(); emitTrial(t, change); });
      if (outcome === 'stopped') { reason = 'stopped'; break rounds; }
    }
    if (round + 1 < state.plan.sizes.length) {
      const done = state.trials.filter((t) => t.round === round && (t.status === 'trained' || t.status === 'finished'));
      const next = new Set(best(done, state.plan.sizes[round + 1]).map((t) => t.id));
      for (const t of done) {
        if (next.has(t.id)) { t.round = round + 1; t.targetMinutes = null; if (t.status === 'trained') t.status = 'waiting'; } else t.status = 'dropped';
      }
      state.round = round + 1;
      saveState();
      for (const t of done) emitTrial(t, 'round');
      onEvent({ kind: 'round', round, promoted: [...next] });
    }
  }
  state.ended = reason;
  saveState();
  const table = writeTables(dir, state);
  const bestTrial = state.best ? state.trials.find((t) => t.id === state.best!.id) ?? null : null;
  const end: TuneEndEvent = {
    kind: 'tune-end', reason, dir, best: bestTrial && { ...bestTrial }, bestDir: bestTrial ? join(dir, TUNE_FILES.best) : null,
    elapsedMs: wall(), table, trials: state.trials.map((t) => ({ ...t })),
  };
  onEvent(end);
  return end;
}

/** Trains one trial for its round: in a hidden staging folder until its first round is done, then in DIR/trials/<id>. */
async function runTrial(
  dir: string, state: TuneState, t: TrialRecord, opts: TuneOptions, signal: AbortSignal | undefined,
  changed: (change: 'start' | 'epoch' | 'end') => void,
): Promise<'done' | 'stopped' | 'failed'> {
  const final = join(dir, TUNE_FILES.trials, t.id);
  const staging = join(dir, TUNE_FILES.trials, `.${t.id}.partial`);
  const folder = existsSync(final) ? final : staging;
  const resume = existsSync(join(folder, FILES.checkpointDir, FILES.checkpointState));
  // A staging folder killed before its first checkpoint holds nothing worth keeping.
  if (!resume && folder === staging) rmSync(staging, { recursive: true, force: true });
  if (!resume && folder === final) {
    t.status = 'failed';
    t.error = `${final} has no checkpoint to continue from`;
    changed('end');
    return 'failed';
  }
  mkdirSync(join(dir, TUNE_FILES.trials), { recursive: true });
  t.status = 'running';
  changed('start');
  const started = Date.now();
  const trainedBefore = t.elapsedMs;
  const settings: SettingsOverrides = mergeOverrides(overridesOf(state.space.fixed), overridesOf(t.values), {
    // The time budget ends each round; epochs only bound it. One seed: every trial holds out the same dev pairs.
    train: { minutes: t.targetMinutes!, epochs: 100_000, seed: state.seed },
  });
  const onTrainEvent = (e: TrainEvent) => {
    if (e.kind === 'start') state.devMetric = e.devMetric;
    if (e.kind !== 'epoch') return;
    t.steps = e.step;
    t.epochs = e.epoch;
    t.elapsedMs = e.elapsedMs;
    if (e.isBest) { t.bestDev = e.dev; t.score = scoreOf(state, e.dev); }
    changed('epoch');
  };
  let end;
  try {
    end = await trainModel({
      dataFile: state.dataFile, devFile: state.devFile, modelDir: folder, preset: state.space.preset, settings, resume,
      task: state.task, threads: opts.threads,
    }, onTrainEvent, signal);
  } catch (e) {
    // Bad data fails every trial alike, and after a wasm abort nothing more can run here.
    if (e instanceof DataError || e instanceof BackendAbortedError) { t.status = 'failed'; t.error = (e as Error).message; changed('end'); throw e; }
    t.status = 'failed';
    t.error = (e as Error).message;
    changed('end');
    return 'failed';
  }
  t.steps = end.steps;
  t.epochs = end.epochs;
  t.elapsedMs = end.elapsedMs;
  t.lastReason = end.reason;
  if (end.bestDev) { t.bestDev = end.bestDev; t.score = scoreOf(state, end.bestDev); }
  state.overheadMs.push(Math.max(0, Date.now() - started - (end.elapsedMs - trainedBefore)));
  if (end.reason === 'stopped') { t.status = 'stopped'; changed('end'); return 'stopped'; }
  t.status = end.reason === 'time-budget' ? 'trained' : 'finished';
  if (folder === staging) renameSync(staging, final);
  if (t.score !== null && (state.best === null || t.score > state.best.score || state.best.id === t.id)) {
    publishBest(final, join(dir, TUNE_FILES.best));
    state.best = { id: t.id, score: t.score };
  }
  changed('end');
  writeTables(dir, state);
  return 'done';
}

/**
 * DIR/best becomes a copy of the trial's model without its checkpoint (DIR/best is for using, the
 * trial's folder for continuing), swapped in as one unit: readers see the old best or the new one.
 */
function publishBest(trialDir: string, dest: string): void {
  settleModelFolder(dest);
  const staging = stagingDirFor(dest);
  rmSync(staging, { recursive: true, force: true });
  cpSync(trialDir, staging, { recursive: true, filter: (from) => from !== join(trialDir, FILES.checkpointDir) });
  swapIn(staging, dest);
}

function scoreOf(state: TuneState, dev: TrialRecord['bestDev']): number | null {
  return dev && state.devMetric ? devScore(state.devMetric, dev, 0, state.task) : null;
}

function mergeOverrides(...all: SettingsOverrides[]): SettingsOverrides {
  const out: Record<string, object> = {};
  for (const o of all) for (const [k, v] of Object.entries(o)) out[k] = { ...(out[k] ?? {}), ...v };
  return out as SettingsOverrides;
}

function writeTables(dir: string, state: TuneState): string {
  const rows = trialRows(state.trials, variedSettings(state.space), state.devMetric, state.best?.id ?? null);
  const table = formatTable(rows);
  writeFileAtomic(join(dir, TUNE_FILES.table), table);
  writeFileAtomic(join(dir, TUNE_FILES.tsv), tsvTable(rows));
  return table;
}

/** A new tune in an empty (or new) DIR, or the one saved there when resuming; refuses a mismatch, naming it. */
function openState(dir: string, opts: TuneOptions): TuneState {
  if (!(opts.minutes > 0) || !Number.isFinite(opts.minutes)) throw new TuneError(`minutes: must be a number above 0 (got ${opts.minutes})`);
  const stateFile = join(dir, TUNE_FILES.state);
  const dataFile = resolve(opts.dataFile);
  const devFile = opts.devFile ? resolve(opts.devFile) : undefined;
  if (existsSync(stateFile)) {
    if (!opts.resume) throw new TuneError(`${dir} holds a tune already: add --resume to continue it, or choose another --out`);
    const s = readJson(stateFile, 'the tune state (tune.json)', stateSchema);
    if (opts.dataFile && s.dataFile !== dataFile) throw new TuneError(`--data ${dataFile} is not the data of the tune in ${dir} (${s.dataFile})`);
    if (opts.devFile !== undefined && s.devFile !== devFile) throw new TuneError(`--dev ${devFile} is not the dev set of the tune in ${dir} (${s.devFile ?? 'held out from --data'})`);
    if (opts.space && JSON.stringify(opts.space) !== JSON.stringify(s.space)) throw new TuneError(`--space differs from the space of the tune in ${dir}; resume without --space`);
    if (opts.seed !== undefined && opts.seed !== s.seed) throw new TuneError(`--seed ${opts.seed} is not the seed of the tune in ${dir} (${s.seed})`);
    s.minutes = opts.minutes;
    delete s.ended;
    return s;
  }
  if (opts.resume) throw new TuneError(`${dir}: there is no tune to resume (no ${TUNE_FILES.state})`);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new TuneError(`${dir} holds other files: choose a new or empty folder for the tune`);
  if (!opts.dataFile) throw new TuneError('a tune needs a data file');
  if (!existsSync(dataFile)) throw new DataError(`${dataFile}: no such data file`, dataFile);
  const space = opts.space ?? DEFAULT_SPACE;
  const seed = opts.seed ?? DEFAULT_SETTINGS.train.seed;
  const n = space.trials || chooseTrials(opts.minutes, space.keep, space.growth);
  const draws = drawTrials(space, n, seed);
  draws.forEach((d, i) => {
    try {
      validateSettings(mergeSettings(DEFAULT_SETTINGS, overridesOf(space.fixed), overridesOf(d.values)));
    } catch (e) {
      throw new SpaceError(`trial ${i} of the space (${JSON.stringify(d.values)}): ${(e as Error).message}`);
    }
  });
  mkdirSync(dir, { recursive: true });
  const trials: TrialRecord[] = draws.map((d, i) => ({
    id: `t${String(i).padStart(2, '0')}`, group: d.group, values: d.values, round: 0, status: 'waiting',
    steps: 0, epochs: 0, elapsedMs: 0, targetMinutes: null, bestDev: null, score: null,
  }));
  return {
    formatVersion: FORMAT, dataFile, devFile, task: opts.task, seed, minutes: opts.minutes, space, plan: planRounds(n, space.keep, space.growth),
    round: 0, elapsedMs: 0, overheadMs: [], devMetric: null, trials, best: null,
  };
}
