/**
 * Command-line entry: `seq2seq train | translate | eval | generate | demo | info`. Calls src/model
 * directly with the same training loop and callbacks as the extension's worker.
 */
import { existsSync, mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_SETTINGS, type PresetName, type SettingsOverrides } from './model/config';
import type { DecodeOptions } from './model/decoding/decodeOptions';
import type { TrainEvent } from './model/training/events';
import { ProgressPrinter } from './cliProgress';
import { cmdExportJob, EXPORT_JOB_HELP } from './cliExportJob';
import { ARCH_HELP, numberFlag, oneOfFlag, settingsFromFlags, SETTINGS_FLAGS, UsageError, wholeFlag } from './cliFlags';
import { DEFAULT_DECODE, DEFAULT_GENERATE, MAX_GENERATE_LINES, MAX_GENERATE_TOKENS } from './model/decoding/decodeOptions';

const HELP: Record<string, string> = {
  main: `seq2seq — train and run sequence-to-sequence models on your own machine

Usage:
  seq2seq train --data FILE --out DIR [--dev FILE] [--preset fast|balanced|accurate] [--minutes M] [--epochs N] [--resume | --overwrite] [flags]
  seq2seq translate --model DIR [--beam N | --sample [--temperature T] [--top-k K] [--top-p P]] [--n-best N] [--input FILE]
  seq2seq eval --model DIR --data FILE|DIR [--beam N] [--limit N] [--json]   (generation models: per-character perplexity)
  seq2seq generate --model DIR [--prompt TEXT] [--max-tokens N] [--max-lines N] [--stop-at-blank-line] [--temperature T] [--top-k K] [--top-p P] [--repetition-penalty X] [--seed S]
  seq2seq export-job --data FILE --out JOB [--dev FILE] [train's settings flags]   a job for PyTorch DDP (torchrun) on a cluster
  seq2seq tune --data FILE --out DIR --minutes M [--dev FILE] [--space default|FILE] [--resume]   search sizes by successive halving
  seq2seq demo                 train on the built-in sample data for about a minute, then translate
  seq2seq info                 show the TensorFlow.js backend in use

Run 'seq2seq COMMAND --help' for the flags of a command.`,
  train: `seq2seq train --data FILE --out DIR [options]
  --data FILE|DIR        pairs: source<TAB>target per line (.tsv/.txt), CSV with header (.csv), JSON Lines (.jsonl);
                         --task generate: a text file or a folder of them
  --dev FILE             dev pairs (default: a share of --data is held out)
  --out DIR              model folder to write
  --preset NAME          fast | balanced (default) | accurate: sizes chosen from the data
  --minutes M            time budget; --epochs N  most epochs
  --budget-decay X       with --minutes: the final share of the budget over which the rate falls to 0 (default 0.3; 0 = off)
  --resume               continue from the checkpoint in --out
  --overwrite            replace the model already in --out (it stays whole until the new run's first save)
  --task pairs|generate  generate: --data is plain text, a file or a folder (.gitignore respected, binary files
                         skipped); learn to continue it: --window N tokens of context (default ${DEFAULT_SETTINGS.train.window}) before
                         each --chunk N tokens (default ${DEFAULT_SETTINGS.train.chunk}); whole files held out as dev
${ARCH_HELP}
  rnn: --cell lstm|gru --layers N --emb N --hidden N --attention none|luong|bahdanau --bidirectional true|false
  --dropout X --batch N --lr X --seed N --label-smoothing X --max-len N --clip X --patience N
  --source-tokens char|word|subword --target-tokens char|word|subword (default: chosen from the data)
  --tokens char|word|subword  both sides at once (--source-tokens/--target-tokens win)
                         subword: byte-pair encoding (SentencePiece style), --vocab N is its target size
  --lowercase --vocab N  (largest vocabulary per side)
  --average-last K       at the end, average the weights of the last K epoch checkpoints; kept only when better on dev
  --threads 1|2          threads computing gradients (default: 1 with tfjs-node or our native BLAS kernels, which use the cores; else 2 on 2+ cores)
  --json                 end with one JSON line of figures; --events-jsonl FILE  write every event as JSON lines
  --quiet                no progress bar`,
  translate: `seq2seq translate --model DIR [options]   (reads lines from stdin or --input FILE)
  --beam N --length-penalty A --n-best N | --sample --temperature T --top-k K --top-p P --seed S
  --max-len N            longest output in tokens
  --json                 print each input's hypotheses with scores as a JSON line`,
  eval: `seq2seq eval --model DIR --data FILE|DIR [--beam N] [--limit N] [--baselines TRAIN] [--order N] [--json]
  --limit N              score only the first N pairs
  --baselines TRAIN      also score copying the input and always answering TRAIN's most frequent target
  Prints token accuracy, perplexity, BLEU, chrF, PER and WER (percentages), and the lines skipped.
  A generation model (--task generate): per-character perplexity of held-out text (--data the training
  data: the part training held out, split by file; other data: all of it), next to a character n-gram
  with Witten-Bell smoothing trained on the model's training text (--order N, default 6).`,
  'export-job': EXPORT_JOB_HELP,
  generate: `seq2seq generate --model DIR [--prompt TEXT] [--max-tokens N] [--max-lines N] [--stop-at-blank-line] [sampling flags] [--json]
  --prompt TEXT          text to continue, from its beginning (default: read from stdin)
  --max-tokens N         most tokens to add, 1 to ${MAX_GENERATE_TOKENS} (default ${DEFAULT_GENERATE.maxTokens}); Ctrl+C stops early
  --max-lines N          stop after N line ends (default ${DEFAULT_GENERATE.maxLines}: no line limit)
  --stop-at-blank-line   stop at the first blank line written
  It also stops where the model ends the text (</s>, learned at the ends of files).
  --temperature T --top-k K --top-p P   sampling (defaults ${DEFAULT_DECODE.temperature}, ${DEFAULT_DECODE.topK}, ${DEFAULT_DECODE.topP}: the same as Generate Text in VS Code)
  --repetition-penalty X  1 to 10 (default ${DEFAULT_DECODE.repetitionPenalty}: off): tokens already in the context get log-probability times X
  --seed S               the sampling seed; --temperature 0 writes the most likely token each time
  --json                 print {prompt, text, stopped, tokens} as one JSON line instead of the text`,
};

