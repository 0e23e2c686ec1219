/** `seq2seq export-job`: a training job for PyTorch DDP (python/seq2seq_torch), from the same flags as `seq2seq train`. */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { PresetName } from './model/config';
import { oneOfFlag, settingsFromFlags, SETTINGS_FLAGS, UsageError } from './cliFlags';

export const EXPORT_JOB_HELP = `seq2seq export-job --data FILE --out JOB [--dev FILE] [options]
  Writes a training job for a cluster: the resolved settings, the tokenisers learned here, the data
  (encoded to token ids) and a README with the launch command. Then, from the repository root:
    PYTHONPATH=python torchrun --standalone --nproc-per-node K -m seq2seq_torch.train JOB --out MODEL
  (PyTorch 1.x, e.g. Debian 12: 'python3 -m seq2seq_torch.launch' in place of 'torchrun')
  --data FILE --dev FILE --preset NAME --task pairs|generate, and every settings flag of 'seq2seq train --help'
  --json                 print a JSON line with the job's figures`;

export async function cmdExportJob(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv, strict: true, options: {
      data: { type: 'string' }, dev: { type: 'string' }, out: { type: 'string' }, preset: { type: 'string' }, task: { type: 'string' },
      ...SETTINGS_FLAGS, json: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (v.help) { console.log(EXPORT_JOB_HELP); return; }
  if (!v.data) throw new UsageError('export-job needs --data FILE');
  if (!v.out) throw new UsageError('export-job needs --out JOB (a new folder)');
  const { exportJob } = await import('./model/training/exportJob');
  const r = await exportJob({
    dataFile: v.data, devFile: v.dev, outDir: v.out, settings: settingsFromFlags(v),
    preset: oneOfFlag(v.preset, 'preset', ['fast', 'balanced', 'accurate'] as const) as PresetName | undefined,
    task: oneOfFlag(v.task, 'task', ['pairs', 'generate'] as const),
  });
  if (v.json) {
    console.log(JSON.stringify({ job: r.dir, train_pairs: r.trainPairs, dev_pairs: r.devPairs, skipped: r.report.skipped, source_vocab: r.sourceVocab, target_vocab: r.targetVocab, settings: r.settings }));
    return;
  }
  const m = r.settings.model;
  const near = relative(process.cwd(), r.dir);
  const rel = !near ? '.' : near.startsWith('..') ? r.dir : near;
  console.log(`Job written to ${r.dir}: ${r.trainPairs} training pairs, ${r.devPairs} dev pairs${r.report.skipped ? ` (${r.report.skipped} lines skipped)` : ''}; ` +
    `${m.cell} ${m.layers}x${m.hidden}, vocabularies ${r.sourceVocab} / ${r.targetVocab}.`);
  console.log(`Launch it from the repository root (see ${rel}/README.md):\n  PYTHONPATH=python torchrun --standalone --nproc-per-node 2 -m seq2seq_torch.train ${rel} --out MODEL`);
}
