/**
 * A real tune on the reverse toy task (every trial trained by trainModel): interrupted in the
 * middle of a trial, then resumed. The resumed tune skips the trials that were done and continues
 * the interrupted one from its checkpoint; each round keeps the best trials by the dev metric;
 * every trial is a model folder; DIR/best is the best trial's model; the table lists every trial.
 * Budgets are minutes, but nothing here asserts a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tune, TUNE_FILES, TuneError } from '../../src/model/training/tune';
import type { TrialRecord, TuneEvent, TuneRoundEvent } from '../../src/model/training/tuneEvents';
import { checkSpace } from '../../src/model/training/tuneSpace';
import { devScore } from '../../src/model/training/run';
import { FILES, readMetrics, readModelSummary } from '../../src/model/storage/modelFolder';
import { reversePairs } from '../helpers/tinyModel';

const dir = mkdtempSync(join(tmpdir(), 'tune-'));
const data = join(dir, 'reverse.tsv');
writeFileSync(data, reversePairs(300, 3).join('\n') + '\n');
const out = join(dir, 'tune');
// Tiny models whose learning rates differ by a lot: their dev scores differ.
const space = checkSpace({
  preset: 'fast', trials: 4, keep: 2, growth: 2, includePreset: false,
  // No early stopping: every trial trains its whole budget, and the best continue from their checkpoints.
  fixed: { 'model.emb': 8, 'model.layers': 1, 'model.bidirectional': false, 'train.batch': 16, 'train.logEvery': 5, 'train.patience': 0 },
  groups: [{ name: 'tiny', settings: { 'model.hidden': [16, 24], 'model.cell': ['lstm', 'gru'], 'train.lr': { min: 0.0003, max: 0.02, log: true } } }],
});
const options = { dataFile: data, outDir: out, minutes: 1.2, space, seed: 4, threads: 1 };

const session1: TuneEvent[] = [];
const session2: TuneEvent[] = [];
const starts = (evs: TuneEvent[]) => evs.flatMap((e) => (e.kind === 'trial' && e.change === 'start' ? [`${e.trial.id}@${e.trial.round}`] : []));

test('a tune stopped in the middle of a trial keeps what was done', async () => {
  const controller = new AbortController();
  const end = await tune({ ...options, resume: false }, (e) => {
    session1.push(e);
    // Stop the third trial after its first epoch: it has a checkpoint to continue from.
    if (e.kind === 'trial' && e.change === 'epoch' && e.trial.id === 't02') controller.abort();
  }, controller.signal);
  assert.equal(end.reason, 'stopped');
  assert.deepEqual(starts(session1), ['t00@0', 't01@0', 't02@0']);
  const byId = Object.fromEntries(end.trials.map((t) => [t.id, t]));
  // Trained for the round, or converged (early stopping) on this small task.
  for (const id of ['t00', 't01']) assert.ok(['trained', 'finished'].includes(byId[id].status), `${id}: ${byId[id].status}`);
  assert.equal(byId.t02.status, 'stopped');
  assert.equal(byId.t03.status, 'waiting');
  // Done trials are whole model folders; the interrupted one waits, unpublished, with its checkpoint.
  for (const id of ['t00', 't01']) assert.ok(readModelSummary(join(out, TUNE_FILES.trials, id)).complete);
  assert.ok(existsSync(join(out, TUNE_FILES.trials, '.t02.partial', FILES.checkpointDir, FILES.checkpointState)));
  assert.ok(!existsSync(join(out, TUNE_FILES.trials, 't02')));
  assert.ok(existsSync(join(out, TUNE_FILES.best, FILES.model)), 'the best so far is published');
  assert.ok(!existsSync(join(out, TUNE_FILES.best, FILES.checkpointDir)), 'without its checkpoint');
  assert.match(readFileSync(join(out, TUNE_FILES.table), 'utf8'), /t02 .*stopped/);
  await assert.rejects(tune({ ...options, resume: false }, () => {}), (e: Error) => e instanceof TuneError && /holds a tune already: add --resume/.test(e.message));
  await assert.rejects(tune({ ...options, seed: 5, resume: true }, () => {}), /--seed 5 is not the seed of the tune/);
});

test('a resumed tune skips done trials and continues the interrupted one from its checkpoint', async () => {
  const before = JSON.parse(readFileSync(join(out, TUNE_FILES.state), 'utf8')) as { trials: TrialRecord[] };
  const stopped = before.trials.find((t) => t.id === 't02')!;
  const historyBefore = readMetrics(join(out, TUNE_FILES.trials, '.t02.partial'))!.history;
  assert.ok(stopped.steps > 0 && historyBefore.length >= 1);
  const end = await tune({ ...options, space: undefined, resume: true }, (e) => session2.push(e));
  assert.ok(end.reason === 'completed' || end.reason === 'time-budget', end.reason);
  const round0 = starts(session2).filter((s) => s.endsWith('@0'));
  assert.deepEqual(round0, ['t02@0', 't03@0'], 'only the trials not done yet train in round 0');
  const resumedStart = session2.find((e) => e.kind === 'trial' && e.change === 'start' && e.trial.id === 't02');
  assert.equal(resumedStart && resumedStart.kind === 'trial' && resumedStart.trial.steps, stopped.steps, 'it starts where it stopped');
  const history = readMetrics(join(out, TUNE_FILES.trials, 't02'))!.history;
  assert.deepEqual(history[0], historyBefore[0], 'its first epoch is the one of the first session: continued, not restarted');
  const all = [...starts(session1), ...starts(session2)];
  assert.equal(all.filter((s) => s === 't02@0').length, 2, 'the interrupted trial, once in each session');
  assert.equal(new Set(all.filter((s) => s !== 't02@0')).size, all.length - 2, 'no other trial trained a round twice');
});

test('each round keeps the best trials by the dev metric; DIR/best is the best trial\'s model', () => {
  const state = JSON.parse(readFileSync(join(out, TUNE_FILES.state), 'utf8')) as { trials: TrialRecord[]; plan: { sizes: number[] }; devMetric: 'per' | 'bleu' };
  assert.deepEqual(state.plan.sizes, [4, 2, 1]);
  const rounds = session2.filter((e): e is TuneRoundEvent => e.kind === 'round');
  assert.ok(rounds.length >= 1, 'round 0 ended');
  // Scores as the training loop defines them, recomputed from each trial's best dev metrics.
  const scoreAt = new Map<string, number>();
  for (const e of [...session1, ...session2]) {
    if (e.kind === 'trial' && e.change === 'end' && e.trial.round === 0 && e.trial.bestDev) scoreAt.set(e.trial.id, devScore(state.devMetric, e.trial.bestDev, 0));
  }
  assert.equal(scoreAt.size, 4, 'every first-round trial has a dev score');
  const promoted = rounds[0].promoted;
  assert.equal(promoted.length, 2);
  const dropped = [...scoreAt.keys()].filter((id) => !promoted.includes(id));
  for (const p of promoted) for (const d of dropped) assert.ok(scoreAt.get(p)! >= scoreAt.get(d)!, `${p} (${scoreAt.get(p)}) goes on, ${d} (${scoreAt.get(d)}) does not`);
  for (const d of dropped) assert.equal(state.trials.find((t) => t.id === d)!.status, 'dropped');
  const last = state.trials.filter((t) => t.round === state.plan.sizes.length - 1);
  if (rounds.length === 2) assert.equal(last.length, 1);
  // Every trial is a normal model folder with its metrics; none is left half-made.
  assert.deepEqual(readdirSync(join(out, TUNE_FILES.trials)).sort(), ['t00', 't01', 't02', 't03']);
  for (const t of state.trials) {
    const folder = join(out, TUNE_FILES.trials, t.id);
    assert.ok(readModelSummary(folder).complete);
    assert.ok(readMetrics(folder)!.history.length >= 1);
  }
  const bestTrial = [...state.trials].sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity))[0];
  assert.ok(readFileSync(join(out, TUNE_FILES.best, FILES.weights)).equals(readFileSync(join(out, TUNE_FILES.trials, bestTrial.id, FILES.weights))), `DIR/best holds ${bestTrial.id}`);
  const table = readFileSync(join(out, TUNE_FILES.table), 'utf8');
  for (const t of state.trials) assert.match(table, new RegExp(`^${t.id}`, 'm'));
  assert.match(table, new RegExp(`^${bestTrial.id} \\*`, 'm'), 'the best is marked');
  assert.match(readFileSync(join(out, TUNE_FILES.tsv), 'utf8'), /^trial\tround\tstatus\thidden\tcell\tlr\tsteps\tPER\tWER\ttime\tbest$/m);
});