const DECODE_FLAGS = {
  beam: { type: 'string' }, 'length-penalty': { type: 'string' }, 'n-best': { type: 'string' }, sample: { type: 'boolean' },
  temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, seed: { type: 'string' }, 'max-len': { type: 'string' },
} as const;

function decodeFrom(v: Record<string, string | boolean | undefined>): Partial<DecodeOptions> {
  const s = (k: string) => v[k] as string | undefined;
  const beam = numberFlag(s('beam'), 'beam');
  const o: Partial<DecodeOptions> = {
    strategy: v.sample ? 'sample' : beam !== undefined && beam > 1 ? 'beam' : beam === 1 ? 'beam' : 'greedy',
    beamSize: beam, lengthPenalty: numberFlag(s('length-penalty'), 'length-penalty'), nBest: numberFlag(s('n-best'), 'n-best'),
    temperature: numberFlag(s('temperature'), 'temperature'), topK: numberFlag(s('top-k'), 'top-k'), topP: numberFlag(s('top-p'), 'top-p'),
    seed: numberFlag(s('seed'), 'seed'), maxLength: numberFlag(s('max-len'), 'max-len'),
  };
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
}

/** Input lines from a file or stdin, by the engine's one text rule (encodings, NUL, lone CR: src/model/data/textFile.ts). */
async function readInputLines(file: string | undefined): Promise<string[]> {
  const { readAllTextLines } = await import('./model/data/textFile');
  return file ? readAllTextLines(file, file, 'the input file') : readAllTextLines(process.stdin, 'stdin', 'the input');
}

