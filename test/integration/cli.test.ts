/** The CLI end to end on a slice of the real CMUdict data: train, translate, eval, and its errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const CLI = resolve('dist/cli.js');
const DATA = resolve('../shared/data/cmudict-g2p');
const dir = mkdtempSync(join(tmpdir(), 'seq2seq-cli-'));
const haveData = existsSync(join(DATA, 'train.tsv'));
const slice = (file: string, n: number, every = 1) => readFileSync(join(DATA, file), 'utf8').split('\n').filter((_, i) => i % every === 0).slice(0, n);
const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 300_000 });

const model = join(dir, 'g2p');
let trained = false;

test('train on a slice of CMUdict prints progress and ends with a JSON line of figures', { skip: !haveData && 'shared data missing' }, () => {
  const train = join(dir, 'train.tsv');
  writeFileSync(train, slice('train.tsv', 3000, 30).join('\n') + '\n');
  const r = run(['train', '--data', train, '--out', model, '--preset', 'fast', '--epochs', '4', '--hidden', '96', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  for (const k of ['backend', 'steps', 'epochs', 'samples_per_s', 'target_tokens_per_s']) assert.ok(k in summary, `missing ${k}`);
  assert.equal(summary.epochs, 4);
  assert.ok(summary.steps >= 4 * 40 && summary.samples_per_s > 0 && summary.target_tokens_per_s > summary.samples_per_s);
  assert.match(r.stderr, /backend wasm/);
  assert.match(r.stderr, /epoch 4: train loss/);
  trained = true;
});

test('translate reads stdin and writes one output per line; n-best prints scores', { skip: !haveData && 'shared data missing' }, () => {
  assert.ok(trained);
  const r = run(['translate', '--model', model], 'hello\nworld\n\ncat\n');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(0, -1);
  assert.equal(lines.length, 4);
  assert.equal(lines[2], '');
  for (const l of [lines[0], lines[1], lines[3]]) assert.match(l, /^[A-Z]+( [A-Z]+)*$/);
  const nb = run(['translate', '--model', model, '--beam', '4', '--n-best', '3'], 'hello\n');
  assert.equal(nb.stdout.trim().split('\n').length, 3);
  for (const l of nb.stdout.trim().split('\n')) assert.match(l, /^0\t[A-Z ]+\t-\d+\.\d{4}$/);
});

test('beam-5 finds at least greedy\'s mean log-probability on real words', { skip: !haveData && 'shared data missing' }, () => {
  assert.ok(trained);
  const words = slice('dev.tsv', 200).map((l) => l.split('\t')[0]).join('\n') + '\n';
  const mean = (args: string[]) => {
    const r = run(['translate', '--model', model, '--json', '--length-penalty', '0', ...args], words);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    return rows.reduce((a, row) => a + row.hypotheses[0].logProb, 0) / rows.length;
  };
  const greedy = mean([]);
  const beam = mean(['--beam', '5']);
  assert.ok(beam >= greedy - 1e-9, `beam ${beam} < greedy ${greedy}`);
});

test('eval --json prints n, accuracy, bleu, chrf, per, wer as percentages', { skip: !haveData && 'shared data missing' }, () => {
  assert.ok(trained);
  const dev = join(dir, 'dev.tsv');
  writeFileSync(dev, slice('dev.tsv', 300).join('\n') + '\n');
  const r = run(['eval', '--model', model, '--data', dev, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.equal(m.n, 300);
  for (const k of ['accuracy', 'bleu', 'chrf', 'per', 'wer']) assert.ok(m[k] >= 0 && m[k] <= 100, `${k}=${m[k]}`);
  assert.ok(m.per < 80, `a trained model should beat chance: PER ${m.per}`);
});

test('bad input: clear errors naming the file and line, exit codes 1 (error) and 2 (usage)', () => {
  const bad = join(dir, 'bad.tsv');
  writeFileSync(bad, 'no tabs here\nnor here\n');
  const r = run(['train', '--data', bad, '--out', join(dir, 'bad-model')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`seq2seq: error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no usable pairs in 2 lines \\(line 1: no tab`));
  const u = run(['train', '--data', bad]);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /train needs --out DIR/);
  const flag = run(['train', '--data', bad, '--out', 'x', '--hidden', 'big']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /--hidden needs a number/);
  const settings = run(['train', '--data', join(DATA, 'dev.tsv'), '--out', join(dir, 's'), '--layers', '9']);
  assert.equal(settings.status, 1);
  assert.match(settings.stderr, /model.layers: must be a whole number from 1 to 4 \(got 9\)/);
  const missing = run(['translate', '--model', join(dir, 'no-such-model')], 'x\n');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such model folder/);
});

test('help lists every command', () => {
  const out = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  for (const c of ['train', 'translate', 'eval', 'generate', 'demo']) assert.match(out, new RegExp(`seq2seq ${c}`));
});

test('generate: a model trained on plain text (--task generate) continues a prompt, reproducibly per seed', () => {
  const text = join(dir, 'notes.txt');
  const lines = Array.from({ length: 300 }, (_, i) => (i % 2 ? 'the quick brown fox' : 'jumps over the lazy dog'));
  writeFileSync(text, lines.join('\n') + '\n');
  const out = join(dir, 'gen');
  const r = run(['train', '--task', 'generate', '--data', text, '--out', out, '--preset', 'fast', '--epochs', '12', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const gen = (seed: string) => run(['generate', '--model', out, '--prompt', 'the quick brown fox', '--max-tokens', '46', '--seed', seed, '--temperature', '0.1']);
  const a = gen('1');
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.stdout.startsWith('the quick brown fox\n'), a.stdout);
  assert.equal(a.stdout, gen('1').stdout);
  // The continuation of "the quick brown fox" in this text is "jumps over the lazy dog".
  assert.match(a.stdout.split('\n')[1], /jumps over the lazy dog/);
});
