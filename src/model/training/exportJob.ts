/**
 * A training job for another machine (a cluster running PyTorch DDP, see python/seq2seq_torch): the
 * settings resolved here, the tokenisers learned here, the data, and a README with the launch command.
 *
 * The data go out already encoded to token ids, so the cluster never re-implements our tokenisers
 * (BPE merges, Unicode word splitting, lower-casing): both sides see exactly the same ids, and the
 * model that comes back decodes with the same tokenizers.json. The dev pairs also carry their texts,
 * for BLEU and samples. The folder is written as a temporary sibling and renamed into place, so it
 * is either whole or absent.
 *
 *   job.json         format, settings, task, dev metric, provenance, counts, file names
 *   tokenizers.json  as in a model folder
 *   train.jsonl      {"src": [ids], "tgt": [ids]} per pair (no <s>, </s>)
 *   dev.jsonl        {"src", "tgt", "source", "target"} per pair (absent when there is no dev set)
 *   README.md        what this is and how to launch it
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PresetName, Seq2SeqSettings, SettingsOverrides, TaskKind } from '../config';
import { DataError, readPairs, splitDev, type Example, type Pair } from '../data/data';
import { buildTextVocabulary, corpusReport, splitCorpus, textExamples } from '../generation/generationData';
import { resolveTextSettings, textProfile, textSide } from './settingsFromData';
import { DEFAULT_SETTINGS, mergeSettings } from '../config';
import type { Vocabulary } from '../data/tokenizer';
import type { DataReport, SkippedLine } from './events';
import { resolveSettings } from './settingsFromData';
import { buildVocabularies, devMetricKind, encodeExamples, type DevMetricKind } from './encodeData';

export const JOB_FORMAT = 'seq2seq-training-job';
export const JOB_FORMAT_VERSION = 1;
export const JOB_FILES = { job: 'job.json', tokenizers: 'tokenizers.json', train: 'train.jsonl', dev: 'dev.jsonl', readme: 'README.md' } as const;

export interface ExportJobOptions {
  dataFile: string;
  devFile?: string;
  outDir: string;
  preset?: PresetName;
  settings?: SettingsOverrides;
  task?: TaskKind;
}

export interface ExportJobResult {
  dir: string;
  settings: Seq2SeqSettings;
  trainPairs: number;
  devPairs: number;
  sourceVocab: number;
  targetVocab: number;
  devMetric: DevMetricKind;
  report: DataReport;
}

export class JobExportError extends Error {
  constructor(message: string) { super(message); this.name = 'JobExportError'; }
}

/** Writes lines to a new file in chunks (a job can hold millions of pairs), flushed to disk. */
function writeLines(path: string, lines: Iterable<string>): void {
  const fd = openSync(path, 'wx');
  try {
    let buf: string[] = [];
    const flush = () => { if (buf.length) { writeSync(fd, buf.join('')); buf = []; } };
    for (const l of lines) { buf.push(l, '\n'); if (buf.length >= 20000) flush(); }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function* exampleLines(examples: Example[], texts?: Pair[]): Generator<string> {
  for (let i = 0; i < examples.length; i++) {
    const e = examples[i];
    const ids = { src: Array.from(e.src), tgt: Array.from(e.tgt), ...(e.open ? { open: true } : {}) };
    yield JSON.stringify(texts ? { ...ids, source: texts[i].source, target: texts[i].target } : ids);
  }
}

export async function exportJob(opts: ExportJobOptions): Promise<ExportJobResult> {
  const out = resolve(opts.outDir);
  if (existsSync(out)) throw new JobExportError(`${out}: already exists; choose a new folder for the job`);
  const task = opts.task ?? 'pairs';
  const dataFile = resolve(opts.dataFile);
  const devFile = opts.devFile ? resolve(opts.devFile) : undefined;
  const { settings, source, target, examples, devExamples, devTexts, devMetric, report } = task === 'generate'
    ? await textJobData(opts, dataFile, devFile) : await pairJobData(opts, dataFile, devFile);

  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const files: Record<string, string> = { tokenizers: JOB_FILES.tokenizers, train: JOB_FILES.train, readme: JOB_FILES.readme };
    if (devExamples.length) files.dev = JOB_FILES.dev;
    const job = {
      format: JOB_FORMAT, formatVersion: JOB_FORMAT_VERSION, createdBy: 'seq2seq-studio', createdAt: new Date().toISOString(),
      settings, task, devMetric, dataFile, devFile, trainPairs: examples.length, devPairs: devExamples.length,
      skippedPairs: report.skipped, sourceVocab: source.size, targetVocab: target.size, files,
    };
    writeLines(join(tmp, JOB_FILES.job), [JSON.stringify(job, null, 2)]);
    writeLines(join(tmp, JOB_FILES.tokenizers), [JSON.stringify({ source: source.toJSON(), target: target.toJSON() }, null, 2)]);
    writeLines(join(tmp, JOB_FILES.train), exampleLines(examples));
    if (devExamples.length) writeLines(join(tmp, JOB_FILES.dev), exampleLines(devExamples, devTexts));
    writeLines(join(tmp, JOB_FILES.readme), [jobReadme(basename(out), job)]);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: out, settings, trainPairs: examples.length, devPairs: devExamples.length, sourceVocab: source.size, targetVocab: target.size, devMetric, report };
}

/** Pairs: the same defaults, preset, split and encoding as `seq2seq train` (src/model/training/setup.ts). */
async function pairJobData(opts: ExportJobOptions, dataFile: string, devFile: string | undefined) {
  const read = await readPairs(dataFile);
  const settings = resolveSettings(read.pairs, opts.preset ?? 'balanced', opts.settings);
  let trainPairs = read.pairs;
  let devPairs: Pair[] = [];
  if (devFile) devPairs = (await readPairs(devFile)).pairs;
  else ({ train: trainPairs, dev: devPairs } = splitDev(read.pairs, settings.train.devFraction, settings.train.seed));
  const [source, target]: Vocabulary[] = buildVocabularies(trainPairs, settings);
  const skipped: SkippedLine[] = [];
  const examples = encodeExamples(trainPairs, source, target, settings.train.maxLen, skipped);
  if (examples.length === 0) throw new DataError(`${dataFile}: every pair is longer than maxLen ${settings.train.maxLen} tokens; raise maxLen`, dataFile, skipped[0]?.line);
  const devExamples = encodeExamples(devPairs, source, target, settings.train.maxLen, []);
  const kept = new Set(devExamples.map((e) => e.line));
  const devTexts = devPairs.filter((p) => kept.has(p.line));
  const devMetric = devMetricKind(target, opts.task ?? 'pairs', trainPairs);
  const report: DataReport = {
    ...read.report, pairs: examples.length, skipped: read.report.skipped + skipped.length,
    skippedLines: [...read.report.skippedLines, ...skipped].sort((a, b) => a.line - b.line).slice(0, 20),
  };
  return { settings, source, target, examples, devExamples, devTexts, devMetric, report };
}

/** Text: the windows training makes (src/model/generation), one exact vocabulary for both sides. */
async function textJobData(opts: ExportJobOptions, dataFile: string, devFile: string | undefined) {
  const early = mergeSettings(DEFAULT_SETTINGS, opts.settings).train;
  const split = await splitCorpus(dataFile, devFile, early.devFraction, early.seed);
  const side = textSide(opts.settings);
  const vocab = await buildTextVocabulary(split.train, side);
  const chars = split.train.reduce((n, p) => n + p.source.chars, 0);
  const settings = resolveTextSettings(textProfile(Math.ceil(chars / early.chunk), vocab.size, early.window, early.chunk), side, opts.preset ?? 'balanced', opts.settings);
  const train = await textExamples(split.train, vocab, settings.train.window, settings.train.chunk);
  const dev = await textExamples(split.dev, vocab, settings.train.window, settings.train.chunk, true);
  return {
    settings, source: vocab, target: vocab, examples: train.examples, devExamples: dev.examples, devTexts: dev.pairs,
    devMetric: 'bleu' as const, report: corpusReport(split, train.examples.length),
  };
}

function jobReadme(name: string, job: { settings: Seq2SeqSettings; dataFile: string; trainPairs: number; devPairs: number; createdAt: string }): string {
  const m = job.settings.model;
  const t = job.settings.train;
  const model = `${m.cell.toUpperCase()}, ${m.layers} layer${m.layers > 1 ? 's' : ''}, ${m.bidirectional ? 'bidirectional encoder, ' : ''}emb ${m.emb}, hidden ${m.hidden}, attention ${m.attention}, dropout ${m.dropout}`;
  const run = `PYTHONPATH=python torchrun`;
  return `# Seq2Seq Studio training job: ${name}

Exported ${job.createdAt} from \`${job.dataFile}\`: ${job.trainPairs} training pairs, ${job.devPairs} dev pairs,
already encoded with the tokenisers in \`tokenizers.json\`. Model: ${model}.
Training: batch ${t.batch} (over all processes), lr ${t.lr}, at most ${t.epochs} epochs${t.minutes ? ` or ${t.minutes} minutes` : ''}, seed ${t.seed}.

It trains with PyTorch's DistributedDataParallel through \`torchrun\`. Every machine needs PyTorch
(\`pip install torch\`, or Debian's \`python3-torch\`), the \`python/\` folder of Seq2Seq Studio (the
\`seq2seq_torch\` package; or \`pip install ./python\`) and this folder. Run from the repository root:

\`\`\`
# one machine, K processes (CPU cores or GPUs)
${run} --standalone --nproc-per-node K -m seq2seq_torch.train ${name} --out MODEL

# N machines: the same command on each; HOST is the first machine (reachable on port 29400)
${run} --nnodes N --nproc-per-node K --rdzv-backend c10d --rdzv-endpoint HOST:29400 --rdzv-id ${name} \\
    --max-restarts 3 -m seq2seq_torch.train ${name} --out MODEL
\`\`\`

Options of the training script: \`--resume\`, \`--minutes M\`, \`--epochs N\`, \`--batch N\`, \`--amp bf16|fp16\`
(GPUs), \`--checkpoint-minutes M\`, \`--json\`; \`python -m seq2seq_torch.train --help\` lists them. A failed
worker restarted by torchrun (\`--max-restarts\`) continues from the last checkpoint in MODEL.

PyTorch 1.x (Debian 12's python3-torch 1.13) has a \`torchrun\` that knows only underscored option names
and fails at start on Python 3.11: there, write \`python3 -m seq2seq_torch.launch\` in place of \`torchrun\`
(same arguments; it runs torchrun's own code with both fixed).

MODEL is a Seq2Seq Studio model folder: copy it back and use it with \`seq2seq translate --model MODEL\`,
\`seq2seq eval --model MODEL --data FILE\` or the command "Seq2Seq: Load Model from Folder…".
`;
}
