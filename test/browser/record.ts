/**
 * Records the fixtures from real runs of the worker process (dist/worker.js), over its IPC, as the
 * extension host drives it: the TrainEvents of a training, the n-best of a translation with the
 * trained model, and the ModelSummary the model list shows.
 *
 *   node esbuild.mjs && node --import tsx test/browser/record.ts
 *
 * Uses the first lines of the bundled sample data (g2p) and, when present, of
 * ../shared/data/freedict-eng-deu (a text task with BLEU/chrF). With an argument, records only that
 * part: `compare` (three g2p models of different sizes, as the panel's comparison reads them), `tune`
 * (a 1.5-minute tune on the worker, every event it sent), `attention` (a recurrent model and a
 * Transformer trained on the g2p sample, and the try box's answer for one word with attention maps).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainEvent } from '../../src/model/training/events';
import type { TuneEvent } from '../../src/model/training/tuneEvents';
import type { ModelSummary } from '../../src/model/storage/modelSummary';
import { readRunRecord } from '../../src/model/storage/runRecord';
import type { WorkerMessage, WorkerRequest } from '../../src/protocol/worker';
import type { SettingsOverrides } from '../../src/model/config';
import type { Hypothesis } from '../../src/model/decoding/decodeOptions';
import { DIST, ROOT } from './harness';

const FIXTURES = join(__dirname, 'fixtures');
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

class Worker {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, { ok(v: unknown): void; fail(e: Error): void; onEvent?(e: TrainEvent | TuneEvent): void }>();
  private n = 0;

  constructor() {
    this.child = fork(join(DIST, 'worker.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: WorkerMessage) => {
      if (m.type === 'train-event' || m.type === 'tune-event') this.waiting.get(m.id)?.onEvent?.(m.event);
      else if (m.type === 'result') { this.waiting.get(m.id)?.ok(m.result); this.waiting.delete(m.id); }
      else if (m.type === 'error') { this.waiting.get(m.id)?.fail(new Error(m.message)); this.waiting.delete(m.id); }
    });
  }

  request<T>(req: WithoutId<WorkerRequest>, onEvent?: (e: never) => void): Promise<T> {
    const id = `r${++this.n}`;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail, onEvent: onEvent as ((e: TrainEvent | TuneEvent) => void) | undefined });
      this.child.send({ ...req, id });
    });
  }

  close(): void { this.child.kill(); }
}

function slice(file: string, lines: number, dir: string, name: string): string {
  const out = join(dir, name);
  writeFileSync(out, readFileSync(file, 'utf8').split('\n').slice(0, lines).join('\n') + '\n');
  return out;
}

async function record(w: Worker, dir: string, name: string, dataFile: string, settings: SettingsOverrides, tryText: string) {
  const events: TrainEvent[] = [];
  const modelDir = join(dir, name);
  await w.request({ type: 'train', dataFile, modelDir, preset: 'fast', settings, resume: false }, (e: TrainEvent) => events.push(e));
  const { outputs } = await w.request<{ outputs: Hypothesis[][] }>({ type: 'translate', modelDir, inputs: [tryText], decode: { strategy: 'beam', beamSize: 3, nBest: 3 } });
  const summary = await w.request<ModelSummary>({ type: 'inspect', modelDir });
  return { events, tryResult: { type: 'try-result', text: tryText, hypotheses: outputs[0] }, summary };
}

/** Three models on the same data and dev set, differing in cell, size and dropout: what Compare reads from their folders. */
async function recordComparison(w: Worker, dir: string): Promise<void> {
  const data = slice(join(ROOT, 'samples', 'g2p-sample.tsv'), 2000, dir, 'g2p-2000.tsv');
  const variants: [string, SettingsOverrides][] = [
    ['g2p-lstm-128', { model: { cell: 'lstm', hidden: 128 } }],
    ['g2p-gru-96', { model: { cell: 'gru', hidden: 96 } }],
    ['g2p-lstm-64-drop', { model: { cell: 'lstm', hidden: 64, dropout: 0.2 } }],
  ];
  const runs = [];
  const models: ModelSummary[] = [];
  for (const [name, settings] of variants) {
    const modelDir = join(dir, name);
    await w.request({ type: 'train', dataFile: data, modelDir, preset: 'fast', settings: { ...settings, train: { epochs: 5, batch: 32 }, target: { kind: 'word' } }, resume: false });
    runs.push(readRunRecord(modelDir, name));
    models.push(await w.request<ModelSummary>({ type: 'inspect', modelDir }));
  }
  writeFileSync(join(FIXTURES, 'compare-runs.json'), JSON.stringify({ models, runs }, null, 2) + '\n');
  console.log(`recorded ${runs.length} runs for the comparison into ${FIXTURES}`);
}