/**
 * Ctrl+C / SIGTERM: the first asks the work to stop at its next safe point (between batches or
 * generated lines); a second one quits at once. Returns the signal and a function removing the handlers.
 */
function stopOnSignals(notice: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${notice}\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, release: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); } };
}

async function cmdTrain(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true, options: {
      data: { type: 'string' }, dev: { type: 'string' }, out: { type: 'string' }, preset: { type: 'string' }, resume: { type: 'boolean' }, overwrite: { type: 'boolean' }, task: { type: 'string' },
      ...SETTINGS_FLAGS, json: { type: 'boolean' }, 'events-jsonl': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean' }, threads: { type: 'string' },
      'average-last': { type: 'string' },
    },
  });
  if (v.help) { console.log(HELP.train); return; }
  if (!v.out) throw new UsageError('train needs --out DIR');
  if (!v.data && !v.resume) throw new UsageError('train needs --data FILE');
  if (v.resume && v.overwrite) throw new UsageError('--resume continues the model in --out and --overwrite replaces it: give one of them');
  const settings: SettingsOverrides = settingsFromFlags(v);
  const { trainModel } = await import('./model/training/train');
  const printer = new ProgressPrinter(process.stderr, !!v.quiet);
  const eventsFile = v['events-jsonl'];
  if (eventsFile) writeFileSync(eventsFile, '');
  const preset = oneOfFlag(v.preset, 'preset', ['fast', 'balanced', 'accurate'] as const) as PresetName | undefined;
  const task = oneOfFlag(v.task, 'task', ['pairs', 'generate'] as const);
  const threadCount = threadsFlag(v.threads);
  const stop = stopOnSignals('Stopping after this batch (checkpoint will be saved; press Ctrl+C again to quit at once)...');
  let threads = 1;
  const end = await trainModel({
    dataFile: v.data ?? '', devFile: v.dev, modelDir: v.out, preset, settings, resume: !!v.resume, overwrite: !!v.overwrite, task,
    threads: threadCount, averageLast: numberFlag(v['average-last'], 'average-last'),
  }, (e: TrainEvent) => {
    if (e.kind === 'start') threads = e.threads ?? 1;
    printer.onEvent(e);
    if (eventsFile) appendFileSync(eventsFile, JSON.stringify(e) + '\n');
  }, stop.signal).finally(stop.release);
  if (v.json) {
    console.log(JSON.stringify({
      backend: (await import('./model/acceleration/backend')).backendName(), threads, reason: end.reason, model: resolve(end.modelDir),
      steps: end.steps, epochs: end.epochs, elapsed_s: end.elapsedMs / 1000, samples_per_s: end.samplesPerSec,
      target_tokens_per_s: end.targetTokensPerSec, best_dev: end.bestDev, ...(end.averaged ? { averaged: end.averaged } : {}),
    }));
  }
  if (end.reason === 'error') process.exitCode = 1;
}

function threadsFlag(v: string | undefined): number | undefined {
  const n = numberFlag(v, 'threads');
  if (n !== undefined && n !== 1 && n !== 2) throw new UsageError(`--threads must be 1 or 2 (got ${v})`);
  return n;
}

async function cmdTranslate(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, input: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' }, ...DECODE_FLAGS } });
  if (v.help) { console.log(HELP.translate); return; }
  if (!v.model) throw new UsageError('translate needs --model DIR');
  const decode = decodeFrom(v);
  const { loadModel } = await import('./model/storage/store');
  const { translate } = await import('./model/decoding/translate');
  const model = await loadModel(v.model);
  const lines = await readInputLines(v.input);
  const out = await translate(model, lines, decode);
  const nBest = decode.nBest ?? 1;
  for (let i = 0; i < lines.length; i++) {
    if (v.json) console.log(JSON.stringify({ input: lines[i], hypotheses: out[i].map((h) => ({ text: h.text, score: h.score, logProb: h.logProb })) }));
    else if (nBest === 1) console.log(out[i][0]?.text ?? '');
    else for (const h of out[i]) console.log(`${i}\t${h.text}\t${h.score.toFixed(4)}`);
  }
  model.dispose();
}

