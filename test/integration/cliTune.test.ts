/** `seq2seq tune` from the command line: a short search prints and saves its table; Ctrl+C keeps it; bad input says what is wrong. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { reversePairs } from '../helpers/tinyModel';

const CLI = resolve('dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'seq2seq-cli-tune-'));
const data = join(dir, 'reverse.tsv');
writeFileSync(data, reversePairs(300, 2).join('\n') + '\n');
const space = join(dir, 'space.json');
writeFileSync(space, JSON.stringify({
  preset: 'fast', trials: 3, fixed: { 'model.emb': 8, 'model.bidirectional': false, 'train.batch': 16 },
  groups: [{ name: 'tiny', settings: { 'model.hidden': [16, 24], 'train.lr': { min: 0.001, max: 0.01, log: true } } }],
}));
const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'tune', ...args], { encoding: 'utf8', timeout: 300_000 });

test('bad input: a clear message naming the flag or the field, and nothing written', () => {
  const noMinutes = run(['--data', data, '--out', join(dir, 'x')]);
  assert.equal(noMinutes.status, 2);
  assert.match(noMinutes.stderr, /tune needs --minutes M/);
  assert.match(run(['--data', data, '--out', join(dir, 'x'), '--minutes', 'soon']).stderr, /--minutes needs a number \(got "soon"\)/);
  const badSpace = join(dir, 'bad.json');
  writeFileSync(badSpace, JSON.stringify({ groups: [{ name: 'g', settings: { 'model.hidden': [0] } }] }));
  const r = run(['--data', data, '--out', join(dir, 'x'), '--minutes', '1', '--space', badSpace]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.json\.groups\[0\]\.settings\.model\.hidden\[0\]: must be a whole number from 4 to 4096 \(got 0\)/);
  assert.equal(existsSync(join(dir, 'x')), false);
  assert.match(run(['--data', join(dir, 'missing.tsv'), '--out', join(dir, 'y'), '--minutes', '1']).stderr, /missing\.tsv: no such data file/);
});

test('a short tune prints the table of trials and saves it, with the best model in DIR/best', () => {
  const out = join(dir, 'tune');
  const r = run(['--data', data, '--out', out, '--minutes', '1', '--space', space, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /starting a tune of 1 min .*rounds of 3 → 1 trials, varying model\.hidden, train\.lr/);
  const table = readFileSync(join(out, 'trials.txt'), 'utf8');
  assert.ok(r.stdout.startsWith(table), 'the printed table is the saved one');
  assert.match(table, /^trial\s+round\s+status\s+hidden\s+lr\s+steps\s+PER\s+WER\s+time$/m);
  for (const id of ['t00', 't01', 't02']) assert.match(table, new RegExp(`^${id}`, 'm'));
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.best_dir, join(out, 'best'));
  assert.ok(existsSync(join(out, 'best', 'model.json')));
  const translated = spawnSync(process.execPath, [CLI, 'translate', '--model', join(out, 'best')], { input: 'abc\n', encoding: 'utf8' });
  assert.equal(translated.status, 0, translated.stderr);
});

test('Ctrl+C stops the tune after the current batch and keeps it; --resume continues', async () => {
  const out = join(dir, 'stopped');
  const child = spawn(process.execPath, [CLI, 'tune', '--data', data, '--out', out, '--minutes', '2', '--space', space], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  let sent = false;
  await new Promise<void>((ok) => child.stderr.on('data', (d) => {
    stderr += d;
    // Once the second trial has started, the first is done. One Ctrl+C (a second one quits at once).
    if (!sent && /t01 round 0: training/.test(stderr)) { sent = true; child.kill('SIGINT'); ok(); }
  }));
  const code = await new Promise<number | null>((ok) => child.on('exit', ok));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /Stopping after this batch/);
  assert.match(stderr, /tune stopped/);
  assert.match(stdout, /^t00 /m);
  const state = JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8')) as { trials: { id: string; status: string }[] };
  assert.ok(['trained', 'finished'].includes(state.trials[0].status));
  const again = run(['--out', out, '--minutes', '2', '--data', data]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /holds a tune already: add --resume/);
  const resumed = spawnSync(process.execPath, [CLI, 'tune', '--out', out, '--minutes', '0.01', '--resume'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming a tune/);
  assert.doesNotMatch(resumed.stderr, /t00 round 0: training/, 'the done trial is not trained again');
});
