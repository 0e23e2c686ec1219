/**
 * The Transformer section of `npm run bench`: our Transformer (src/model/network/transformer.ts) side
 * by side with PyTorch's (python/seq2seq_torch/architectures/transformer.py: nn.TransformerEncoderLayer /
 * DecoderLayer with norm_first=True, the same weight layout), on the same CMUdict batches in the same order, then both
 * decoding from one of our model folders (same weights) with key/value caches, outputs compared.
 *
 *   npm run bench                              the LSTM table, then this section
 *   npm run bench -- --transformer-only        this section alone (also: npx tsx bench/transformer.ts)
 *   npm run bench -- --no-transformer          the LSTM table alone
 *   flags (as run.ts): --steps N (timed training steps, 30) --warmup N (5) --runs N (3) --decode-n N (500)
 *          --max-len N (20) --decode-train-steps N (300) --model DIR --torch-threads 1,2 --no-torch --json --quick
 *
 * Runs alternate (ours, PyTorch 1 thread, PyTorch 2 threads, ours, ...); medians per side; every
 * ratio is against PyTorch's fastest thread setting for that figure. Figures are printed, never asserted.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  agreement, emitResult, fingerprint, fmt, median, peakRssMb, progress, PYTHON, readSources, ROOT, runChild,
} from './run';

const DATA_DIR = resolve(ROOT, '..', 'shared', 'data', 'cmudict-g2p');
const PY = join(ROOT, 'bench', 'pytorch_transformer.py');
/** Decoding from a model folder: pytorch_ref.py's decode mode serves every architecture of python/seq2seq_torch. */
const PY_DECODE = join(ROOT, 'bench', 'pytorch_ref.py');

/** The benchmarked model (the issue's example): pinned, both sides. */
export const TRANSFORMER_MODEL = {
  arch: 'transformer', dModel: 256, heads: 4, ff: 1024, encLayers: 3, decLayers: 3, dropout: 0, attentionDropout: 0,
  positions: 'sinusoidal', tieEmbeddings: true, activation: 'relu',
} as const;
const TRAIN = { batch: 64, lr: 0.001, warmupSteps: 100, labelSmoothing: 0.1, seed: 1 } as const;

interface Flags {
  json: boolean; steps: number; warmup: number; runs: number; decodeN: number; maxLen: number; decodeTrainSteps: number;
  model: string | null; torch: boolean; torchThreads: number[]; child: string | null; save: string | null;
  train: string; dev: string; line: string; reps: number;
}

function parseFlags(argv: string[]): Flags {
  const val = (f: string): string | undefined => { const i = argv.indexOf(f); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : undefined; };
  const num = (f: string, d: number) => { const v = val(f); const n = v === undefined ? d : Number(v); if (!Number.isFinite(n) || n < 0) throw new Error(`${f} needs a number (got ${v})`); return Math.floor(n); };
  const quick = argv.includes('--quick');
  return {
    json: argv.includes('--json'), steps: Math.max(1, num('--steps', quick ? 8 : 30)), warmup: num('--warmup', quick ? 3 : 5),
    runs: Math.max(1, num('--runs', quick ? 1 : 3)), decodeN: Math.max(1, num('--decode-n', quick ? 128 : 500)),
    maxLen: Math.max(1, num('--max-len', 20)), decodeTrainSteps: num('--decode-train-steps', quick ? 60 : 300),
    model: val('--model') ?? null, torch: !argv.includes('--no-torch'),
    torchThreads: (val('--torch-threads') ?? '1,2').split(',').map(Number).filter((x) => x >= 1),
    child: val('--child') ?? null, save: val('--save') ?? null,
    train: resolve(val('--train') ?? join(DATA_DIR, 'train.tsv')), dev: resolve(val('--dev') ?? join(DATA_DIR, 'dev.tsv')),
    line: val('--line') ?? 'supercalifragilistic', reps: Math.max(1, num('--reps', quick ? 5 : 15)),
  };
}