async function cmdEval(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean' }, baselines: { type: 'string' }, order: { type: 'string' }, ...DECODE_FLAGS } });
  if (v.help) { console.log(HELP.eval); return; }
  if (!v.model || !v.data) throw new UsageError('eval needs --model DIR and --data FILE');
  const { readConfig } = await import('./model/storage/modelFolder');
  if (readConfig(v.model).task === 'generate') return evalText(v.model, v.data, wholeFlag(v.order, 'order', 1, 20) ?? 6, !!v.json);
  const { loadModel } = await import('./model/storage/store');
  const { readPairs } = await import('./model/data/data');
  const { evaluatePairs } = await import('./model/training/evaluate');
  const { resolveDecodeOptions } = await import('./model/decoding/translate');
  const limit = wholeFlag(v.limit, 'limit', 1, Number.MAX_SAFE_INTEGER);
  const model = await loadModel(v.model);
  const read = await readPairs(v.data);
  const pairs = limit !== undefined ? read.pairs.slice(0, limit) : read.pairs;
  const { skipped, skippedLines } = read.report;
  if (skipped) {
    process.stderr.write(`skipped ${skipped} line${skipped === 1 ? '' : 's'} of ${v.data}:\n`);
    for (const l of skippedLines.slice(0, 5)) process.stderr.write(`  ${v.data}:${l.line}: ${l.reason}\n`);
    if (skipped > 5) process.stderr.write(`  ... and ${skipped - 5} more\n`);
  }
  const examples = pairs.map((p) => ({ src: model.source.encode(p.source).slice(0, model.settings.train.maxLen), tgt: model.target.encode(p.target), line: p.line }));
  const decode = resolveDecodeOptions({ maxLength: model.settings.train.maxLen + 2, ...decodeFrom(v), nBest: 1 });
  const t = Date.now();
  const r = evaluatePairs(model, pairs, examples, decode);
  const m = r.metrics;
  // The trivial baselines, scored like the model (PER with the model's target tokens).
  const base = v.baselines ? (await import('./model/training/baselines')).baselines((await readPairs(v.baselines)).pairs, pairs, (s) => model.target.tokenize(s)) : undefined;
  const result = { n: pairs.length, skipped, skipped_lines: skippedLines, accuracy: m.accuracy, perplexity: m.perplexity, loss: m.loss, bleu: m.bleu, chrf: m.chrf, per: m.per, wer: m.wer, decode: decode.strategy, seconds: (Date.now() - t) / 1000, ...(base ? { baselines: { copy: base.copy, most_frequent: base.mostFrequent } } : {}) };
  if (v.json) console.log(JSON.stringify(result));
  else {
    console.log(`pairs       ${result.n}\naccuracy    ${m.accuracy.toFixed(2)} %  (teacher-forced tokens)\nperplexity  ${m.perplexity.toFixed(3)}\nBLEU        ${m.bleu.toFixed(2)}\nchrF        ${m.chrf.toFixed(2)}\nPER         ${m.per.toFixed(2)} %\nWER         ${m.wer.toFixed(2)} %`);
    if (base) {
      const row = (name: string, x: { bleu: number; chrf: number; per: number; wer: number }) => `${name.padEnd(30)} ${x.bleu.toFixed(2).padStart(6)} ${x.chrf.toFixed(2).padStart(6)} ${x.per.toFixed(2).padStart(7)} ${x.wer.toFixed(2).padStart(7)}`;
      console.log(`\n${''.padEnd(30)}   BLEU   chrF   PER %   WER %\n${row('model', m)}\n${row('copy the input', base.copy)}\n${row(`most frequent output (${JSON.stringify(base.mostFrequent.output).slice(0, 12)})`, base.mostFrequent)}`);
    }
    for (const s of r.samples) console.log(`  ${s.source}  →  ${s.prediction}   (ref: ${s.reference})`);
  }
  model.dispose();
}