/** A short tune through the worker's `tune` request: the events the panel's Tune section draws. */
async function recordTune(w: Worker, dir: string): Promise<void> {
  const data = slice(join(ROOT, 'samples', 'g2p-sample.tsv'), 2000, dir, 'g2p-2000.tsv');
  const events: TuneEvent[] = [];
  await w.request({ type: 'tune', dataFile: data, outDir: join(dir, 'g2p-tuned'), minutes: 1.5, resume: false }, (e: TuneEvent) => events.push(e));
  writeFileSync(join(FIXTURES, 'tune-events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  console.log(`recorded ${events.length} tune events into ${FIXTURES}`);
}

/**
 * The try box's answer with attention maps, as the panel provider asks for it (beam 3, 3-best,
 * attention on), from two real models on the bundled g2p sample: an LSTM with Luong attention and a
 * small Transformer (its maps have every head); with their ModelSummary.
 */
async function recordAttention(w: Worker, dir: string): Promise<void> {
  const data = join(ROOT, 'samples', 'g2p-sample.tsv');
  const word = 'attention';
  const variants: [string, SettingsOverrides][] = [
    ['g2p-lstm-attention', { model: { cell: 'lstm', attention: 'luong', hidden: 128 }, train: { epochs: 12, batch: 32 }, target: { kind: 'word' } }],
    ['g2p-transformer', {
      model: { arch: 'transformer', dModel: 64, heads: 4, ff: 256, encLayers: 2, decLayers: 2 },
      train: { epochs: 30, batch: 32, lr: 0.002, warmupSteps: 400 }, target: { kind: 'word' },
    }],
  ];
  const out: Record<string, unknown> = {};
  const models: ModelSummary[] = [];
  for (const [name, settings] of variants) {
    const modelDir = join(dir, name);
    await w.request({ type: 'train', dataFile: data, modelDir, settings, resume: false });
    const { outputs } = await w.request<{ outputs: Hypothesis[][] }>({
      type: 'translate', modelDir, inputs: [word], decode: { strategy: 'beam', beamSize: 3, nBest: 3, attention: true },
    });
    out[name.includes('transformer') ? 'transformer' : 'rnn'] = { type: 'try-result', text: word, hypotheses: outputs[0] };
    models.push(await w.request<ModelSummary>({ type: 'inspect', modelDir }));
  }
  writeFileSync(join(FIXTURES, 'try-result-attention.json'), JSON.stringify({ ...out, models }, null, 1) + '\n');
  console.log(`recorded the attention maps of ${models.length} models into ${FIXTURES}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-record-'));
  const w = new Worker();
  const only = process.argv[2];
  try {
    if (only === 'compare') return await recordComparison(w, dir);
    if (only === 'tune') return await recordTune(w, dir);
    if (only === 'attention') return await recordAttention(w, dir);
    const g2p = await record(w, dir, 'g2p-small', slice(join(ROOT, 'samples', 'g2p-sample.tsv'), 2000, dir, 'g2p-2000.tsv'),
      { train: { epochs: 10, batch: 16 }, target: { kind: 'word' } }, 'seq');
    writeFileSync(join(FIXTURES, 'train-events.jsonl'), g2p.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(join(FIXTURES, 'try-result.json'), JSON.stringify(g2p.tryResult, null, 2) + '\n');
    const models = [g2p.summary];
    const ende = join(ROOT, '..', 'shared', 'data', 'freedict-eng-deu', 'train.tsv');
    if (existsSync(ende)) {
      const text = await record(w, dir, 'eng-deu-small', slice(ende, 1500, dir, 'eng-deu-1500.tsv'),
        { train: { epochs: 3 }, source: { kind: 'word' }, target: { kind: 'word' } }, 'good morning');
      writeFileSync(join(FIXTURES, 'train-events-text.jsonl'), text.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      models.push(text.summary);
    }
    writeFileSync(join(FIXTURES, 'models.json'), JSON.stringify(models, null, 2) + '\n');
    console.log(`recorded ${g2p.events.length} events, ${models.length} models into ${FIXTURES}`);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => { console.error(err); process.exit(1); });
