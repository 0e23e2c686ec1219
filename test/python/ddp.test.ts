/**
 * The issue's commands end to end on two CPU processes: `seq2seq export-job`, then torchrun (through
 * seq2seq_torch.launch, for Debian 12's torch 1.13) running seq2seq_torch.train with DDP; the folder
 * it writes works with `seq2seq eval` and `translate`; the same seed gives the same weights; a worker
 * killed with SIGKILL is restarted by torchrun and the run resumes from its last checkpoint and finishes;
 * and our engine resumes a PyTorch run from its checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, dataSlices, launchArgs, lastJsonLine, py, pyBackground, pythonSkipReason } from './pythonEnv';

const skip = pythonSkipReason();
const data = skip ? null : dataSlices(3000, 300);
const job = data ? join(data.dir, 'JOB') : '';

test('export-job writes the settings, tokenisers, data as ids and a README', { skip }, () => {
  const r = cli(['export-job', '--data', data!.train, '--dev', data!.dev, '--out', job, '--hidden', '64', '--emb', '32', '--epochs', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3000 training pairs, 300 dev pairs/);
  assert.deepEqual(readdirSync(job).sort(), ['README.md', 'dev.jsonl', 'job.json', 'tokenizers.json', 'train.jsonl']);
  const meta = JSON.parse(readFileSync(join(job, 'job.json'), 'utf8'));
  assert.equal(meta.format, 'seq2seq-training-job');
  assert.equal(meta.settings.model.hidden, 64);
  assert.equal(meta.settings.train.epochs, 2);
  assert.match(readFileSync(join(job, 'README.md'), 'utf8'), /torchrun --standalone --nproc-per-node K -m seq2seq_torch\.train JOB --out MODEL/);
  const again = cli(['export-job', '--data', data!.train, '--out', job]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /JOB: already exists; choose a new folder for the job/);
});

test('bad input: export-job and the training script name the file (and line) at fault', { skip }, () => {
  const bad = join(data!.dir, 'bad.tsv');
  writeFileSync(bad, 'no tabs here\n');
  const r = cli(['export-job', '--data', bad, '--out', join(data!.dir, 'BAD-JOB')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.tsv: no usable pairs in 1 line/);
  assert.ok(!existsSync(join(data!.dir, 'BAD-JOB')));
  const broken = join(data!.dir, 'BROKEN-JOB');
  cpSync(job, broken, { recursive: true });
  appendFileSync(join(broken, 'train.jsonl'), '{"src": [1, 2], "tgt": [99999]}\n');
  const lines = readFileSync(join(broken, 'train.jsonl'), 'utf8').trim().split('\n').length;
  const t = py(['-m', 'seq2seq_torch.train', broken, '--out', join(data!.dir, 'never')]);
  assert.notEqual(t.status, 0);
  assert.match(t.stderr, new RegExp(`BROKEN-JOB/train\\.jsonl: line ${lines}: "tgt" must be ids below the vocabulary size`));
  assert.ok(!existsSync(join(data!.dir, 'never')));
});

function trainTwoProcesses(out: string, extra: string[] = []): Record<string, unknown> {
  const r = py([...launchArgs(), '-m', 'seq2seq_torch.train', job, '--out', out, '--json', '--quiet', ...extra]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return lastJsonLine(r.stdout);
}

test('torchrun on 2 processes writes our model folder; seq2seq eval agrees with its dev metrics', { skip }, () => {
  const model = join(data!.dir, 'MODEL');
  const summary = trainTwoProcesses(model);
  assert.equal(summary.processes, 2);
  assert.equal(summary.reason, 'completed');
  for (const f of ['model.json', 'weights.bin', 'tokenizers.json', 'config.json', 'metrics.json']) assert.ok(existsSync(join(model, f)), f);
  const metrics = JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8'));
  assert.equal(metrics.history.length, 2);
  const ev = cli(['eval', '--model', model, '--data', data!.dev, '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  const engine = JSON.parse(ev.stdout);
  for (const k of ['loss', 'accuracy', 'per', 'wer', 'bleu', 'chrf']) {
    assert.ok(Math.abs(engine[k] - metrics.best.dev[k]) < 1e-4, `${k}: engine ${engine[k]}, PyTorch ${metrics.best.dev[k]}`);
  }
  const tr = cli(['translate', '--model', model], 'hello\nworld\n');
  assert.equal(tr.status, 0, tr.stderr);
  assert.equal(tr.stdout.split('\n').length, 3);

  const twin = join(data!.dir, 'MODEL-again');
  trainTwoProcesses(twin);
  assert.ok(readFileSync(join(model, 'weights.bin')).equals(readFileSync(join(twin, 'weights.bin'))), 'the same seed should give the same weights');

  // The checkpoint is in the engine's layout: our engine resumes the PyTorch run for one more epoch.
  const more = cli(['train', '--resume', '--out', model, '--epochs', '3', '--quiet', '--json']);
  assert.equal(more.status, 0, more.stderr);
  assert.equal(lastJsonLine(more.stdout).epochs, 3);
  assert.equal(JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8')).history.length, 3);
});

/** The torchrun workers (children of the launcher) by their RANK. */
function workers(launcherPid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== launcherPid) continue;
      const rank = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').find((e) => e.startsWith('RANK='));
      if (rank) out.set(rank.slice(5), Number(d));
    } catch { /* the process ended meanwhile */ }
  }
  return out;
}

test('SIGKILL of one rank: torchrun restarts the workers, they resume from the last checkpoint and finish', { skip }, async () => {
  const model = join(data!.dir, 'MODEL-killed');
  const run = pyBackground([...launchArgs(), '--max-restarts', '1', '-m', 'seq2seq_torch.train', job, '--out', model, '--epochs', '5', '--checkpoint-steps', '10', '--json']);
  const state = join(model, 'checkpoint', 'state.json');
  let killedAt = -1;
  const deadline = Date.now() + 120_000;
  while (killedAt < 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(state)) continue;
    const step = JSON.parse(readFileSync(state, 'utf8')).step as number;
    const rank1 = workers(run.child.pid!).get('1');
    if (step >= 20 && rank1) { process.kill(rank1, 'SIGKILL'); killedAt = step; }
  }
  const r = await run.done;
  assert.ok(killedAt > 0, `never reached a checkpoint to kill after:\n${r.stderr.slice(-3000)}`);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.match(r.stderr, /\(restart 1\)/);
  const resumed = /resumed at epoch (\d+) step (\d+)/.exec(r.stderr);
  assert.ok(resumed && Number(resumed[2]) >= killedAt, `should resume from the checkpoint at or after step ${killedAt}:\n${r.stderr.slice(-3000)}`);
  const summary = lastJsonLine(r.stdout);
  const metrics = JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8'));
  assert.equal(summary.reason, 'completed');
  assert.equal(metrics.history.length, 5);
  // Each of the 2 processes takes half the job's batch and half the pairs, every epoch.
  const batch = JSON.parse(readFileSync(join(job, 'job.json'), 'utf8')).settings.train.batch as number;
  assert.equal(metrics.steps, 5 * Math.ceil(Math.ceil(3000 / 2) / (batch / 2)));
  // Whole: no temporary files left, one checkpoint, and the engine reads the folder.
  const leftovers = [...readdirSync(model), ...readdirSync(join(model, 'checkpoint'))].filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, []);
  assert.equal(readdirSync(join(model, 'checkpoint')).length, 3);
  const tr = cli(['translate', '--model', model], 'hello\n');
  assert.equal(tr.status, 0, tr.stderr);
});