/** eval on a generation model: per-character perplexity of held-out text, the model's and the n-gram baseline's. */
async function evalText(modelDir: string, data: string, order: number, json: boolean): Promise<void> {
  const { loadModel } = await import('./model/storage/store');
  const { readConfig } = await import('./model/storage/modelFolder');
  const { evaluateText } = await import('./model/generation/perplexity');
  const model = await loadModel(modelDir);
  const t = Date.now();
  const r = await evaluateText(model, readConfig(modelDir), data, order);
  model.dispose();
  const ratio = r.model.perplexity / r.ngram.perplexity;
  if (json) {
    console.log(JSON.stringify({
      task: 'generate', held_out: r.heldOut, files: r.files, train_files: r.trainFiles, chars: r.model.chars, tokens: r.model.tokens,
      char_perplexity: r.model.perplexity, ngram_char_perplexity: r.ngram.perplexity, ngram_order: order, ratio,
      bits_per_char: r.model.nats / r.model.chars / Math.LN2, ngram_bits_per_char: r.ngram.nats / r.ngram.chars / Math.LN2, seconds: (Date.now() - t) / 1000,
    }));
    return;
  }
  const what = r.heldOut === 'split' ? 'held-out part of the training data (split by file, as training split it)' : r.heldOut === 'dev-data' ? 'the dev data training used' : 'all of it (not the training data)';
  console.log(`scored      ${r.files} file${r.files === 1 ? '' : 's'}, ${r.model.chars} characters: ${what}`);
  console.log(`                         per-char perplexity   bits/char`);
  console.log(`model                    ${r.model.perplexity.toFixed(3).padStart(19)}   ${(r.model.nats / r.model.chars / Math.LN2).toFixed(3).padStart(9)}`);
  console.log(`char ${order}-gram (Witten-Bell) ${r.ngram.perplexity.toFixed(3).padStart(17)}   ${(r.ngram.nats / r.ngram.chars / Math.LN2).toFixed(3).padStart(9)}   (trained on the model's ${r.trainFiles} training file${r.trainFiles === 1 ? '' : 's'})`);
  console.log(`model / n-gram           ${ratio.toFixed(3).padStart(19)}`);
}

async function cmdGenerate(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true, options: {
      model: { type: 'string' }, prompt: { type: 'string' }, 'max-tokens': { type: 'string' }, 'max-lines': { type: 'string' },
      'stop-at-blank-line': { type: 'boolean' }, 'repetition-penalty': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' }, ...DECODE_FLAGS,
    },
  });
  if (v.help) { console.log(HELP.generate); return; }
  if (!v.model) throw new UsageError('generate needs --model DIR');
  const maxTokens = wholeFlag(v['max-tokens'], 'max-tokens', 1, MAX_GENERATE_TOKENS) ?? DEFAULT_GENERATE.maxTokens;
  const maxLines = wholeFlag(v['max-lines'], 'max-lines', 0, MAX_GENERATE_LINES) ?? DEFAULT_GENERATE.maxLines;
  const decode = { ...decodeFrom(v), strategy: 'sample' as const, repetitionPenalty: numberFlag(v['repetition-penalty'], 'repetition-penalty') };
  const prompt = v.prompt ?? (await readInputLines(undefined)).join('\n');
  const { loadModel } = await import('./model/storage/store');
  const { CancelledError } = await import('./model/decoding/translate');
  const { generate } = await import('./model/generation/generate');
  const model = await loadModel(v.model);
  if (!v.json) process.stdout.write(prompt);
  const stop = stopOnSignals('Stopping (press Ctrl+C again to quit at once)...');
  let outcome: { text: string; stopped: string; tokens: number } = { text: '', stopped: 'cancelled', tokens: 0 };
  let written = '';
  try {
    outcome = await generate(model, prompt, { decode, maxTokens, maxLines, stopAtBlankLine: !!v['stop-at-blank-line'] }, (t) => {
      written += t;
      if (!v.json) process.stdout.write(t);
    }, stop.signal);
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    outcome = { text: written, stopped: 'cancelled', tokens: 0 };
  } finally {
    stop.release();
  }
  if (v.json) console.log(JSON.stringify({ prompt, text: outcome.text, stopped: outcome.stopped, tokens: outcome.tokens }));
  else process.stdout.write(outcome.text.endsWith('\n') ? '' : '\n');
  model.dispose();
}

