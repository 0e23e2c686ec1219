/**
 * Long sequences, shown: a generated task (reverse a string of 20 to 150 letters) trained for the
 * same minutes with the recurrent model (bidirectional LSTM with attention) and with the
 * Transformer, each with a preset, then exact-match accuracy by input length on held-out strings.
 *
 *   npx tsx bench/longSequences.ts [--minutes 10] [--rnn-preset balanced] [--transformer-preset balanced]
 *                                  [--archs rnn,transformer]
 *                                  [--train N (20000)] [--test-per-bucket N (100)] [--seed S] [--json] [--keep DIR]
 *
 * Both train through trainModel (the CLI's and the worker's loop), one after the other, on the same
 * pairs; the test strings are drawn apart from the training strings. Prints a Markdown table.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ArchKind, PresetName } from '../src/model/config';

const MIN_LEN = 20;
const MAX_LEN = 150;
const BUCKETS: [number, number][] = [[20, 39], [40, 59], [60, 79], [80, 99], [100, 119], [120, 139], [140, 150]];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

/** mulberry32, as the engine's data order uses. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomString(random: () => number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

const reverse = (s: string) => [...s].reverse().join('');

interface ArchResult { arch: ArchKind; preset: PresetName; steps: number; epochs: number; samplesPerSec: number; parameters: number; byBucket: number[]; overall: number }

async function main(argv: string[]): Promise<void> {
  const minutes = Number(arg(argv, '--minutes', '10'));
  const nTrain = Number(arg(argv, '--train', '20000'));
  const perBucket = Number(arg(argv, '--test-per-bucket', '100'));
  const seed = Number(arg(argv, '--seed', '1'));
  const presets: Record<ArchKind, PresetName> = {
    rnn: arg(argv, '--rnn-preset', 'balanced') as PresetName,
    transformer: arg(argv, '--transformer-preset', 'balanced') as PresetName,
  };
  const keep = argv.includes('--keep') ? resolve(arg(argv, '--keep', '')) : null;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'seq2seq-long-'));
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  const seen = new Set<string>();
  const draw = (len: number) => { let s: string; do s = randomString(random, len); while (seen.has(s)); seen.add(s); return s; };
  const train = Array.from({ length: nTrain }, () => draw(MIN_LEN + Math.floor(random() * (MAX_LEN - MIN_LEN + 1))));
  const test = BUCKETS.flatMap(([lo, hi]) => Array.from({ length: perBucket }, () => draw(lo + Math.floor(random() * (hi - lo + 1)))));
  const dev = Array.from({ length: 200 }, () => draw(MIN_LEN + Math.floor(random() * (MAX_LEN - MIN_LEN + 1))));
  const tsv = (xs: string[]) => xs.map((s) => `${s}\t${reverse(s)}`).join('\n') + '\n';
  writeFileSync(join(dir, 'train.tsv'), tsv(train));
  writeFileSync(join(dir, 'dev.tsv'), tsv(dev));
  writeFileSync(join(dir, 'test.tsv'), tsv(test));

  const { trainModel } = await import('../src/model/training/train');
  const { loadModel } = await import('../src/model/storage/store');
  const { translate } = await import('../src/model/decoding/translate');
  const results: ArchResult[] = [];
  const load0 = loadavg()[0];
  const archs = arg(argv, '--archs', 'rnn,transformer').split(',') as ArchKind[];
  for (const arch of archs) {
    const modelDir = join(dir, arch);
    rmSync(modelDir, { recursive: true, force: true });
    process.stderr.write(`[long] ${arch} (${presets[arch]} preset), ${minutes} minutes on ${nTrain} strings of ${MIN_LEN}-${MAX_LEN} letters\n`);
    let parameters = 0;
    const end = await trainModel({
      dataFile: join(dir, 'train.tsv'), devFile: join(dir, 'dev.tsv'), modelDir, resume: false, preset: presets[arch], maxDevDecode: 200,
      settings: { model: { arch }, train: { minutes, epochs: 1000, patience: 0, seed }, source: { kind: 'char' }, target: { kind: 'char' } },
    }, (e) => {
      if (e.kind === 'start') parameters = e.parameters;
      if (e.kind === 'epoch') process.stderr.write(`[long]   ${arch} epoch ${e.epoch}: dev WER ${e.dev?.wer.toFixed(1)} %, ${(e.elapsedMs / 60000).toFixed(1)} min\n`);
    });
    const model = await loadModel(modelDir);
    const out = await translate(model, test, { strategy: 'greedy', maxLength: MAX_LEN + 5 });
    const right = test.map((s, i) => out[i][0].text === reverse(s));
    const byBucket = BUCKETS.map((_, b) => (100 * right.slice(b * perBucket, (b + 1) * perBucket).filter(Boolean).length) / perBucket);
    results.push({ arch, preset: presets[arch], steps: end.steps, epochs: end.epochs, samplesPerSec: end.samplesPerSec, parameters, byBucket, overall: (100 * right.filter(Boolean).length) / right.length });
    model.dispose();
  }
  const report = { minutes, train: nTrain, test_per_bucket: perBucket, seed, loadavg_start: load0, loadavg_end: loadavg()[0], buckets: BUCKETS, results };
  if (argv.includes('--json')) { process.stdout.write(JSON.stringify(report) + '\n'); } else {
    const lines = [
      `| input length | ${results.map((r) => `${r.arch === 'rnn' ? 'LSTM + attention' : 'Transformer'} (${r.preset})`).join(' | ')} |`,
      `|---|${results.map(() => '---:').join('|')}|`,
      ...BUCKETS.map(([lo, hi], b) => `| ${lo}-${hi} | ${results.map((r) => `${r.byBucket[b].toFixed(0)} %`).join(' | ')} |`),
      `| all | ${results.map((r) => `${r.overall.toFixed(1)} %`).join(' | ')} |`,
      `| steps (epochs), samples/s | ${results.map((r) => `${r.steps} (${r.epochs}), ${r.samplesPerSec.toFixed(0)}`).join(' | ')} |`,
      `| parameters | ${results.map((r) => `${(r.parameters / 1e6).toFixed(2)} M`).join(' | ')} |`,
    ];
    process.stdout.write(`Exact match on ${perBucket} held-out strings per length, greedy, after ${minutes} minutes each (load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end)\n\n${lines.join('\n')}\n`);
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`longSequences: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
