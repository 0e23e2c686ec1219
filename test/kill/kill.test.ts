/**
 * Kill tier (issue 12): `kill -9` the CLI at many moments of a first training, of retraining over an
 * existing model (--overwrite), of a resumed training and of export-job. After each kill the folder must load and
 * translate, or say clearly that nothing was saved yet; retraining must leave the old model or the
 * new one (told apart by their hidden size), never a mix; a run can always be resumed or restarted.
 * Half the kill moments are spread over a run's start (before its first save), half come shortly
 * after a save is seen on disk (so they land around the swap and later saves on any machine);
 * a fixed seed picks them. Nothing here is timed as an assertion.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { loadModel } from '../../src/model/storage/store';
import { translate } from '../../src/model/decoding/translate';
import { reversePairs } from '../helpers/tinyModel';

const CLI = resolve('dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'seq2seq-kill-'));
const data = join(root, 'rev.tsv');
writeFileSync(data, reversePairs(2000, 5).join('\n') + '\n');
const KILLS = Number(process.env.SEQ2SEQ_KILLS ?? 16);
const flags = (hidden: number, epochs: number) => ['--preset', 'fast', '--emb', '16', '--hidden', String(hidden), '--epochs', String(epochs), '--batch', '32', '--patience', '0', '--quiet'];
const NOTHING_SAVED = /nothing was saved yet|no such model folder/;

let seed = 2024;
const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };

/**
 * When to kill: `ms` after the start, or `ms` after `when()` first holds (polled every few ms: a
 * moment defined by what is on disk, such as the first save, whatever the machine's speed).
 */
type Moment = { ms: number; when?: () => boolean };

/** Runs the CLI and kills it with SIGKILL at the moment (if it is still running). Returns whether the kill landed. */
function runAndKill(args: string[], at: Moment): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    let exited = false;
    const kill = () => setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, at.ms);
    let poll: NodeJS.Timeout | undefined;
    if (at.when) poll = setInterval(() => { if (at.when!()) { clearInterval(poll); kill(); } }, 3);
    else kill();
    child.on('exit', (_code, signal) => { exited = true; clearInterval(poll); done(signal === 'SIGKILL'); });
  });
}

/** Kill moments: the first half spread over the run's start (before any save), the rest shortly after `marker` holds. */
function moment(i: number, span: number, marker: () => boolean, lateMs = 250): Moment {
  return i < KILLS / 2 ? { ms: Math.round((span * 0.5 * (i + random())) / (KILLS / 2)) } : { ms: Math.round(random() * lateMs), when: marker };
}

/** How long one uninterrupted run takes here (kill moments are spread over it). */
function timed(args: string[]): number {
  const t = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return Date.now() - t;
}

type Outcome = { state: 'model'; hidden: number } | { state: 'nothing-saved' };

/** What a reader finds in the folder after a kill; anything but a model or "nothing saved yet" fails the test. */
async function inspect(dir: string): Promise<Outcome> {
  let model;
  try { model = await loadModel(dir); } catch (e) {
    assert.match((e as Error).message, NOTHING_SAVED, `corrupt folder ${dir}: ${(e as Error).message}`);
    return { state: 'nothing-saved' };
  }
  try {
    const out = await translate(model, ['abc', 'hello'], { maxLength: 10 });
    assert.equal(out.length, 2);
    return { state: 'model', hidden: model.settings.model.hidden };
  } finally { model.dispose(); }
}

/** Nothing of a killed run lingers once a reader has looked: no temporaries, no staging folders. */
function assertNoDebris(dir: string): void {
  const tmp = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.tmp')) : []);
  assert.deepEqual([...tmp(dir), ...tmp(join(dir, 'checkpoint'))], [], `temporaries left in ${dir}`);
  const base = dir.split('/').pop()!;
  assert.deepEqual(readdirSync(join(dir, '..')).filter((f) => f.startsWith(`.${base}.`)), [], 'staging debris');
}

