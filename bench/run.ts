/**
 * `npm run bench`: Seq2Seq Studio's engine side by side with a plain PyTorch reference
 * (bench/pytorch_ref.py, Debian's /usr/bin/python3 + torch 1.13 + OpenBLAS) on the same model, the same
 * data and the same batch order, on this machine, in the same run.
 *
 *   npm run bench                      the tables, one per architecture (about 4 minutes idle, 10-15 busy)
 *   npm run bench -- --quick           a short run (about 1-2 minutes; figures are noisier)
 *   npm run -s bench -- --json         one JSON object on stdout (progress goes to stderr)
 *   flags: --steps N (timed training steps per run, default 80) --warmup N (10: a fresh process grows its heap and warms up) --runs N (3; --quick 2; alternating)
 *          --decode-n N (1000 dev words) --max-len N (20) --decode-train-steps N (150)
 *          --model DIR (decode with an existing model of this architecture instead of training one)
 *          --no-torch --no-worker --profile (where our training step's time goes) --torch-threads 2,1 (PyTorch thread counts, each run)
 *          --our-threads 1,2 (our training threads, each run; the first is the reference for the ratios; default: the engine's own choice first)
 *          --no-transformer / --transformer-only (the Transformer section, bench/transformer.ts, runs after this table by default)
 *          --arch lstm,balanced,gru (the architectures, bench/architectures.ts; default all) --lines N (20000: lines the
 *          worker translates for its peak memory; 0 skips)
 *
 * Runs alternate (ours, PyTorch, ours, PyTorch, ...) and the median of each side is reported, so a
 * burst of load from another job hits both sides alike. Each run is its own process, so peak RSS is the
 * peak of that run. Figures are printed, never asserted.
 *
 * Ours uses the engine's real code paths: makeBatches/trainOnBatch (src/model/training/train.ts: the step the
 * training loop takes, split across a gradient replica thread when 2 threads are asked for) for
 * training, translate() (src/model/decoding/translate.ts -> search.ts decodeBatch) for decoding, loadModel for
 * loading, and dist/worker.js over IPC for worker start-up and interactive latency.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { BackendPreference } from '../src/model/acceleration/backend';
import { ARCHITECTURE_NAMES, benchArchitectures, describeModel, forwardMatmulFlops, type BenchArchitecture } from './architectures';

export const ROOT = resolve(__dirname, '..');
// ../shared beside the checkout (or beside its parent: a work tree in a folder of work trees).
const DATA_DIR = [resolve(ROOT, '..', 'shared', 'data', 'cmudict-g2p'), resolve(ROOT, '..', '..', 'shared', 'data', 'cmudict-g2p')].find((d) => existsSync(d))
  ?? resolve(ROOT, '..', 'shared', 'data', 'cmudict-g2p');
const PY_REF = join(ROOT, 'bench', 'pytorch_ref.py');
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
export const RESULT_TAG = 'BENCH_RESULT ';
const INSTALL_HINT = 'apt-get install python3-torch libopenblas0-pthread';

const SEED = 1;

// ---- flags --------------------------------------------------------------------------------------

interface Flags {
  json: boolean; quick: boolean; steps: number; warmup: number; runs: number; decodeN: number; maxLen: number;
  decodeTrainSteps: number; model: string | null; torch: boolean; worker: boolean; profile: boolean;
  child: string | null; save: string | null; line: string; reps: number; torchThreads: number[]; ourThreads: number[];
  /** A child's training threads (1 or 2). */
  threads: number;
  train: string; dev: string;
  /** The architectures to bench; a child's architecture (JSON of a BenchArchitecture). */
  arch: string[]; childArch: BenchArchitecture | null;
  /** Lines the worker translates to measure its peak memory (0: skip). */
  lines: number;
}

