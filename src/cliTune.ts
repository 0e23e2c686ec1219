/**
 * `seq2seq tune`: the search of src/model/training/tune.ts from the command line, with a line per
 * trial as it goes and the table of trials at the end. Ctrl+C stops after the current batch of the
 * current trial and keeps everything done so far (run again with --resume to continue).
 */
import { parseArgs } from 'node:util';
import type { TuneEvent } from './model/training/tuneEvents';
import { formatDuration } from './cliProgress';
import { UsageError } from './cliFlags';

export const TUNE_HELP = `seq2seq tune --data FILE --out DIR --minutes M [--dev FILE] [--space default|FILE] [--seed N] [--resume]
  Successive halving over architectures and sizes: many short trials, the best third of each round
  continued from its checkpoint with more time, down to one. Every trial is a model folder in
  DIR/trials; the best is copied to DIR/best; the table of trials is printed and saved in
  DIR/trials.txt (and .tsv); DIR/tune.json holds the state.
  --minutes M            wall-clock time for the whole search
  --space default|FILE   the search space: the built-in one, or a JSON file (see README, "Tuning")
  --seed N               draws the trials (and every trial's data order and dev split); default 1
  --resume               continue the tune in DIR: trials already done are skipped
  --task pairs|generate  --threads 1|2   as for train
  --json                 end with one JSON line: reason, best trial, its dev metrics, DIR/best`;

export async function cmdTune(argv: string[]): Promise<void> {
  const usage = (message: string) => new UsageError(message);
  const { values: v } = parseArgs({
    args: argv, strict: true, options: {
      data: { type: 'string' }, dev: { type: 'string' }, out: { type: 'string' }, minutes: { type: 'string' }, space: { type: 'string' },
      seed: { type: 'string' }, resume: { type: 'boolean' }, task: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
      quiet: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (v.help) { console.log(TUNE_HELP); return; }
  if (!v.out) throw usage('tune needs --out DIR');
  if (!v.data && !v.resume) throw usage('tune needs --data FILE');
  if (v.minutes === undefined) throw usage('tune needs --minutes M');
  const number = (s: string | undefined, name: string, integer = false): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw usage(`--${name} needs a ${integer ? 'whole ' : ''}number (got "${s}")`);
    return n;
  };
  const minutes = number(v.minutes, 'minutes')!;
  if (!(minutes > 0)) throw usage(`--minutes must be above 0 (got ${v.minutes})`);
  const threads = number(v.threads, 'threads', true);
  if (threads !== undefined && threads !== 1 && threads !== 2) throw usage(`--threads must be 1 or 2 (got ${v.threads})`);
  if (v.task !== undefined && v.task !== 'pairs' && v.task !== 'generate') throw usage(`--task must be pairs or generate (got "${v.task}")`);
  const { loadSpace } = await import('./model/training/tuneSpace');
  const { tune } = await import('./model/training/tune');
  // On resume the saved space is used; a space given again must be the same.
  const space = v.space !== undefined || !v.resume ? loadSpace(v.space) : undefined;
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nStopping after this batch of the current trial (everything done is kept; --resume continues; Ctrl+C again quits at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const log = (line: string) => { if (!v.quiet) process.stderr.write(line + '\n'); };
  const end = await tune({
    dataFile: v.data ?? '', devFile: v.dev, outDir: v.out, minutes, space, seed: number(v.seed, 'seed', true), resume: !!v.resume,
    task: v.task as 'pairs' | 'generate' | undefined, threads,
  }, (e) => { for (const line of describe(e)) log(line); }, controller.signal);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  process.stdout.write(end.table);
  log(`tune ${end.reason} after ${formatDuration(end.elapsedMs)}${end.best ? `; best trial ${end.best.id}, model in ${end.bestDir}` : '; no trial has a dev score yet'}. Table: ${end.dir}/trials.txt`);
  if (v.json) {
    console.log(JSON.stringify({ reason: end.reason, dir: end.dir, best: end.best?.id ?? null, best_dir: end.bestDir, best_dev: end.best?.bestDev ?? null, elapsed_s: end.elapsedMs / 1000, trials: end.trials.length }));
  }
}

/** One line per tune event worth a line (epochs of a trial are not). */
function describe(e: TuneEvent): [string] | [] {
  switch (e.kind) {
    case 'tune-start':
      return [`${e.resumed ? 'resuming' : 'starting'} a tune of ${e.minutes} min in ${e.dir}: rounds of ${e.rounds.join(' → ')} trials, varying ${e.varied.join(', ')}`];
    case 'trial': {
      const t = e.trial;
      if (e.change === 'start') return [`  ${t.id} round ${t.round}: training up to ${t.targetMinutes?.toFixed(2)} min · ${settingsText(t)}`];
      if (e.change === 'epoch' || e.change === 'round') return [];
      const d = t.bestDev;
      const score = d ? (e.devMetric === 'bleu' ? `BLEU ${d.bleu.toFixed(2)} chrF ${d.chrf.toFixed(2)}` : `PER ${d.per.toFixed(2)}% WER ${d.wer.toFixed(2)}%`) : 'no dev score';
      return [`  ${t.id} round ${t.round}: ${t.status}${t.error ? ` (${t.error})` : ''} · ${t.steps} steps · ${score} · ${formatDuration(t.elapsedMs)} · ${formatDuration(e.remainingMs)} left`];
    }
    case 'round':
      return [`round ${e.round} done: ${e.promoted.join(', ')} go on`];
    case 'tune-end':
      return [];
  }
}

function settingsText(t: { group: string; values: Record<string, unknown> }): string {
  const entries = Object.entries(t.values);
  return entries.length ? entries.map(([k, val]) => `${k.replace(/^(model|train)\./, '')} ${val}`).join(', ') : `the ${t.group} preset`;
}
