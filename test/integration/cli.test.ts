/** The CLI end to end on a slice of the real CMUdict data: train, translate, eval, and its errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { reversePairs } from '../helpers/tinyModel';

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
  const r = run(['train', '--task', 'generate', '--data', text, '--out', out, '--preset', 'fast', '--epochs', '12', '--window', '48', '--chunk', '24', '--lr', '0.01', '--tokens', 'char', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const gen = (seed: string, ...more: string[]) => run(['generate', '--model', out, '--prompt', 'the quick brown fox', '--max-tokens', '46', '--seed', seed, '--temperature', '0.1', ...more]);
  const a = gen('1');
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.stdout.startsWith('the quick brown fox\n'), a.stdout);
  assert.equal(a.stdout, gen('1').stdout);
  // The continuation of "the quick brown fox" in this text is "jumps over the lazy dog", on the next line.
  assert.match(a.stdout.split('\n')[1], /jumps over the lazy dog/);
  const one = JSON.parse(gen('1', '--max-lines', '2', '--json').stdout) as { text: string; stopped: string };
  assert.deepEqual([one.stopped, one.text], ['max-lines', '\njumps over the lazy dog\n']);
  const ev = run(['eval', '--model', out, '--data', text, '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout) as { held_out: string; char_perplexity: number; ngram_char_perplexity: number; chars: number };
  assert.equal(e.held_out, 'split');
  assert.ok(e.chars > 0 && e.char_perplexity >= 1 && e.ngram_char_perplexity >= 1, ev.stdout);
});

// ---- issue 12: the CLI's defects, each with the case that showed it ----

const tinyFlags = ['--preset', 'fast', '--emb', '8', '--hidden', '16', '--epochs', '1', '--quiet'];
const revData = join(dir, 'rev.tsv');
writeFileSync(revData, reversePairs(300).join('\n') + '\n');
const tiny = (out: string, ...extra: string[]) => run(['train', '--data', revData, '--out', out, ...tinyFlags, ...extra]);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('train --out EXISTING refuses without --overwrite; with it the new model replaces the old one whole', () => {
  const out = join(dir, 'existing');
  assert.equal(tiny(out).status, 0);
  const before = readFileSync(join(out, 'weights.bin'));
  const r = tiny(out, '--hidden', '24');
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${esc(out)}: already holds a model\\. To replace it, train with --overwrite`));
  assert.deepEqual(readFileSync(join(out, 'weights.bin')), before);
  const o = tiny(out, '--hidden', '24', '--overwrite');
  assert.equal(o.status, 0, o.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).settings.model.hidden, 24);
  assert.equal(run(['translate', '--model', out], 'abc\n').status, 0);
  assert.equal(run(['train', '--out', out, '--resume', '--overwrite']).status, 2);
});

test('an output folder that cannot be made fails at once naming it (no spin in mkdir)', () => {
  const proc = run(['train', '--data', revData, '--out', '/proc/self/x/y', ...tinyFlags]);
  assert.equal(proc.status, 1, `status ${proc.status} signal ${proc.signal}`);
  assert.match(proc.stderr, /seq2seq: error: \/proc\/self\/x\/y: cannot create the folder \/proc\/self\/x \(ENOENT: this place does not take new folders/);
  const underFile = run(['train', '--data', revData, '--out', join(revData, 'model'), ...tinyFlags]);
  assert.equal(underFile.status, 1);
  assert.match(underFile.stderr, new RegExp(`${esc(join(revData, 'model'))}: cannot be used as the output folder \\(${esc(revData)} is a file, not a folder\\)`));
});

test('SIGTERM (as timeout sends it) stops training after the batch with a checkpoint, like Ctrl+C', async () => {
  const out = join(dir, 'sigterm');
  const child = spawn(process.execPath, [CLI, 'train', '--data', revData, '--out', out, '--preset', 'fast', '--emb', '8', '--hidden', '16', '--epochs', '100000', '--batch', '4', '--log-every', '1']);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/step \d+/.test(stderr) && !child.killed) child.kill('SIGTERM');
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /finished \(stopped\)/);
  assert.equal(run(['translate', '--model', out], 'abc\n').status, 0);
});

test('UTF-16 LE with BOM trains on the real pairs; random bytes are refused naming the file and line', () => {
  const u16 = join(dir, 'rev16.tsv');
  writeFileSync(u16, Buffer.from('\uFEFF' + reversePairs(300).join('\r\n') + '\r\n', 'utf16le'));
  const ev = join(dir, 'u16.jsonl');
  const r = run(['train', '--data', u16, '--out', join(dir, 'u16'), ...tinyFlags, '--events-jsonl', ev]);
  assert.equal(r.status, 0, r.stderr);
  const start = JSON.parse(readFileSync(ev, 'utf8').split('\n')[0]);
  assert.equal(start.data.pairs + start.dev.pairs, 300);
  assert.equal(start.data.skipped, 0);
  assert.ok(!JSON.stringify(readFileSync(join(dir, 'u16', 'tokenizers.json'), 'utf8')).includes('\\u0000'));
  const rnd = join(dir, 'random.bin');
  let s = 7;
  writeFileSync(rnd, Buffer.from(Array.from({ length: 100_000 }, () => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 24; })));
  const b = run(['train', '--data', rnd, '--out', join(dir, 'rnd'), ...tinyFlags]);
  assert.equal(b.status, 1);
  assert.match(b.stderr, new RegExp(`seq2seq: error: ${esc(rnd)}: line \\d+: `));
  assert.equal(existsSync(join(dir, 'rnd')), false, 'nothing is left behind for a run that never started');
});

test('translate: a lone CR does not split a stdin line; --input folder, NUL input and UTF-16 input', () => {
  const out = join(dir, 'existing');
  const r = run(['translate', '--model', out], 'ab\rc\nde\n');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n').length - 1, 2, JSON.stringify(r.stdout));
  const folder = run(['translate', '--model', out, '--input', dir]);
  assert.equal(folder.status, 1);
  assert.match(folder.stderr, new RegExp(`seq2seq: error: ${esc(dir)}: cannot read the input file: it is a folder, not a file`));
  const nul = run(['translate', '--model', out], 'ab\n\0\0\n');
  assert.equal(nul.status, 1);
  assert.match(nul.stderr, /seq2seq: error: stdin: line 2: contains NUL bytes/);
  const u16 = join(dir, 'in16.txt');
  writeFileSync(u16, Buffer.from('\uFEFFab\r\nba\r\n', 'utf16le'));
  const t16 = run(['translate', '--model', out, '--input', u16]);
  const t8 = run(['translate', '--model', out], 'ab\nba\n');
  assert.equal(t16.status, 0, t16.stderr);
  assert.equal(t16.stdout, t8.stdout);
});

test('flags: --hidden "" is not 0; eval --limit must be a positive whole number; eval reports skipped lines', () => {
  const h = run(['train', '--data', revData, '--out', join(dir, 'h'), '--hidden', '']);
  assert.equal(h.status, 2);
  assert.match(h.stderr, /--hidden needs a number \(got ""\)/);
  const out = join(dir, 'existing');
  for (const limit of ['--limit=-5', '--limit=0', '--limit=2.5']) {
    const e = run(['eval', '--model', out, '--data', revData, limit]);
    assert.equal(e.status, 2, limit);
    assert.match(e.stderr, /--limit must be a whole number from 1/);
  }
  const withBad = join(dir, 'eval-bad.tsv');
  writeFileSync(withBad, ['ab\tba', 'no tab', 'abc\tcba', '', 'ca\tac'].join('\n') + '\n');
  const e = run(['eval', '--model', out, '--data', withBad, '--json', '--limit', '2']);
  assert.equal(e.status, 0, e.stderr);
  const m = JSON.parse(e.stdout);
  assert.equal(m.n, 2);
  assert.equal(m.skipped, 2);
  assert.deepEqual(m.skipped_lines.map((l: { line: number }) => l.line), [2, 4]);
  assert.match(e.stderr, new RegExp(`skipped 2 lines of ${esc(withBad)}:\\n  ${esc(withBad)}:2: no tab`));
});

test('model files that are broken give messages naming the file and field; NaN weights refuse to load; state.json epoch "x" is refused', () => {
  const src = join(dir, 'existing');
  const copy = (name: string) => { const d = join(dir, name); rmSync(d, { recursive: true, force: true }); cpSync(src, d, { recursive: true }); return d; };
  const n = copy('cfg-null');
  writeFileSync(join(n, 'config.json'), 'null');
  const t = run(['translate', '--model', n], 'ab\n');
  assert.equal(t.status, 1);
  assert.equal(t.stderr, `seq2seq: error: ${join(n, 'config.json')}: must be an object (got null)\n`);
  const nan = copy('nan');
  const w = readFileSync(join(nan, 'weights.bin'));
  new Float32Array(w.buffer, w.byteOffset, w.byteLength / 4).fill(NaN);
  writeFileSync(join(nan, 'weights.bin'), w);
  for (const args of [['translate', '--model', nan], ['eval', '--model', nan, '--data', revData]]) {
    const r = run(args, 'ab\n');
    assert.equal(r.status, 1, args[0]);
    assert.match(r.stderr, /weights\.bin: weight encoder\/embedding has non-finite values \(NaN at index 0/);
  }
  const st = copy('state-x');
  const statePath = join(st, 'checkpoint', 'state.json');
  writeFileSync(statePath, JSON.stringify({ ...JSON.parse(readFileSync(statePath, 'utf8')), epoch: 'x' }));
  const res = run(['train', '--out', st, '--resume', '--quiet']);
  assert.equal(res.status, 1);
  assert.match(res.stderr, new RegExp(`${esc(statePath)}: epoch: must be a whole number of at least 0 \\(got "x"\\)`));
});

test('training that diverges (every step non-finite) stops with a clear message and exit 1', () => {
  const d = join(dir, 'diverge');
  rmSync(d, { recursive: true, force: true });
  cpSync(join(dir, 'existing'), d, { recursive: true });
  const statePath = join(d, 'checkpoint', 'state.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  const bytes = readFileSync(join(d, 'checkpoint', state.weightsFile));
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let off = 0;
  for (const s of state.weightSpecs as { name: string; shape: number[] }[]) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.name === 'output/kernel') floats.fill(3e38, off, off + n);
    off += n;
  }
  writeFileSync(join(d, 'checkpoint', state.weightsFile), bytes);
  const r = run(['train', '--out', d, '--resume', '--epochs', '5', '--quiet']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /finished \(error\)/);
  assert.match(r.stderr, /seq2seq: error: training diverged at step \d+: .* for 5 steps in a row again after rolling back/);
});

test('generate: --max-tokens is capped; SIGTERM stops it at once', async () => {
  const big = run(['generate', '--model', join(dir, 'existing'), '--prompt', 'x', '--max-tokens', '1e7']);
  assert.equal(big.status, 2);
  assert.match(big.stderr, /--max-tokens must be a whole number from 1 to 100000 \(got "1e7"\)/);
  const gen = join(dir, 'gen');
  assert.ok(existsSync(join(gen, 'model.json')), 'the generate test above trains this model');
  const child = spawn(process.execPath, [CLI, 'generate', '--model', gen, '--prompt', 'the quick brown fox', '--max-tokens', '100000', '--temperature', '0.1']);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.split('\n').length > 4 && !child.killed) child.kill('SIGTERM');
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  assert.equal(signal, null, 'handled, not killed by the signal');
  assert.equal(code, 0, stderr);
  assert.match(stderr, /Stopping \(press Ctrl\+C again to quit at once\)/);
  assert.ok(stdout.endsWith('\n'));
});

test('a read-only mount as --out: the error names the path and says read-only (not ENOENT)', (t) => {
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', ro], { encoding: 'utf8' });
  if (m.status !== 0) { t.skip(`cannot mount a read-only tmpfs here: ${m.stderr.trim()}`); return; }
  try {
    const inside = run(['train', '--data', revData, '--out', join(ro, 'model'), ...tinyFlags]);
    assert.equal(inside.status, 1);
    assert.match(inside.stderr, new RegExp(`seq2seq: error: ${esc(join(ro, 'model'))}: cannot create the folder ${esc(join(ro, 'model'))} \\(EROFS: read-only file system\\)`));
    const itself = run(['train', '--data', revData, '--out', ro, ...tinyFlags]);
    assert.equal(itself.status, 1);
    assert.match(itself.stderr, new RegExp(`seq2seq: error: ${esc(ro)}: cannot write in this folder \\(EROFS: read-only file system\\)`));
  } finally {
    spawnSync('umount', [ro]);
  }
});

test('train --arch transformer: a Transformer trains, says so, translates with beam search and evaluates; flags of the other architecture are refused', { skip: !haveData && 'shared data missing' }, () => {
  const train = join(dir, 'train-t.tsv');
  writeFileSync(train, slice('train.tsv', 2000, 40).join('\n') + '\n');
  const out = join(dir, 'g2p-transformer');
  const r = run(['train', '--data', train, '--out', out, '--arch', 'transformer', '--d-model', '32', '--heads', '2', '--ff', '64', '--enc-layers', '1', '--dec-layers', '1', '--epochs', '3', '--warmup', '50', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Transformer 1\+1 layers, d 32, 2 heads, ff 64/);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(cfg.formatVersion, 2);
  assert.equal(cfg.settings.model.arch, 'transformer');
  assert.deepEqual([cfg.settings.train.lrSchedule, cfg.settings.train.warmupSteps, cfg.settings.train.adamBeta2, cfg.settings.train.labelSmoothing], ['inverse-sqrt', 50, 0.98, 0.1]);
  const nb = run(['translate', '--model', out, '--beam', '3', '--n-best', '2'], 'hello\nworld\n');
  assert.equal(nb.status, 0, nb.stderr);
  assert.equal(nb.stdout.trim().split('\n').length, 4);
  const ev = run(['eval', '--model', out, '--data', train, '--limit', '50', '--json']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).n, 50);
  for (const [args, message] of [
    [['--arch', 'transformer', '--hidden', '64'], /--hidden is a setting of --arch rnn, not of the Transformer/],
    [['--arch', 'rnn', '--d-model', '64'], /--d-model is a setting of --arch transformer/],
    [['--emb', '16', '--heads', '2'], /--emb \(rnn\) and --heads \(transformer\) belong to different architectures/],
    [['--arch', 'tree'], /--arch must be one of rnn, transformer/],
  ] as const) {
    const bad = run(['train', '--data', train, '--out', join(dir, 'never'), ...args]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
  const heads = run(['train', '--data', train, '--out', join(dir, 'never'), '--d-model', '30', '--heads', '4']);
  assert.equal(heads.status, 1);
  assert.match(heads.stderr, /model.heads: must divide model.dModel \(30\) into equal heads \(got 4\)/);
});