function parseFlags(argv: string[]): Flags {
  const has = (f: string) => argv.includes(f);
  const val = (f: string): string | undefined => {
    const i = argv.indexOf(f);
    if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(f + '='));
    return eq ? eq.slice(f.length + 1) : undefined;
  };
  const num = (f: string, d: number): number => {
    const v = val(f);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${f} needs a number (got ${v})`);
    return Math.floor(n);
  };
  const quick = has('--quick');
  return {
    json: has('--json'),
    quick,
    steps: Math.max(1, num('--steps', quick ? 12 : 80)),
    warmup: num('--warmup', 10),
    runs: Math.max(1, num('--runs', quick ? 2 : 3)),
    decodeN: Math.max(1, num('--decode-n', quick ? 256 : 1000)),
    maxLen: Math.max(1, num('--max-len', 20)),
    decodeTrainSteps: num('--decode-train-steps', quick ? 60 : 150),
    model: val('--model') ?? null,
    torch: !has('--no-torch'),
    worker: !has('--no-worker'),
    profile: has('--profile'),
    child: val('--child') ?? null,
    save: val('--save') ?? null,
    line: val('--line') ?? 'supercalifragilistic',
    reps: Math.max(1, num('--reps', quick ? 5 : 15)),
    torchThreads: threadList(val('--torch-threads') ?? '2,1'),
    ourThreads: threadList(val('--our-threads') ?? 'default').map((x) => Math.min(2, x)),
    threads: Math.min(2, Math.max(1, num('--threads', 1))),
    train: resolve(val('--train') ?? join(DATA_DIR, 'train.tsv')),
    dev: resolve(val('--dev') ?? join(DATA_DIR, 'dev.tsv')),
    arch: (val('--arch') ?? ARCHITECTURE_NAMES.join(',')).split(',').map((x) => x.trim()).filter(Boolean),
    childArch: val('--child-arch') ? (JSON.parse(val('--child-arch')!) as BenchArchitecture) : null,
    lines: num('--lines', quick ? 2000 : 20000),
  };
}

/** "default": the engine's own choice first (1 training thread when our native kernels run, whose BLAS uses the cores; else 2), then the other. */
function defaultOurThreads(): number[] {
  const native = process.env.SEQ2SEQ_NATIVE_BLAS !== '0' && existsSync(join(ROOT, 'dist', 'seq2seq_blas.node'));
  return native ? [1, 2] : [2, 1];
}

function threadList(v: string): number[] {
  if (v === 'default') return defaultOurThreads();
  return v.split(',').map((x) => Math.max(1, Math.floor(Number(x)))).filter((x) => Number.isFinite(x));
}

// ---- shared helpers -----------------------------------------------------------------------------

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** FNV-1a over the (B, S, T) of every timed step, as pytorch_ref.py computes it. */
export function fingerprint(shapes: [number, number, number][]): string {
  let h = 0x811c9dc5;
  for (const shape of shapes) for (const x of shape) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;
export const progress = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

export function emitResult(obj: unknown): void {
  process.stdout.write(RESULT_TAG + JSON.stringify(obj) + '\n');
}

// ---- child: our training ------------------------------------------------------------------------

interface TrainResult {
  impl: string; backend?: string; steps: number; warmup: number; samples_per_s: number; target_tokens_per_s: number;
  ms_per_step: number; ms_per_step_median: number; gflops: number; peak_rss_mb: number; first_loss: number; last_loss: number;
  target_vocab: number; batches_fingerprint: string; threads?: number; profile?: unknown;
  /** Matrix-multiply FLOPs of the timed steps (ours; the same batches give PyTorch's, bench/architectures.ts). */
  matmul_flops?: number;
  /** Our native kernels' BLAS (null: wasm kernels only) and its thread count during the run. */
  native_blas?: string | null; blas_threads?: number;
  /** CPU seconds (all threads) per wall second over the timed steps: ~1 for one busy thread; lower when the cores are shared. */
  cpu_per_wall: number;
}

async function childTrain(f: Flags): Promise<void> {
  const { initBackend, nativeKernelsStatus, tf } = await import('../src/model/acceleration/backend');
  const { DEFAULT_SETTINGS, mergeSettings, validateSettings } = await import('../src/model/config');
  const { makeBatches, padBatch, readPairs } = await import('../src/model/data/data');
  const { Adam } = await import('../src/model/training/optimizer');
  const { BOS, EOS, Seq2SeqModel } = await import('../src/model/network/seq2seq');
  const { Vocabulary } = await import('../src/model/data/tokenizer');
  const { trainOnBatch, trainStep } = await import('../src/model/training/train');
  const { GradientReplica } = await import('../src/model/acceleration/gradientReplica');
  const { saveModel } = await import('../src/model/storage/store');
  const { blasThreads } = await import('../src/model/acceleration/native/addon');

  const backend = await initBackend();
  const arch = f.childArch;
  if (!arch) throw new Error('--child train needs --child-arch');
  const settings = validateSettings(mergeSettings(DEFAULT_SETTINGS, {
    model: { ...arch.model },
    train: { batch: arch.batch, lr: arch.lr, seed: SEED },
    source: { kind: 'char' },
    target: { kind: 'word' },
  }));
  const { pairs } = await readPairs(f.train);
  const src = Vocabulary.build(pairs.map((p) => p.source), settings.source, false);
  const tgt = Vocabulary.build(pairs.map((p) => p.target), settings.target, true);
  const model = Seq2SeqModel.create(settings, src, tgt);
  const optimizer = new Adam(settings.train.lr);
  const maxLen = settings.train.maxLen;
  const examples = pairs
    .map((p) => ({ src: src.encode(p.source), tgt: tgt.encode(p.target), line: p.line }))
    .filter((e) => e.src.length <= maxLen && e.tgt.length <= maxLen);
  const batches = makeBatches(examples, arch.batch, SEED, 0);
  const total = f.warmup + f.steps;
  if (total > batches.length) throw new Error(`only ${batches.length} batches in one epoch; ask for fewer steps`);
  const V = tgt.size;
  // Each batch's padded whole-batch shape, for the FLOP count and the fingerprint (worked out before timing).
  const batchShapes = batches.slice(0, total).map((idx) => { const b = padBatch(examples, idx, BOS, EOS); return [b.batch, b.srcLen, b.tgtLen] as [number, number, number]; });
  const replica = f.threads >= 2 ? await GradientReplica.start(model, backend as BackendPreference) : null;
  const shapes: [number, number, number][] = [];
  const stepMs: number[] = [];
  const losses: number[] = [];
  let samples = 0;
  let tokens = 0;
  let flops = 0;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  for (let k = 0; k < total; k++) {
    if (k === f.warmup) { t0 = performance.now(); cpu0 = process.cpuUsage(); }
    const s0 = performance.now();
    const { b, loss } = await trainOnBatch(model, optimizer, examples, batches[k], replica);
    await new Promise<void>((r) => setImmediate(r)); // as trainModel does between batches
    if (k >= f.warmup) {
      const [B, S, T] = batchShapes[k];
      stepMs.push(performance.now() - s0);
      shapes.push([B, S, T]);
      samples += b.batch;
      tokens += b.targetTokens;
      flops += 3 * forwardMatmulFlops(arch.model, B, S, T, V);
      losses.push(loss);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const blasThreadsUsed = blasThreads() ?? 0; // the replica set 1 while it runs
  await replica?.close();
  const result: TrainResult = {
    impl: 'ours', backend, threads: replica ? 2 : 1, native_blas: nativeKernelsStatus().library, blas_threads: blasThreadsUsed, steps: f.steps, warmup: f.warmup, cpu_per_wall: (cpu.user + cpu.system) / 1e6 / secs,
    samples_per_s: samples / secs, target_tokens_per_s: tokens / secs, ms_per_step: (secs * 1000) / f.steps,
    ms_per_step_median: median(stepMs), gflops: flops / secs / 1e9, matmul_flops: flops, peak_rss_mb: peakRssMb(),
    first_loss: losses[0], last_loss: losses[losses.length - 1], target_vocab: V, batches_fingerprint: fingerprint(shapes),
  };
  if (f.profile) result.profile = await profileSteps(model, optimizer, examples, batches.slice(total, total + 6), { tf, padBatch, trainStep, BOS, EOS });
  if (f.save) {
    // Train on (untimed) up to decodeTrainSteps so greedy outputs end like a real model's, then save.
    for (let k = total; k < Math.min(f.decodeTrainSteps, batches.length); k++) {
      trainStep(model, optimizer, padBatch(examples, batches[k], BOS, EOS));
      if ((k + 1) % 25 === 0) progress(`  decode model: step ${k + 1}/${f.decodeTrainSteps}`);
    }
    await saveModel(model, f.save, {
      config: { task: 'pairs', devMetric: 'per', dataFile: f.train, trainPairs: examples.length, createdAt: new Date().toISOString() },
    });
  }
  emitResult(result);
}

type ProfileDeps = {
  tf: typeof import('../src/model/acceleration/backend').tf;
  padBatch: typeof import('../src/model/data/data').padBatch;
  trainStep: typeof import('../src/model/training/train').trainStep;
  BOS: number; EOS: number;
};

/**
 * Where one training step's time goes: forward only (loss), forward + backward (gradients, no
 * update), the whole step (with Adam and clipping), and the kernels of one whole step by total time.
 */
async function profileSteps(
  model: import('../src/model/network/seq2seq').Seq2SeqModel, optimizer: import('../src/model/training/optimizer').Adam,
  examples: import('../src/model/data/data').Example[], batches: number[][], d: ProfileDeps,
): Promise<unknown> {
  const { tf } = d;
  const names = [...model.params.keys()];
  const vars = names.map((n) => model.params.get(n)!);
  const fwd: number[] = [];
  const fwdBwd: number[] = [];
  const full: number[] = [];
  for (const idx of batches.slice(0, 5)) {
    const b = d.padBatch(examples, idx, d.BOS, d.EOS);
    let s = performance.now();
    tf.tidy(() => { model.batchLoss(b, 0).loss.dataSync(); });
    fwd.push(performance.now() - s);
    s = performance.now();
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => model.batchLoss(b, 0).loss, vars);
      value.dataSync();
      for (const g of Object.values(grads)) g.dataSync();
    });
    fwdBwd.push(performance.now() - s);
    s = performance.now();
    d.trainStep(model, optimizer, b);
    full.push(performance.now() - s);
  }
  const last = d.padBatch(examples, batches[batches.length - 1], d.BOS, d.EOS);
  const info = await tf.profile(() => { d.trainStep(model, optimizer, last); });
  const byKernel = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, e);
  }
  const kernels = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, e]) => ({ name, calls: e.calls, ms: Math.round(e.ms * 10) / 10 }));
  return {
    batch_shape: [last.batch, last.srcLen, last.tgtLen],
    forward_ms: median(fwd), forward_backward_ms: median(fwdBwd), full_step_ms: median(full),
    backward_ms: median(fwdBwd) - median(fwd), optimizer_ms: median(full) - median(fwdBwd),
    kernel_calls: info.kernels.length, kernel_ms_total: Math.round(kernels.reduce((n, k) => n + k.ms, 0)),
    top_kernels: kernels.slice(0, 12),
  };
}

// ---- child: our decoding ------------------------------------------------------------------------

/** peak_rss_mb: the process's peak so far (the figures run in this order in one process: greedy, beam 5, one line). */
interface DecodeStats { ms_per_input: number; inputs: number; batch: number; mean_output_tokens: number; outputs?: string[]; peak_rss_mb?: number }
interface DecodeResult {
  impl: string; backend?: string; model_load_ms?: number; greedy: DecodeStats; beam5: DecodeStats;
  single_line_beam5_ms: number; peak_rss_mb: number; max_len: number; weights?: string; profile?: unknown;
  /** Peak RSS after the one-line latency (the process's peak, as peak_rss_mb). */
  single_line_peak_rss_mb?: number;
}

export function readSources(file: string, n: number): string[] {
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const cols = line.split('\t');
    if (cols.length < 2 || !cols[0].trim() || !cols[1].trim()) continue;
    out.push(cols[0].trim());
    if (out.length >= n) break;
  }
  return out;
}

async function childDecode(f: Flags): Promise<void> {
  const { initBackend } = await import('../src/model/acceleration/backend');
  const { loadModel } = await import('../src/model/storage/store');
  const { translate } = await import('../src/model/decoding/translate');
  if (!f.model) throw new Error('--child decode needs --model DIR');
  const backend = await initBackend();
  const l0 = performance.now();
  const model = await loadModel(f.model);
  const modelLoadMs = performance.now() - l0;
  const texts = readSources(f.dev, f.decodeN);
  const greedyOpts = { strategy: 'greedy' as const, maxLength: f.maxLen };
  const beamOpts = { strategy: 'beam' as const, beamSize: 5, maxLength: f.maxLen };
  await translate(model, texts.slice(0, 64), greedyOpts); // untimed warm-up, as pytorch_ref.py does
  const run = async (opts: typeof greedyOpts | typeof beamOpts, batch: number): Promise<DecodeStats> => {
    const t0 = performance.now();
    const outs = await translate(model, texts, opts);
    const ms = performance.now() - t0;
    const lengths = outs.map((h) => h[0]?.tokens.length ?? 0);
    return {
      ms_per_input: ms / texts.length, inputs: texts.length, batch,
      mean_output_tokens: lengths.reduce((a, b) => a + b, 0) / lengths.length,
      outputs: outs.map((h) => h[0]?.text ?? ''), peak_rss_mb: peakRssMb(),
    };
  };
  const greedy = await run(greedyOpts, 64);
  const beam5 = await run(beamOpts, Math.max(8, Math.floor(256 / 5)));
  const single: number[] = [];
  for (let i = 0; i < 5; i++) await translate(model, [f.line], beamOpts); // untimed: JIT and kernels warm up on the 5-row shapes
  for (let i = 0; i < f.reps; i++) {
    const t0 = performance.now();
    await translate(model, [f.line], beamOpts);
    single.push(performance.now() - t0);
  }
  const result: DecodeResult = {
    impl: 'ours', backend, model_load_ms: modelLoadMs, greedy, beam5, single_line_beam5_ms: median(single),
    peak_rss_mb: peakRssMb(), single_line_peak_rss_mb: peakRssMb(), max_len: f.maxLen,
  };
  if (f.profile) {
    // Kernels of greedy decoding of one batch of 64 words, and of one line with beam 5.
    const { tf } = await import('../src/model/acceleration/backend');
    const kernels = async (fn: () => Promise<void>) => {
      const info = await tf.profile(fn);
      const by = new Map<string, { calls: number; ms: number }>();
      for (const k of info.kernels) {
        const e = by.get(k.name) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        by.set(k.name, e);
      }
      return {
        kernel_calls: info.kernels.length,
        top_kernels: [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10).map(([name, e]) => ({ name, calls: e.calls, ms: Math.round(e.ms * 10) / 10 })),
      };
    };
    const t0 = performance.now();
    const greedyBatch = await kernels(async () => { await translate(model, texts.slice(0, 64), greedyOpts); });
    const greedyMs = performance.now() - t0;
    const t1 = performance.now();
    const lineBeam = await kernels(async () => { await translate(model, [f.line], beamOpts); });
    result.profile = { greedy_64: { ...greedyBatch, wall_ms: greedyMs }, one_line_beam5: { ...lineBeam, wall_ms: performance.now() - t1 } };
  }
  model.dispose();
  emitResult(result);
}

// ---- child: extension activation with a stand-in `vscode` module --------------------------------

/** The `vscode` namespaces and classes an extension may touch (bundlers copy a module's own keys). */
const VSCODE_NAMES = [
  'window', 'workspace', 'commands', 'env', 'extensions', 'languages', 'l10n', 'tasks', 'debug', 'authentication', 'tests',
  'Uri', 'EventEmitter', 'Disposable', 'Range', 'Position', 'Selection', 'EndOfLine', 'ProgressLocation', 'StatusBarAlignment',
  'ViewColumn', 'ThemeIcon', 'ThemeColor', 'MarkdownString', 'TreeItem', 'TreeItemCollapsibleState', 'ConfigurationTarget',
  'CancellationTokenSource', 'CancellationError', 'RelativePattern', 'FileSystemError', 'FileType', 'LogLevel', 'TextEdit',
  'WorkspaceEdit', 'QuickPickItemKind', 'ExtensionMode', 'UIKind', 'TextEditorRevealType', 'OverviewRulerLane',
];

/** A stand-in for the `vscode` API: every property is a callable, constructible stand-in again. */
function standIn(path = 'vscode'): unknown {
  const fn = function () { /* stand-in */ };
  const cache = new Map<PropertyKey, unknown>();
  const own = path === 'vscode' ? VSCODE_NAMES : [];
  return new Proxy(fn, {
    set(_t, prop, value) { cache.set(prop, value); return true; },
    defineProperty(_t, prop, desc) { cache.set(prop, desc.value ?? desc.get?.()); return true; },
    ownKeys: () => [...own, 'prototype'],
    getOwnPropertyDescriptor: (t, prop) => (prop === 'prototype'
      ? Reflect.getOwnPropertyDescriptor(t, prop)
      : own.includes(String(prop)) ? { configurable: true, enumerable: true, value: standIn(`${path}.${String(prop)}`) } : undefined),
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => path;
      if (prop === Symbol.iterator) return function* () { /* empty */ };
      if (prop === 'dispose') return () => undefined;
      if (prop === 'fsPath' || prop === 'path') return tmpdir();
      if (!cache.has(prop)) cache.set(prop, standIn(`${path}.${String(prop)}`));
      return cache.get(prop);
    },
    apply(_t, _this, args) {
      // workspace.getConfiguration().get(key, default) and similar return their default.
      if (path.endsWith('.get') && args.length >= 2) return args[1];
      return standIn(`${path}()`);
    },
    construct() { return standIn(`new ${path}`) as object; },
  });
}

async function childActivate(): Promise<void> {
  const ext = join(ROOT, 'dist', 'extension.js');
  const Module = createRequire(__filename)('node:module') as { _load: (req: string, parent: unknown, isMain: boolean) => unknown };
  const original = Module._load;
  const vscode = standIn();
  Module._load = function (req: string, parent: unknown, isMain: boolean) {
    return req === 'vscode' ? vscode : original.call(this, req, parent, isMain);
  };
  const memento = { get: (_k: string, d?: unknown) => d, update: async () => undefined, keys: () => [], setKeysForSync: () => undefined };
  const storage = mkdtempSync(join(tmpdir(), 'seq2seq-bench-ext-'));
  const uri = { fsPath: storage, path: storage, scheme: 'file', toString: () => `file://${storage}` };
  const context = new Proxy({
    subscriptions: [] as { dispose(): unknown }[], extensionPath: ROOT, extensionUri: { fsPath: ROOT, path: ROOT, scheme: 'file' },
    globalStorageUri: uri, storageUri: uri, logUri: uri, globalStoragePath: storage, storagePath: storage, logPath: storage,
    globalState: memento, workspaceState: memento, extensionMode: 1, asAbsolutePath: (p: string) => join(ROOT, p),
  }, { get: (t, p) => (p in t ? (t as Record<PropertyKey, unknown>)[p] : standIn(`context.${String(p)}`)) });
  const t0 = performance.now();
  const mod = createRequire(__filename)(ext) as { activate(c: unknown): { activationMs?: number } };
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const api = mod.activate(context);
  const activateMs = performance.now() - t1;
  for (const d of context.subscriptions) { try { d.dispose(); } catch { /* stand-ins */ } }
  rmSync(storage, { recursive: true, force: true });
  emitResult({ module_load_ms: loadMs, activate_ms: activateMs, reported_activation_ms: api?.activationMs ?? null });
}