function report(t: TestContext, name: string, counts: Record<string, number>): void {
  t.diagnostic(`${name}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`[kill tier] ${name}: ${JSON.stringify(counts)}`);
}

test('first training: after kill -9 at any moment the folder loads and translates, or says nothing was saved yet; it can be resumed or retrained', { timeout: 600_000 }, async (t) => {
  const span = timed(['train', '--data', data, '--out', join(root, 'first-timing'), ...flags(32, 1)]);
  const counts = { kills: 0, finishedFirst: 0, model: 0, nothingSaved: 0, corrupt: 0 };
  for (let i = 0; i < KILLS; i++) {
    const out = join(root, `first-${i}`);
    const killed = await runAndKill(['train', '--data', data, '--out', out, ...flags(32, 4)], moment(i, span, () => existsSync(join(out, 'model.json'))));
    if (!killed) { counts.finishedFirst++; continue; }
    counts.kills++;
    const o = await inspect(out);
    if (o.state === 'model') counts.model++; else counts.nothingSaved++;
    assertNoDebris(out);
    // Whatever the kill left, the user can go on: resume a checkpoint, or start again without --overwrite when nothing was saved.
    const resumable = existsSync(join(out, 'checkpoint', 'state.json'));
    const next = resumable ? ['train', '--out', out, '--resume', '--epochs', '2', '--quiet'] : ['train', '--data', data, '--out', out, ...flags(32, 1)];
    if (i % 4 === 0 || !resumable) {
      const r = spawnSync(process.execPath, [CLI, ...next], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, `${next.join(' ')}: ${r.stderr}`);
      assert.equal((await inspect(out)).state, 'model');
    }
  }
  report(t, 'first training', counts);
  assert.ok(counts.kills >= KILLS / 2, JSON.stringify(counts));
  assert.ok(counts.model > 0 && counts.nothingSaved > 0, `kills spread over the run: ${JSON.stringify(counts)}`);
});

test('retraining over an existing model (--overwrite): after kill -9 at any moment the folder is the old model or the new one, never a mix', { timeout: 600_000 }, async (t) => {
  const old = join(root, 'old');
  timed(['train', '--data', data, '--out', old, ...flags(16, 1)]);
  const span = timed(['train', '--data', data, '--out', join(root, 'retrain-timing'), ...flags(24, 1)]);
  const counts = { kills: 0, finishedFirst: 0, old: 0, new: 0, corrupt: 0 };
  for (let i = 0; i < KILLS; i++) {
    const out = join(root, `retrain-${i}`);
    cpSync(old, out, { recursive: true });
    // Late kills: from the moment the staging folder holds its model (around the swap), or the swap is seen done.
    const staged = () => readdirSync(root).some((f) => f.startsWith(`.retrain-${i}.staging-`) && existsSync(join(root, f, 'model.json'))) ||
      (() => { try { return readFileSync(join(out, 'config.json'), 'utf8').includes('"hidden": 24'); } catch { return false; } })();
    const killed = await runAndKill(['train', '--data', data, '--out', out, '--overwrite', ...flags(24, 4)], moment(i, span, staged));
    if (!killed) { counts.finishedFirst++; continue; }
    counts.kills++;
    const o = await inspect(out);
    assert.equal(o.state, 'model', 'an existing model is never lost');
    if (o.state === 'model') { assert.ok(o.hidden === 16 || o.hidden === 24); if (o.hidden === 16) counts.old++; else counts.new++; }
    assertNoDebris(out);
    if (i % 4 === 0) {
      const r = spawnSync(process.execPath, [CLI, 'train', '--out', out, '--resume', '--epochs', '3', '--quiet'], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal((await inspect(out)).state, 'model');
    }
  }
  report(t, 'retraining with --overwrite', counts);
  assert.ok(counts.kills >= KILLS / 2, JSON.stringify(counts));
  assert.ok(counts.old > 0 && counts.new > 0, `kills landed before and after the swap: ${JSON.stringify(counts)}`);
});

test('resumed training: after kill -9 at any moment the folder loads and translates, and resumes again', { timeout: 600_000 }, async (t) => {
  const base = join(root, 'resume-base');
  timed(['train', '--data', data, '--out', base, ...flags(32, 1)]);
  const timing = join(root, 'resume-timing');
  cpSync(base, timing, { recursive: true });
  const span = timed(['train', '--out', timing, '--resume', '--epochs', '2', '--quiet']);
  const counts = { kills: 0, finishedFirst: 0, model: 0, corrupt: 0 };
  for (let i = 0; i < KILLS; i++) {
    const out = join(root, `resume-${i}`);
    cpSync(base, out, { recursive: true });
    const saved = () => { try { return readFileSync(join(out, 'metrics.json'), 'utf8').includes('"epoch": 2'); } catch { return false; } };
    const killed = await runAndKill(['train', '--out', out, '--resume', '--epochs', '5', '--quiet'], moment(i, span, saved));
    if (!killed) { counts.finishedFirst++; continue; }
    counts.kills++;
    assert.equal((await inspect(out)).state, 'model');
    counts.model++;
    assertNoDebris(out);
    if (i % 4 === 0) {
      const r = spawnSync(process.execPath, [CLI, 'train', '--out', out, '--resume', '--epochs', '3', '--quiet'], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
    }
  }
  report(t, 'resume', counts);
  assert.ok(counts.kills >= KILLS / 2, JSON.stringify(counts));
});

test('export-job: after kill -9 at any moment the job folder is absent or complete, and exporting again works', { timeout: 600_000 }, async (t) => {
  const big = join(root, 'big.tsv');
  writeFileSync(big, reversePairs(30000, 9).join('\n') + '\n');
  const args = (out: string) => ['export-job', '--data', big, '--out', out, '--preset', 'fast'];
  const span = timed(args(join(root, 'job-timing')));
  // leftTemporaries: the `.JOB.PID.tmp` folders killed exports leave beside the job (export-job does not clean those of others).
  const counts = { kills: 0, finishedFirst: 0, complete: 0, absent: 0, corrupt: 0, leftTemporaries: 0 };
  for (let i = 0; i < KILLS; i++) {
    const out = join(root, `job-${i}`);
    const writing = () => readdirSync(root).some((f) => f.startsWith(`.job-${i}.`));
    // Writing the job takes a few tens of milliseconds: late kills come within that.
    const killed = await runAndKill(args(out), moment(i, span, writing, 40));
    if (!killed) { counts.finishedFirst++; continue; }
    counts.kills++;
    counts.leftTemporaries += readdirSync(root).filter((f) => f.startsWith(`.job-${i}.`)).length;
    if (existsSync(out)) counts.complete++;
    else {
      counts.absent++;
      const r = spawnSync(process.execPath, [CLI, ...args(out)], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
    }
    // Complete: job.json names its files, all there, one line of ids per training pair.
    const job = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')) as { files: Record<string, string>; trainPairs: number };
    for (const f of Object.values(job.files)) assert.ok(existsSync(join(out, f)), `${out}: ${f} missing`);
    assert.equal(readFileSync(join(out, job.files.train), 'utf8').split('\n').filter(Boolean).length, job.trainPairs);
  }
  report(t, 'export-job', counts);
  assert.ok(counts.kills >= KILLS / 2, JSON.stringify(counts));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