/** Where the shipped sample data is, from the bundle (dist/) or from source (src/). */
export function sampleDataPath(): string {
  for (const p of [join(__dirname, '..', 'samples', 'g2p-sample.tsv'), join(process.cwd(), 'samples', 'g2p-sample.tsv')]) if (existsSync(p)) return p;
  throw new Error('the sample data (samples/g2p-sample.tsv) is missing');
}

async function cmdDemo(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: { minutes: { type: 'string' }, out: { type: 'string' } } });
  const out = v.out ?? mkdtempSync(join(tmpdir(), 'seq2seq-demo-'));
  const minutes = numberFlag(v.minutes, 'minutes') ?? 1;
  console.log(`Training a grapheme-to-phoneme model on the built-in sample (${sampleDataPath()}) for ${minutes} minute(s)...`);
  await cmdTrain(['--data', sampleDataPath(), '--out', out, '--preset', 'fast', '--minutes', String(minutes), '--epochs', '100', '--patience', '0']);
  const words = ['hello', 'world', 'translation', 'keyboard', 'sunshine'];
  const { loadModel } = await import('./model/storage/store');
  const { translate } = await import('./model/decoding/translate');
  const model = await loadModel(out);
  const greedy = await translate(model, words, { strategy: 'greedy' });
  const beam = await translate(model, words, { strategy: 'beam', beamSize: 5, nBest: 3 });
  console.log(`\nModel saved in ${out}\n`);
  for (let i = 0; i < words.length; i++) {
    console.log(`${words[i].padEnd(12)} greedy: ${greedy[i][0].text}`);
    console.log(`${''.padEnd(12)} beam-5: ${beam[i].map((h) => `${h.text} (${h.score.toFixed(2)})`).join('  |  ')}`);
  }
  console.log(`\nTry: echo hello | node dist/cli.js translate --model ${out} --beam 5 --n-best 3`);
  model.dispose();
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'train': return cmdTrain(rest);
    case 'translate': return cmdTranslate(rest);
    case 'eval': return cmdEval(rest);
    case 'generate': return cmdGenerate(rest);
    case 'demo': return cmdDemo(rest);
    case 'export-job': return cmdExportJob(rest);
    case 'tune': return (await import('./cliTune')).cmdTune(rest);
    case 'info': {
      const { initBackend, nativeKernelsSummary } = await import('./model/acceleration/backend');
      console.log(`backend: ${await initBackend()}`);
      const native = nativeKernelsSummary();
      if (native) console.log(`native kernels: ${native}`);
      return;
    }
    case undefined: case '--help': case '-h': case 'help': console.log(HELP.main); return;
    default: throw new UsageError(`unknown command "${cmd}"`);
  }
}

main().then(() => process.exit(process.exitCode ?? 0), (e: Error) => {
  const usage = e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith?.('ERR_PARSE_ARGS');
  process.stderr.write(`seq2seq: ${usage ? '' : 'error: '}${e.message}\n${usage ? "Run 'seq2seq --help' for usage.\n" : ''}`);
  process.exit(usage ? 2 : 1);
});