// ---- the orchestrator ---------------------------------------------------------------------------

export interface ChildOutcome<T> { ok: boolean; result?: T; error?: string }

export function runChild<T>(cmd: string, args: string[], opts: { tagged: boolean; timeoutMs?: number }): Promise<ChildOutcome<T>> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => {
      const s = b.toString();
      err += s;
      if (s.includes('[bench]')) process.stderr.write(s);
    });
    child.on('error', (e) => { if (timer) clearTimeout(timer); resolvePromise({ ok: false, error: e.message }); });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const lines = out.trim().split('\n').filter(Boolean);
      const line = opts.tagged ? lines.reverse().find((l) => l.startsWith(RESULT_TAG))?.slice(RESULT_TAG.length) : lines[lines.length - 1];
      if (line) {
        try {
          const parsed = JSON.parse(line) as T & { error?: string };
          if (parsed.error) return resolvePromise({ ok: false, error: parsed.error });
          if (code === 0) return resolvePromise({ ok: true, result: parsed });
        } catch { /* fall through */ }
      }
      resolvePromise({ ok: false, error: `exit ${code}: ${(err.trim().split('\n').slice(-4).join(' | ') || out.slice(-300))}` });
    });
  });
}

const tsxArgs = (f: Flags, child: string, extra: string[]): string[] => [
  '--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--child', child,
  '--steps', String(f.steps), '--warmup', String(f.warmup), '--train', f.train, '--dev', f.dev,
  '--decode-n', String(f.decodeN), '--max-len', String(f.maxLen), '--reps', String(f.reps),
  '--decode-train-steps', String(f.decodeTrainSteps), '--line', f.line, ...extra,
];