/** Matrix-multiply FLOPs of one forward pass on a padded batch (pytorch_transformer.py's transformer_flops). */
function transformerFlops(B: number, S: number, T: number, V: number): number {
  const { dModel: d, ff, encLayers, decLayers } = TRANSFORMER_MODEL;
  const enc = S * (4 * d * d + 2 * d * ff) + 2 * S * S * d;
  const dec = T * (4 * d * d + 2 * d * d + 2 * d * ff) + S * 2 * d * d + 2 * T * T * d + 2 * T * S * d;
  return 2 * B * (encLayers * enc + decLayers * dec + T * d * V);
}

// ---- children -----------------------------------------------------------------------------------------

interface TrainResult {
  impl: string; samples_per_s: number; target_tokens_per_s: number; ms_per_step: number; gflops: number; peak_rss_mb: number;
  cpu_per_wall: number; first_loss: number; last_loss: number; batches_fingerprint: string; threads?: number; kernel_calls?: number;
}

async function childTrain(f: Flags): Promise<void> {
  const { initBackend } = await import('../src/model/acceleration/backend');
  const { DEFAULT_SETTINGS, mergeSettings, validateSettings } = await import('../src/model/config');
  const { makeBatches, padBatch, readPairs } = await import('../src/model/data/data');
  const { Adam, adamSettings } = await import('../src/model/training/optimizer');
  const { BOS, EOS, Seq2SeqModel } = await import('../src/model/network/seq2seq');
  const { Vocabulary } = await import('../src/model/data/tokenizer');
  const { trainOnBatch, trainStep } = await import('../src/model/training/train');
  const { saveModel } = await import('../src/model/storage/store');
  await initBackend();
  const settings = validateSettings(mergeSettings(DEFAULT_SETTINGS, {
    model: { ...TRANSFORMER_MODEL },
    train: { ...TRAIN, lrSchedule: 'inverse-sqrt', adamBeta2: 0.98 },
    source: { kind: 'char' }, target: { kind: 'word' },
  }));
  const { pairs } = await readPairs(f.train);
  const src = Vocabulary.build(pairs.map((p) => p.source), settings.source, false);
  const tgt = Vocabulary.build(pairs.map((p) => p.target), settings.target, true);
  const model = Seq2SeqModel.create(settings, src, tgt);
  const optimizer = new Adam(settings.train.lr, adamSettings(settings.train));
  const maxLen = settings.train.maxLen;
  const examples = pairs.map((p) => ({ src: src.encode(p.source), tgt: tgt.encode(p.target), line: p.line }))
    .filter((e) => e.src.length <= maxLen && e.tgt.length <= maxLen);
  const batches = makeBatches(examples, TRAIN.batch, TRAIN.seed, 0);
  const total = f.warmup + f.steps;
  const shapes: [number, number, number][] = [];
  const losses: number[] = [];
  let samples = 0; let tokens = 0; let flops = 0; let t0 = 0; let cpu0 = process.cpuUsage();
  for (let k = 0; k < total; k++) {
    if (k === f.warmup) { t0 = performance.now(); cpu0 = process.cpuUsage(); }
    const { b, loss } = await trainOnBatch(model, optimizer, examples, batches[k], null, k);
    await new Promise<void>((r) => setImmediate(r)); // as trainModel does between batches
    if (k >= f.warmup) {
      const p = padBatch(examples, batches[k], BOS, EOS);
      shapes.push([p.batch, p.srcLen, p.tgtLen]);
      samples += b.batch; tokens += b.targetTokens; flops += 3 * transformerFlops(p.batch, p.srcLen, p.tgtLen, tgt.size);
      losses.push(loss);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const result: TrainResult = {
    impl: 'ours', threads: 1, samples_per_s: samples / secs, target_tokens_per_s: tokens / secs, ms_per_step: (secs * 1000) / f.steps,
    gflops: flops / secs / 1e9, peak_rss_mb: peakRssMb(), cpu_per_wall: (cpu.user + cpu.system) / 1e6 / secs,
    first_loss: losses[0], last_loss: losses[losses.length - 1], batches_fingerprint: fingerprint(shapes),
  };
  if (f.save) {
    for (let k = total; k < Math.min(f.decodeTrainSteps, batches.length); k++) {
      trainStep(model, optimizer, padBatch(examples, batches[k], BOS, EOS), k);
      if ((k + 1) % 50 === 0) progress(`  decode model: step ${k + 1}/${f.decodeTrainSteps}`);
    }
    await saveModel(model, f.save, { config: { task: 'pairs', devMetric: 'per', dataFile: f.train, trainPairs: examples.length, createdAt: new Date().toISOString() } });
  }
  emitResult(result);
}

interface DecodeStats { ms_per_input: number; mean_output_tokens: number; outputs?: string[] }
interface DecodeResult { impl: string; greedy: DecodeStats; beam5: DecodeStats; single_line_beam5_ms: number; peak_rss_mb: number; threads?: number }

async function childDecode(f: Flags): Promise<void> {
  const { initBackend } = await import('../src/model/acceleration/backend');
  const { loadModel } = await import('../src/model/storage/store');
  const { translate } = await import('../src/model/decoding/translate');
  await initBackend();
  const model = await loadModel(f.model!);
  const texts = readSources(f.dev, f.decodeN);
  const greedy = { strategy: 'greedy' as const, maxLength: f.maxLen };
  const beam = { strategy: 'beam' as const, beamSize: 5, maxLength: f.maxLen };
  await translate(model, texts.slice(0, 64), greedy); // untimed warm-up, as the PyTorch side does
  await translate(model, texts.slice(0, 8), beam);
  const run = async (opts: typeof greedy | typeof beam): Promise<DecodeStats> => {
    const t0 = performance.now();
    const outs = await translate(model, texts, opts);
    const ms = performance.now() - t0;
    return { ms_per_input: ms / texts.length, mean_output_tokens: outs.reduce((n, h) => n + (h[0]?.tokens.length ?? 0), 0) / texts.length, outputs: outs.map((h) => h[0]?.text ?? '') };
  };
  const g = await run(greedy);
  const b = await run(beam);
  const single: number[] = [];
  for (let i = 0; i < 5 + f.reps; i++) {
    const t0 = performance.now();
    await translate(model, [f.line], beam);
    if (i >= 5) single.push(performance.now() - t0);
  }
  emitResult({ impl: 'ours', greedy: g, beam5: b, single_line_beam5_ms: median(single), peak_rss_mb: peakRssMb() } satisfies DecodeResult);
  model.dispose();
}

// ---- the orchestrator -----------------------------------------------------------------------------------

export interface TransformerSummary {
  model: typeof TRANSFORMER_MODEL; settings: Record<string, unknown>; loadavg_start: number[]; loadavg_end: number[];
  train: { samples_per_s: number; pytorch: { threads: number; samples_per_s: number; runs: number[] }[]; pytorch_best_threads: number | null; ratio_vs_best: number | null;
    runs: number[]; ms_per_step: number; gflops: number; cpu_per_wall: number; peak_rss_mb: number; same_batches: boolean | null; loss: number[] | null; pytorch_loss: number[] | null };
  greedy: DecodeFigure; beam5: DecodeFigure; single_line: { ms: number; pytorch_best_ms: number | null; ratio_vs_best: number | null };
  pytorch_kv_cache: boolean; errors: string[];
}
interface DecodeFigure { ms_per_input: number; pytorch: { threads: number; ms_per_input: number }[]; pytorch_best_threads: number | null; ratio_vs_best: number | null; identical_outputs_pct: number | null; mean_output_tokens: number | null; pytorch_mean_output_tokens: number | null }

/** Runs the section; null if the data is missing. */
export async function transformerSection(argv: string[]): Promise<TransformerSummary | null> {
  const f = parseFlags(argv);
  if (!existsSync(f.train)) { progress(`transformer: ${f.train} not found; section skipped`); return null; }
  const node = process.execPath;
  const work = mkdtempSync(join(tmpdir(), 'seq2seq-bench-transformer-'));
  const modelDir = f.model ? resolve(f.model) : join(work, 'model');
  const common = ['--steps', String(f.steps), '--warmup', String(f.warmup), '--train', f.train, '--dev', f.dev, '--decode-n', String(f.decodeN),
    '--max-len', String(f.maxLen), '--reps', String(f.reps), '--decode-train-steps', String(f.decodeTrainSteps), '--line', f.line];
  const ours = (child: string, extra: string[]) => runChild<TrainResult & DecodeResult>(node, ['--import', 'tsx', join(ROOT, 'bench', 'transformer.ts'), '--child', child, ...common, ...extra], { tagged: true });
  const torchThreads = f.torch && existsSync(PYTHON) ? f.torchThreads : [];
  const errors: string[] = [];
  const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
  const oursTrain: TrainResult[] = [];
  const torchTrain = new Map<number, TrainResult[]>(torchThreads.map((t) => [t, []]));
  const oursDec: DecodeResult[] = [];
  const torchDec = new Map<number, DecodeResult[]>(torchThreads.map((t) => [t, []]));
  const spec = TRANSFORMER_MODEL;
  const torchModel = ['--d-model', String(spec.dModel), '--heads', String(spec.heads), '--ff', String(spec.ff), '--enc-layers', String(spec.encLayers), '--dec-layers', String(spec.decLayers),
    '--lr', String(TRAIN.lr), '--warmup-steps', String(TRAIN.warmupSteps), '--label-smoothing', String(TRAIN.labelSmoothing)];
  try {
    for (let r = 0; r < f.runs; r++) {
      const save = r === 0 && !f.model ? ['--save', modelDir] : [];
      progress(`transformer train run ${r + 1}/${f.runs}: ours (${f.warmup} warm-up + ${f.steps} timed steps${save.length ? `, then a decode model to step ${f.decodeTrainSteps}` : ''})`);
      const o = await ours('train', save);
      if (o.ok && o.result) { oursTrain.push(o.result); progress(`  ours: ${fmt(o.result.samples_per_s)} samples/s`); } else errors.push(`ours train: ${o.error}`);
      for (const t of torchThreads) {
        progress(`transformer train run ${r + 1}/${f.runs}: PyTorch, ${t} thread${t > 1 ? 's' : ''}`);
        const p = await runChild<TrainResult>(PYTHON, [PY, 'train', '--data', f.train, '--steps', String(f.steps), '--warmup', String(f.warmup), '--threads', String(t), ...torchModel], { tagged: false });
        if (p.ok && p.result) { torchTrain.get(t)!.push(p.result); progress(`  PyTorch: ${fmt(p.result.samples_per_s)} samples/s`); } else errors.push(`pytorch train (${t} threads): ${p.error}`);
      }
    }
    const haveModel = existsSync(join(modelDir, 'model.json'));
    if (!haveModel) errors.push(`no model to decode with in ${modelDir}`);
    for (let r = 0; haveModel && r < f.runs; r++) {
      progress(`transformer decode run ${r + 1}/${f.runs}: ours (greedy + beam 5 over ${f.decodeN} dev words, one line beam 5 x${f.reps})`);
      const o = await ours('decode', ['--model', modelDir]);
      if (o.ok && o.result) oursDec.push(o.result); else errors.push(`ours decode: ${o.error}`);
      for (const t of torchThreads) {
        progress(`transformer decode run ${r + 1}/${f.runs}: PyTorch, ${t} thread${t > 1 ? 's' : ''} (key/value cache)`);
        const p = await runChild<DecodeResult>(PYTHON, [PY_DECODE, 'decode', '--model', modelDir, '--dev', f.dev, '--n', String(f.decodeN), '--max-len', String(f.maxLen), '--reps', String(f.reps), '--line', f.line, '--threads', String(t), '--outputs'], { tagged: false });
        if (p.ok && p.result) torchDec.get(t)!.push(p.result); else errors.push(`pytorch decode (${t} threads): ${p.error}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const medOf = <T>(xs: T[], pick: (x: T) => number) => median(xs.map(pick));
  /** PyTorch's fastest thread setting for one figure (higher is better when `higher`). */
  const best = (values: { threads: number; v: number }[], higher: boolean) =>
    values.filter((x) => Number.isFinite(x.v)).sort((a, b) => (higher ? b.v - a.v : a.v - b.v))[0] ?? null;
  const trainBy = torchThreads.map((t) => ({ threads: t, samples_per_s: medOf(torchTrain.get(t)!, (x) => x.samples_per_s), runs: torchTrain.get(t)!.map((x) => x.samples_per_s) }));
  const sps = medOf(oursTrain, (x) => x.samples_per_s);
  const bestTrain = best(trainBy.map((x) => ({ threads: x.threads, v: x.samples_per_s })), true);
  const firstTorchTrain = torchThreads.map((t) => torchTrain.get(t)![0]).find(Boolean);
  const firstTorchDec = torchThreads.map((t) => torchDec.get(t)![0]).find(Boolean);
  const decodeFigure = (pick: (d: DecodeResult) => DecodeStats): DecodeFigure => {
    const ms = medOf(oursDec, (d) => pick(d).ms_per_input);
    const by = torchThreads.map((t) => ({ threads: t, ms_per_input: medOf(torchDec.get(t)!, (d) => pick(d).ms_per_input) }));
    const b = best(by.map((x) => ({ threads: x.threads, v: x.ms_per_input })), false);
    return {
      ms_per_input: ms, pytorch: by, pytorch_best_threads: b?.threads ?? null, ratio_vs_best: b ? b.v / ms : null,
      identical_outputs_pct: agreement(oursDec[0] && pick(oursDec[0]).outputs, firstTorchDec && pick(firstTorchDec).outputs),
      mean_output_tokens: oursDec[0] ? pick(oursDec[0]).mean_output_tokens : null, pytorch_mean_output_tokens: firstTorchDec ? pick(firstTorchDec).mean_output_tokens : null,
    };
  };
  const lineMs = medOf(oursDec, (d) => d.single_line_beam5_ms);
  const lineBest = best(torchThreads.map((t) => ({ threads: t, v: medOf(torchDec.get(t)!, (d) => d.single_line_beam5_ms) })), false);
  return {
    model: TRANSFORMER_MODEL,
    settings: { ...TRAIN, steps: f.steps, warmup: f.warmup, runs: f.runs, decode_inputs: f.decodeN, max_len: f.maxLen, decode_train_steps: f.model ? null : f.decodeTrainSteps, pytorch_threads: torchThreads },
    loadavg_start: load0, loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100),
    train: {
      samples_per_s: sps, pytorch: trainBy, pytorch_best_threads: bestTrain?.threads ?? null, ratio_vs_best: bestTrain ? sps / bestTrain.v : null,
      runs: oursTrain.map((x) => x.samples_per_s), ms_per_step: medOf(oursTrain, (x) => x.ms_per_step), gflops: medOf(oursTrain, (x) => x.gflops),
      cpu_per_wall: medOf(oursTrain, (x) => x.cpu_per_wall), peak_rss_mb: medOf(oursTrain, (x) => x.peak_rss_mb),
      same_batches: oursTrain[0] && firstTorchTrain ? oursTrain[0].batches_fingerprint === firstTorchTrain.batches_fingerprint : null,
      loss: oursTrain[0] ? [oursTrain[0].first_loss, oursTrain[0].last_loss] : null, pytorch_loss: firstTorchTrain ? [firstTorchTrain.first_loss, firstTorchTrain.last_loss] : null,
    },
    greedy: decodeFigure((d) => d.greedy), beam5: decodeFigure((d) => d.beam5),
    single_line: { ms: lineMs, pytorch_best_ms: lineBest?.v ?? null, ratio_vs_best: lineBest ? lineBest.v / lineMs : null },
    pytorch_kv_cache: true, errors,
  };
}

/** The section as a table: speed ratios are ours / PyTorch's best (above 1: we are faster). */
export function printTransformerSection(s: TransformerSummary): void {
  const m = s.model;
  const out: string[] = [];
  out.push('');
  out.push(`Transformer: d ${m.dModel}, ${m.heads} heads, ff ${m.ff}, ${m.encLayers} + ${m.decLayers} layers, pre-LN, tied output, batch ${String(s.settings.batch)}, label smoothing ${String(s.settings.labelSmoothing)}, Adam (0.9, 0.98), CMUdict G2P`);
  out.push(`PyTorch side: nn.TransformerEncoderLayer / DecoderLayer (norm_first=True) for training; decoding with a key/value cache per layer (python/seq2seq_torch/architectures/transformer.py)`);
  out.push(`load average at start ${s.loadavg_start.join(' ')}, at end ${s.loadavg_end.join(' ')}; ${String(s.settings.runs)} alternating runs per side; same batches on both sides: ${s.train.same_batches === null ? 'n/a' : s.train.same_batches ? 'yes' : 'NO'}`);
  const threads = s.train.pytorch.map((p) => p.threads);
  const head = ['', 'ours', ...threads.map((t) => `PyTorch ${t} thr`), 'ours / PT best'];
  const rows: string[][] = [head];
  const speed = (r: number | null) => (r === null || !Number.isFinite(r) ? '-' : `${r.toFixed(2)}x`);
  rows.push(['training samples/s', fmt(s.train.samples_per_s), ...s.train.pytorch.map((p) => fmt(p.samples_per_s)), speed(s.train.ratio_vs_best)]);
  rows.push(['  each run', s.train.runs.map((x) => fmt(x)).join(', '), ...s.train.pytorch.map((p) => p.runs.map((x) => fmt(x)).join(', ')), '']);
  rows.push(['  ms per step / matmul GFLOP/s', `${fmt(s.train.ms_per_step, 0)} / ${fmt(s.train.gflops, 1)}`, ...threads.map(() => ''), '']);
  const dec = (label: string, d: DecodeFigure) => rows.push([label, fmt(d.ms_per_input, 2), ...d.pytorch.map((p) => fmt(p.ms_per_input, 2)), speed(d.ratio_vs_best)]);
  dec(`greedy ms/input (64 per batch, ${String(s.settings.decode_inputs)} words)`, s.greedy);
  dec('beam-5 ms/input (51 inputs x 5 beams)', s.beam5);
  rows.push(['one line, beam 5, in process (ms)', fmt(s.single_line.ms, 1), ...threads.map(() => ''), speed(s.single_line.ratio_vs_best)]);
  const w = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const [i, r] of rows.entries()) {
    out.push(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : (c ?? '').padStart(w[j]))).join('  ').trimEnd());
    if (i === 0) out.push(w.map((n) => '-'.repeat(n)).join('  '));
  }
  out.push(`decoded outputs identical to PyTorch's (same weights): greedy ${fmt(s.greedy.identical_outputs_pct)} %, beam 5 ${fmt(s.beam5.identical_outputs_pct)} %; mean output tokens ${fmt(s.greedy.mean_output_tokens, 2)} (PyTorch ${fmt(s.greedy.pytorch_mean_output_tokens, 2)})`);
  out.push(`training loss first/last step: ours ${s.train.loss?.map((x) => x.toFixed(3)).join(' / ') ?? '-'}, PyTorch ${s.train.pytorch_loss?.map((x) => x.toFixed(3)).join(' / ') ?? '-'} (different initial weights); ours CPU s per wall s ${fmt(s.train.cpu_per_wall, 2)}`);
  if (s.errors.length) { out.push('errors:'); for (const e of s.errors) out.push(`  ${e}`); }
  process.stdout.write(out.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<void> {
  const f = parseFlags(argv);
  if (f.child === 'train') return childTrain(f);
  if (f.child === 'decode') return childDecode(f);
  const s = await transformerSection(argv);
  if (!s) return;
  if (f.json) process.stdout.write(JSON.stringify({ transformer: s }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
  else printTransformerSection(s);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench (transformer): ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