interface TorchCheck { available: boolean; info?: Record<string, unknown>; reason?: string }

async function checkTorch(f: Flags): Promise<TorchCheck> {
  if (!f.torch) return { available: false, reason: 'skipped (--no-torch)' };
  if (!existsSync(PYTHON)) return { available: false, reason: `${PYTHON} not found` };
  const r = await runChild<Record<string, unknown>>(PYTHON, [PY_REF, 'blas', '--threads', String(f.torchThreads[0] ?? 2)], { tagged: false, timeoutMs: 120_000 });
  if (!r.ok) return { available: false, reason: r.error?.includes('torch-missing') ? 'torch is not installed' : r.error };
  return { available: true, info: r.result };
}

interface WorkerBench { fork_to_ready_ms: number; first_translate_ms: number; warm_translate_ms: number; warm_translate_min_ms: number; inspect_ms: number; backend: string }

/** dist/worker.js forked as the extension forks it; `request` resolves with the milliseconds a request took. */
async function startWorker(): Promise<{ request: (req: Record<string, unknown>) => Promise<number>; readyMs: number; backend: string; pid: number; close: () => Promise<void> }> {
  const script = join(ROOT, 'dist', 'worker.js');
  if (!existsSync(script)) throw new Error(`${script} is not built (node esbuild.mjs)`);
  const t0 = performance.now();
  const child: ChildProcess = fork(script, [], {
    serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: ['--max-old-space-size=4096'],
  });
  type Msg = { type: string; id?: string; info?: { backend: string }; message?: string };
  const waiters = new Map<string, (m: Msg) => void>();
  let readyAt = 0;
  let backend = '?';
  const ready = new Promise<void>((res, rej) => {
    child.on('message', (raw) => {
      const m = raw as Msg;
      if (m.type === 'ready') { readyAt = performance.now(); backend = m.info?.backend ?? '?'; res(); }
      if ((m.type === 'result' || m.type === 'error') && m.id && waiters.has(m.id)) { waiters.get(m.id)!(m); waiters.delete(m.id); }
    });
    child.on('exit', (code) => rej(new Error(`worker exited (${code})`)));
  });
  let n = 0;
  const request = (req: Record<string, unknown>): Promise<number> => new Promise((res, rej) => {
    const id = `bench-${++n}`;
    const s = performance.now();
    waiters.set(id, (m) => (m.type === 'error' ? rej(new Error(m.message)) : res(performance.now() - s)));
    child.send({ ...req, id });
  });
  const close = async () => {
    child.removeAllListeners('exit');
    if (child.connected) child.disconnect();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await ready;
  } catch (e) {
    await close();
    throw e;
  }
  return { request, readyMs: readyAt - t0, backend, pid: child.pid!, close };
}

async function benchWorker(modelDir: string, line: string, maxLen: number, reps: number): Promise<WorkerBench> {
  const w = await startWorker();
  try {
    const translateReq = { type: 'translate', modelDir, inputs: [line], decode: { strategy: 'beam', beamSize: 5, maxLength: maxLen } };
    const first = await w.request(translateReq);
    for (let i = 0; i < 5; i++) await w.request(translateReq); // untimed warm-up, as in process
    const warm: number[] = [];
    for (let i = 0; i < reps; i++) warm.push(await w.request(translateReq));
    const inspect = await w.request({ type: 'inspect', modelDir });
    return { fork_to_ready_ms: w.readyMs, first_translate_ms: first, warm_translate_ms: median(warm), warm_translate_min_ms: Math.min(...warm), inspect_ms: inspect, backend: w.backend };
  } finally {
    await w.close();
  }
}

interface LinesBench { lines: number; strategy: string; ms_per_line: number; peak_rss_mb: number | null; limit_mb: number; within_limit: boolean | null }

/** A fresh worker translating `lines` in one request with the default decoding options (what Translate Selection does), and its peak RSS (Linux: VmHWM). */
async function benchWorkerLines(modelDir: string, lines: string[]): Promise<LinesBench> {
  const w = await startWorker();
  try {
    const ms = await w.request({ type: 'translate', modelDir, inputs: lines });
    let peak: number | null = null;
    try {
      const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'));
      peak = hwm ? Number(hwm[1]) / 1024 : null;
    } catch { /* not Linux */ }
    return { lines: lines.length, strategy: 'greedy (default options)', ms_per_line: ms / lines.length, peak_rss_mb: peak, limit_mb: 200, within_limit: peak === null ? null : peak < 200 };
  } finally {
    await w.close();
  }
}

export function fmt(x: number | undefined | null, digits = 1): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  return x.toFixed(digits);
}

export function agreement(a: string[] | undefined, b: string[] | undefined): number | null {
  if (!a || !b || a.length !== b.length) return null;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return (100 * same) / a.length;
}

interface TorchSide {
  threads: number;
  train: TrainResult[];
  decode: DecodeResult[];
}

type Num = number | null;

/** One side's medians (ours at one thread setting, or PyTorch at one). */
interface SideSummary {
  threads: number; blas_threads?: number;
  samples_per_s: number; target_tokens_per_s: number; gflops: number; ms_per_step: number; peak_rss_mb: number; cpu_per_wall: number;
  runs: number[];
  greedy_ms_per_input: number; greedy_peak_rss_mb: number; beam5_ms_per_input: number; beam5_peak_rss_mb: number;
  single_line_beam5_ms: number; single_line_peak_rss_mb: number;
  greedy_mean_output_tokens: Num; beam5_mean_output_tokens: Num;
}

/**
 * A figure of ours against PyTorch's fastest thread setting for that figure. ratio_vs_best is always a
 * speed ratio (above 1: we are faster): samples/s ours / PyTorch's; for times, PyTorch's ms / ours.
 */
interface VsBest { ours: number; ours_peak_rss_mb: Num; pytorch_best: Num; pytorch_best_threads: Num; pytorch_best_peak_rss_mb: Num; ratio_vs_best: Num }

interface ArchSummary {
  name: string; description: string; model: BenchArchitecture['model']; lr: number; batch: number; model_dir: string | null;
  train: VsBest & {
    backend: string | null; threads: number; target_tokens_per_s: number; gflops: number; ms_per_step: number; cpu_per_wall: number;
    runs: number[]; same_batches: boolean | null; loss: number[] | null; pytorch_loss: number[] | null; profile?: unknown;
  };
  greedy: VsBest & { mean_output_tokens: Num; pytorch_mean_output_tokens: Num; identical_outputs_pct: Num; batch: number };
  beam5: VsBest & { mean_output_tokens: Num; pytorch_mean_output_tokens: Num; identical_outputs_pct: Num; batch_inputs: number };
  single_line: VsBest;
  model_load_ms: number; decode_profile?: unknown;
  lines: LinesBench | null;
  ours_by_threads: SideSummary[];
  pytorch_by_threads: SideSummary[];
}

interface Summary {
  engine: { commit: string | null; src_modified: boolean };
  machine: { cpus: number; cpu: string; node: string; loadavg_start: number[]; loadavg_end: number[] };
  pytorch: unknown;
  settings: { steps: number; warmup: number; runs: number; decode_inputs: number; max_len: number } & Record<string, unknown>;
  architectures: ArchSummary[];
  worker: WorkerBench | null;
  activation: { module_load_ms?: number; activate_ms?: number; note?: string };
  errors: string[]; elapsed_s: number;
}

const medianOf = <T>(xs: T[], pick: (x: T) => number | undefined): number => median(xs.map((x) => pick(x) ?? NaN).filter((v) => Number.isFinite(v)));

function sideSummary(threads: number, train: TrainResult[], decode: DecodeResult[]): SideSummary {
  const t = (k: keyof TrainResult) => medianOf(train, (x) => x[k] as number);
  const d = (pick: (x: DecodeResult) => number | undefined) => medianOf(decode, pick);
  return {
    threads, blas_threads: train[0]?.native_blas ? train[0]?.blas_threads : undefined,
    samples_per_s: t('samples_per_s'), target_tokens_per_s: t('target_tokens_per_s'), gflops: t('gflops'), ms_per_step: t('ms_per_step'),
    peak_rss_mb: t('peak_rss_mb'), cpu_per_wall: t('cpu_per_wall'), runs: train.map((x) => x.samples_per_s),
    greedy_ms_per_input: d((x) => x.greedy.ms_per_input), greedy_peak_rss_mb: d((x) => x.greedy.peak_rss_mb),
    beam5_ms_per_input: d((x) => x.beam5.ms_per_input), beam5_peak_rss_mb: d((x) => x.beam5.peak_rss_mb),
    single_line_beam5_ms: d((x) => x.single_line_beam5_ms), single_line_peak_rss_mb: d((x) => x.single_line_peak_rss_mb ?? x.peak_rss_mb),
    greedy_mean_output_tokens: decode[0]?.greedy.mean_output_tokens ?? null, beam5_mean_output_tokens: decode[0]?.beam5.mean_output_tokens ?? null,
  };
}

/** Ours against the PyTorch side that is fastest for this figure (higher: samples/s; lower: times). */
function vsBest(ours: SideSummary, sides: SideSummary[], value: (s: SideSummary) => number, rss: (s: SideSummary) => number, higherIsFaster: boolean): VsBest {
  const usable = sides.filter((s) => Number.isFinite(value(s)) && value(s) > 0);
  const best = usable.reduce<SideSummary | null>((b, s) => (!b || (higherIsFaster ? value(s) > value(b) : value(s) < value(b)) ? s : b), null);
  const o = value(ours);
  const ok = best && Number.isFinite(o) && o > 0;
  return {
    ours: o, ours_peak_rss_mb: Number.isFinite(rss(ours)) ? rss(ours) : null,
    pytorch_best: best ? value(best) : null, pytorch_best_threads: best?.threads ?? null, pytorch_best_peak_rss_mb: best ? rss(best) : null,
    ratio_vs_best: ok ? (higherIsFaster ? o / value(best) : value(best) / o) : null,
  };
}

interface TorchCheckOk { available: boolean }

/** Training and decoding of one architecture on both sides, alternating, then its summary. */
async function benchArchitecture(arch: BenchArchitecture, f: Flags, torch: TorchCheckOk, workDir: string, errors: string[], lines: string[]): Promise<ArchSummary> {
  const node = process.execPath;
  const modelDir = f.model ? resolve(f.model) : join(workDir, `model-${arch.name}`);
  const archArg = ['--child-arch', JSON.stringify(arch)];
  const ourSides = f.ourThreads.map((threads) => ({ threads, train: [] as TrainResult[] }));
  const ours = ourSides[0].train; // the reference for every ratio
  const sides: TorchSide[] = torch.available ? f.torchThreads.map((threads) => ({ threads, train: [], decode: [] })) : [];
  const label = `${arch.name}:`;
  // Training: ours, torch (each thread count), ours, torch, ...
  for (let r = 0; r < f.runs; r++) {
    for (const [i, side] of ourSides.entries()) {
      const save = r === 0 && i === 0 && !f.model ? ['--save', modelDir] : [];
      const prof = r === 0 && i === 0 && f.profile ? ['--profile'] : [];
      progress(`${label} train run ${r + 1}/${f.runs}: ours, ${side.threads} thread${side.threads > 1 ? 's' : ''} (${f.warmup} warm-up + ${f.steps} timed steps${save.length ? `, then a decode model to step ${f.decodeTrainSteps}` : ''})`);
      const o = await runChild<TrainResult>(node, tsxArgs(f, 'train', ['--threads', String(side.threads), ...archArg, ...save, ...prof]), { tagged: true });
      if (o.ok && o.result) { side.train.push(o.result); progress(`  ours: ${fmt(o.result.samples_per_s)} samples/s (${o.result.backend}, ${o.result.threads ?? 1} thread${(o.result.threads ?? 1) > 1 ? 's' : ''})`); } else errors.push(`${label} ours train (${side.threads} threads): ${o.error}`);
    }
    for (const side of sides) {
      progress(`${label} train run ${r + 1}/${f.runs}: PyTorch, ${side.threads} thread${side.threads > 1 ? 's' : ''}`);
      const t = await runChild<TrainResult>(PYTHON, [PY_REF, 'train', '--steps', String(f.steps), '--warmup', String(f.warmup), '--data', f.train, '--threads', String(side.threads),
        '--model-settings', JSON.stringify(arch.model), '--lr', String(arch.lr), '--batch', String(arch.batch)], { tagged: false });
      if (t.ok && t.result) { side.train.push(t.result); progress(`  PyTorch: ${fmt(t.result.samples_per_s)} samples/s`); } else errors.push(`${label} pytorch train (${side.threads} threads): ${t.error}`);
    }
  }
  // PyTorch's GFLOP/s from the same batches' FLOPs (one formula, bench/architectures.ts).
  const flops = ours[0]?.matmul_flops;
  for (const side of sides) {
    for (const t of side.train) {
      t.gflops = flops && t.batches_fingerprint === ours[0].batches_fingerprint ? flops / (t.ms_per_step * t.steps / 1000) / 1e9 : NaN;
    }
  }

  // Decoding: ours, torch, ours, torch, ... with the same weights on both sides.
  const oursDec: DecodeResult[] = [];
  const haveModel = existsSync(join(modelDir, 'model.json'));
  if (!haveModel) errors.push(`${label} no model to decode with in ${modelDir}`);
  for (let r = 0; haveModel && r < f.runs; r++) {
    progress(`${label} decode run ${r + 1}/${f.runs}: ours (greedy + beam 5 over ${f.decodeN} dev words, one-line beam 5 x${f.reps})`);
    const o = await runChild<DecodeResult>(node, tsxArgs(f, 'decode', ['--model', modelDir, ...(r === 0 && f.profile ? ['--profile'] : [])]), { tagged: true });
    if (o.ok && o.result) oursDec.push(o.result); else errors.push(`${label} ours decode: ${o.error}`);
    for (const side of sides) {
      progress(`${label} decode run ${r + 1}/${f.runs}: PyTorch, ${side.threads} thread${side.threads > 1 ? 's' : ''}`);
      const t = await runChild<DecodeResult>(PYTHON, [PY_REF, 'decode', '--model', modelDir, '--dev', f.dev, '--n', String(f.decodeN), '--max-len', String(f.maxLen), '--reps', String(f.reps), '--line', f.line, '--threads', String(side.threads), '--outputs'], { tagged: false });
      if (t.ok && t.result) side.decode.push(t.result); else errors.push(`${label} pytorch decode (${side.threads} threads): ${t.error}`);
    }
  }
  let linesBench: LinesBench | null = null;
  if (haveModel && lines.length && existsSync(join(ROOT, 'dist', 'worker.js'))) {
    progress(`${label} worker: translate ${lines.length} lines in one request (default options), peak memory`);
    try { linesBench = await benchWorkerLines(modelDir, lines); } catch (e) { errors.push(`${label} worker lines: ${(e as Error).message}`); }
  }

  const ourSummaries = ourSides.map((o, i) => sideSummary(o.train[0]?.threads ?? o.threads, o.train, i === 0 ? oursDec : []));
  const torchSummaries = sides.map((s) => sideSummary(s.threads, s.train, s.decode));
  const primary = ourSummaries[0];
  const firstDec = sides.find((s) => s.decode.length)?.decode[0];
  const firstTrain = sides.find((s) => s.train.length)?.train[0];
  const bestTrainSide = torchSummaries.reduce<SideSummary | null>((b, s) => (!b || s.samples_per_s > b.samples_per_s ? s : b), null);
  const decodeTorch = (pick: (d: DecodeResult) => DecodeStats) => firstDec ? pick(firstDec) : undefined;
  return {
    name: arch.name, description: describeModel(arch.model), model: arch.model, lr: arch.lr, batch: arch.batch, model_dir: f.model ? modelDir : null,
    train: {
      ...vsBest(primary, torchSummaries, (s) => s.samples_per_s, (s) => s.peak_rss_mb, true),
      backend: ours[0]?.backend ?? null, threads: primary.threads,
      target_tokens_per_s: primary.target_tokens_per_s, gflops: primary.gflops, ms_per_step: primary.ms_per_step, cpu_per_wall: primary.cpu_per_wall,
      runs: primary.runs,
      same_batches: ours.length && firstTrain ? ours[0].batches_fingerprint === firstTrain.batches_fingerprint : null,
      loss: ours[0] ? [ours[0].first_loss, ours[0].last_loss] : null,
      pytorch_loss: bestTrainSide && firstTrain ? [firstTrain.first_loss, firstTrain.last_loss] : null,
      profile: ours[0]?.profile,
    },
    greedy: {
      ...vsBest(primary, torchSummaries, (s) => s.greedy_ms_per_input, (s) => s.greedy_peak_rss_mb, false),
      mean_output_tokens: primary.greedy_mean_output_tokens, pytorch_mean_output_tokens: decodeTorch((d) => d.greedy)?.mean_output_tokens ?? null,
      identical_outputs_pct: agreement(oursDec[0]?.greedy.outputs, firstDec?.greedy.outputs), batch: 64,
    },
    beam5: {
      ...vsBest(primary, torchSummaries, (s) => s.beam5_ms_per_input, (s) => s.beam5_peak_rss_mb, false),
      mean_output_tokens: primary.beam5_mean_output_tokens, pytorch_mean_output_tokens: decodeTorch((d) => d.beam5)?.mean_output_tokens ?? null,
      identical_outputs_pct: agreement(oursDec[0]?.beam5.outputs, firstDec?.beam5.outputs), batch_inputs: Math.max(8, Math.floor(256 / 5)),
    },
    single_line: vsBest(primary, torchSummaries, (s) => s.single_line_beam5_ms, (s) => s.single_line_peak_rss_mb, false),
    model_load_ms: medianOf(oursDec, (d) => d.model_load_ms),
    decode_profile: oursDec[0]?.profile,
    lines: linesBench,
    ours_by_threads: ourSummaries,
    pytorch_by_threads: torchSummaries,
  };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  if (f.child === 'train') return childTrain(f);
  if (f.child === 'decode') return childDecode(f);
  if (f.child === 'activate') return childActivate();
  if (f.child === 'worker') {
    if (!f.model) throw new Error('--child worker needs --model DIR');
    return emitResult(await benchWorker(resolve(f.model), f.line, f.maxLen, f.reps));
  }
  if (process.argv.includes('--transformer-only')) return (await import('./transformer')).main(process.argv.slice(2));

  const started = performance.now();
  const load0 = loadavg();
  const git = (...a: string[]) => { const r = spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }); return r.status === 0 ? r.stdout.trim() : null; };
  const engine = { commit: git('rev-parse', '--short', 'HEAD'), src_modified: (git('status', '--porcelain', '--', 'src', 'native') ?? '') !== '' };
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', mem_gb: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg_start: load0.map((x) => Math.round(x * 100) / 100) };
  progress(`machine: ${machine.cpus} x ${machine.cpu}, load average ${machine.loadavg_start.join(' ')}`);
  if (!existsSync(f.train)) throw new Error(`${f.train}: training data not found (expected ../shared/data/cmudict-g2p next to the repo, or --train FILE)`);
  const archs = await benchArchitectures(f.model ? f.arch.slice(0, 1) : f.arch, f.train);

  const torch = await checkTorch(f);
  if (torch.available) progress(`PyTorch ${String(torch.info?.torch)}: BLAS ${String(torch.info?.blas)} (${(torch.info?.blas_libraries as string[] | undefined)?.[0] ?? '?'}), 1024^3 matmul ${String(torch.info?.matmul_1024_gflops)} GFLOP/s on ${String(torch.info?.threads)} threads`);
  else progress(`PyTorch reference unavailable: ${torch.reason}. Install it with: ${INSTALL_HINT}. Reporting our own figures only.`);
  if (torch.available && torch.info?.blas !== 'openblas' && torch.info?.blas !== 'mkl') {
    progress(`warning: PyTorch uses a ${String(torch.info?.blas)} BLAS; the reference is meant to run on OpenBLAS (apt-get install libopenblas0-pthread)`);
  }

  const workDir = mkdtempSync(join(tmpdir(), 'seq2seq-bench-'));
  const errors: string[] = [];
  try {
    const lines = f.lines > 0 ? readSources(f.train, f.lines) : [];
    const architectures: ArchSummary[] = [];
    for (const arch of archs) architectures.push(await benchArchitecture(arch, f, torch, workDir, errors, lines));

    const firstModel = architectures.map((a) => a.model_dir ?? join(workDir, `model-${a.name}`)).find((d) => existsSync(join(d, 'model.json')));
    let worker: WorkerBench | null = null;
    if (f.worker && firstModel) {
      progress('worker: fork dist/worker.js, ready, first translate (loads the model), warm translates');
      try { worker = await benchWorker(firstModel, f.line, f.maxLen, f.reps); } catch (e) { errors.push(`worker: ${(e as Error).message}`); }
    }
    let activation: { module_load_ms: number; activate_ms: number; reported_activation_ms: number | null } | null = null;
    let activationNote = '';
    if (existsSync(join(ROOT, 'dist', 'extension.js'))) {
      const a = await runChild<typeof activation & object>(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--child', 'activate'], { tagged: true, timeoutMs: 60_000 });
      if (a.ok && a.result) activation = a.result; else activationNote = `not measurable without VS Code here: ${a.error}`;
    } else activationNote = 'dist/extension.js is not built';

    const summary: Summary = {
      engine,
      machine: { ...machine, loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100) },
      pytorch: torch.available ? torch.info : { unavailable: torch.reason, install: INSTALL_HINT },
      settings: { steps: f.steps, warmup: f.warmup, runs: f.runs, our_threads: f.ourThreads, decode_inputs: f.decodeN, max_len: f.maxLen, decode_train_steps: f.model ? null : f.decodeTrainSteps, model_dir: f.model ?? null, pytorch_threads: f.torchThreads, lines: f.lines },
      architectures,
      worker,
      activation: activation ?? { note: activationNote },
      errors,
      elapsed_s: Math.round((performance.now() - started) / 1000),
    };
    const section = await import('./transformer');
    const transformer = process.argv.includes('--no-transformer') ? null : await section.transformerSection(process.argv.slice(2));
    if (f.json) {
      process.stdout.write(JSON.stringify({ ...summary, transformer }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    } else {
      printTables(summary, torch.available);
      if (transformer) section.printTransformerSection(transformer);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const ratioText = (v: VsBest) => (v.ratio_vs_best === null ? '-' : `${v.ratio_vs_best.toFixed(2)}x (${v.pytorch_best_threads} thr)`);
const withRss = (x: number | null | undefined, digits: number, rss: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${x.toFixed(digits)} (${fmt(rss, 0)} MB)`);

function printTables(s: Summary, torch: boolean): void {
  const out: string[] = [];
  out.push(`Seq2Seq Studio vs PyTorch on CMUdict G2P: ${s.architectures.map((a) => a.name).join(', ')}`);
  out.push(`engine at commit ${s.engine.commit ?? '?'}${s.engine.src_modified ? ' (src/ or native/ has uncommitted changes)' : ''}`);
  out.push(`${s.machine.cpus} x ${s.machine.cpu}, Node ${s.machine.node}; load average at start ${s.machine.loadavg_start.join(' ')}, at end ${s.machine.loadavg_end.join(' ')}`);
  if (torch) {
    const p = s.pytorch as Record<string, unknown>;
    out.push(`PyTorch ${String(p.torch)}, BLAS: ${String(p.blas)} (1024^3 matmul ${String(p.matmul_1024_gflops)} GFLOP/s on ${String(p.threads)} threads)`);
  } else {
    out.push(`PyTorch reference not run: ${String((s.pytorch as { unavailable?: string }).unavailable)}. To compare, install it: ${INSTALL_HINT}`);
  }
  out.push(`${s.settings.runs} alternating runs per side, ${s.settings.warmup} warm-up + ${s.settings.steps} timed steps each; decoding: same weights both sides, ${s.settings.decode_inputs} dev words, max ${s.settings.max_len} tokens`);
  out.push('"vs best PyTorch": our speed over the fastest PyTorch thread setting for that figure (above 1: we are faster). "(N MB)": peak RSS of that run\'s process.');
  for (const a of s.architectures) printArchitecture(a, out);
  out.push('');
  out.push('start-up (ours)');
  const start: string[][] = [];
  if (s.worker) {
    const w = s.worker;
    start.push([`  worker fork -> ready (ms, ${w.backend})`, fmt(w.fork_to_ready_ms, 0)]);
    start.push(['  worker first translate, loads model (ms)', fmt(w.first_translate_ms, 0)]);
    start.push(['  worker one line beam 5, warm median / min (ms)', `${fmt(w.warm_translate_ms, 1)} / ${fmt(w.warm_translate_min_ms, 1)}`]);
    start.push(['  worker inspect (ms)', fmt(w.inspect_ms, 1)]);
  }
  if (s.activation.activate_ms !== undefined) start.push(['  extension.js load + activate (ms)*', `${fmt(s.activation.module_load_ms, 0)} + ${fmt(s.activation.activate_ms, 1)}`]);
  const w0 = Math.max(...start.map((r) => r[0].length), 0);
  for (const r of start) out.push(`${r[0].padEnd(w0)}  ${r[1]}`);
  out.push('"ours N thr" = training threads (2: a gradient replica on a worker thread computes half of each batch); "BLAS M" = threads of the BLAS doing our native kernels\' matrix multiplies. The first column is what `seq2seq train` does by default here.');
  out.push('"PyTorch N thr" = torch.set_num_threads(N) (intra-op threads); OpenBLAS keeps its own pool of one thread per core either way.');
  if (s.activation.activate_ms !== undefined) out.push('* with a stand-in `vscode` module (no VS Code here): our own activation code only, not VS Code\'s extension host.');
  else if (s.activation.note) out.push(`extension activation: ${s.activation.note}`);
  if (s.errors.length) {
    out.push('');
    out.push('errors:');
    for (const e of s.errors) out.push(`  ${e}`);
  }
  out.push('');
  out.push(`(${s.elapsed_s} s. Figures vary with load: other jobs on this machine share its ${s.machine.cpus} cores; "CPU s per wall s" below 1 (ours) or below the thread count (PyTorch) means a run did not get its cores.)`);
  process.stdout.write(out.join('\n') + '\n');
}

function printArchitecture(a: ArchSummary, out: string[]): void {
  const ours = a.ours_by_threads;
  const sides = a.pytorch_by_threads;
  const thr = (n: number, blas?: number) => (blas ? `${n} thr, BLAS ${blas}` : `${n} thr`);
  const header = ['', `ours (${a.train.backend ?? '?'}, ${thr(ours[0].threads, ours[0].blas_threads)})`, ...ours.slice(1).map((o) => `ours ${thr(o.threads, o.blas_threads)}`), ...sides.map((p) => `PyTorch ${thr(p.threads)}`), 'vs best PyTorch'];
  const rows: string[][] = [header];
  const n = header.length;
  const blank = (label: string) => [label, ...Array<string>(n - 1).fill('')];
  const row = (label: string, pick: (x: SideSummary) => string, ratio: string, oursToo = true) =>
    [label, pick(ours[0]), ...ours.slice(1).map((o) => (oursToo ? pick(o) : '')), ...sides.map(pick), ratio];
  rows.push(blank('training (median of runs)'));
  rows.push(row('  samples/s', (x) => withRss(x.samples_per_s, 1, x.peak_rss_mb), ratioText(a.train)));
  rows.push(row('  target tokens/s', (x) => fmt(x.target_tokens_per_s, 0), ''));
  rows.push(row('  ms per step', (x) => fmt(x.ms_per_step, 0), ''));
  rows.push(row('  matmul GFLOP/s', (x) => fmt(x.gflops, 2), ''));
  rows.push(row('  CPU s per wall s', (x) => fmt(x.cpu_per_wall, 2), ''));
  rows.push(row('  each run, samples/s', (x) => x.runs.map((v) => fmt(v)).join(', ') || '-', ''));
  rows.push(blank(`decoding (ms, peak RSS)`));
  rows.push(row(`  greedy ms/input (64 per batch)`, (x) => withRss(x.greedy_ms_per_input, 2, x.greedy_peak_rss_mb), ratioText(a.greedy), false));
  rows.push(row('  greedy mean output tokens', (x) => fmt(x.greedy_mean_output_tokens, 2), '', false));
  rows.push(row('  beam-5 ms/input (51 inputs x 5 beams)', (x) => withRss(x.beam5_ms_per_input, 2, x.beam5_peak_rss_mb), ratioText(a.beam5), false));
  rows.push(row('  beam-5 mean output tokens', (x) => fmt(x.beam5_mean_output_tokens, 2), '', false));
  rows.push(row('  one line, beam 5, in process, warm (ms)', (x) => withRss(x.single_line_beam5_ms, 1, x.single_line_peak_rss_mb), ratioText(a.single_line), false));
  const width = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  const line = (x: string[]) => x.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ').trimEnd();
  out.push('');
  out.push(`== ${a.name}: ${a.description}; batch ${a.batch}, Adam ${a.lr}`);
  out.push(`same batches on both sides: ${a.train.same_batches === null ? 'n/a' : a.train.same_batches ? 'yes' : 'NO'}; decoded outputs identical to PyTorch's: greedy ${fmt(a.greedy.identical_outputs_pct)} %, beam 5 ${fmt(a.beam5.identical_outputs_pct)} %`);
  out.push(line(rows[0]));
  out.push(width.map((k) => '-'.repeat(k)).join('  '));
  for (const x of rows.slice(1)) out.push(line(x));
  out.push(`  model load in process ${fmt(a.model_load_ms, 0)} ms` + (a.lines ? `; worker translating ${a.lines.lines} lines in one request (${a.lines.strategy}): ${fmt(a.lines.ms_per_line, 2)} ms/line, peak RSS ${fmt(a.lines.peak_rss_mb, 0)} MB (limit ${a.lines.limit_mb})` : ''));
  if (a.train.profile) {
    const p = a.train.profile as { batch_shape: number[]; forward_ms: number; forward_backward_ms: number; full_step_ms: number; kernel_calls: number; top_kernels: { name: string; calls: number; ms: number }[] };
    out.push(`  where our training step goes (--profile; one batch of B x S x T = ${p.batch_shape.join(' x ')}, medians of 5):`);
    out.push(`    forward (loss) ${fmt(p.forward_ms, 0)} ms; forward + backward (gradients) ${fmt(p.forward_backward_ms, 0)} ms; whole trainStep (+ clipping, Adam) ${fmt(p.full_step_ms, 0)} ms`);
    out.push(`    tf.profile of one trainStep: ${p.kernel_calls} kernel calls; most time (a customGrad op's "forward" includes its inner kernels):`);
    out.push('      ' + p.top_kernels.map((k) => `${k.name} ${k.calls}x ${fmt(k.ms, 1)} ms`).join(', '));
  }
  if (a.decode_profile) {
    type K = { kernel_calls: number; wall_ms: number; top_kernels: { name: string; calls: number; ms: number }[] };
    const d = a.decode_profile as { greedy_64: K; one_line_beam5: K };
    out.push('  where our decoding time goes (--profile, tf.profile):');
    for (const [label, k] of [['greedy, one batch of 64 words', d.greedy_64], ['one line, beam 5', d.one_line_beam5]] as const) {
      out.push(`    ${label}: ${fmt(k.wall_ms, 1)} ms wall (profiled), ${k.kernel_calls} kernel calls: ` + k.top_kernels.map((x) => `${x.name} ${x.calls}x ${fmt(x.ms, 1)} ms`).join(', '));
    }
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
