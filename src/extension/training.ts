/**
 * One training run at a time: starts it on the train worker, keeps a thinned history of its events
 * for the panel, stops it, resumes it from its checkpoint, and explains in plain words when the
 * worker died. Remembers each model's data file and settings (global state) so Resume needs no
 * questions.
 */
import * as vscode from 'vscode';
import type { TrainEndEvent, TrainEpochEvent, TrainEvent, TrainStepEvent } from '../model/training/events';
import type { TrainOptions } from '../model/training/options';
import { readConfig } from '../model/storage/modelFolder';
import type { TrainingSnapshot } from '../protocol/webview';
import type { ModelStore } from './modelStore';
import { WorkerError, type WorkerExit } from './workerClient';
import type { Workers } from './workers';

const RUNS_KEY = 'seq2seq.trainingRuns';
/** The model being trained, kept while a run is going: still set at activation means VS Code closed mid-run. */
const IN_PROGRESS_KEY = 'seq2seq.trainingInProgress';
const MAX_STEP_EVENTS = 300;
const STOP_GRACE_MS = 15_000;

/** A run as the extension asks for it: the engine's options, with the model named instead of its folder. */
export type TrainRun = Omit<TrainOptions, 'modelDir' | 'resume'> & { name: string };

interface Run {
  options: TrainRun;
  events: TrainEvent[];
  stepEvents: number;
  lastStep: TrainStepEvent | null;
  lastEpoch: TrainEpochEvent | null;
  epochs: number;
  controller: AbortController;
  stopping: boolean;
  done: Promise<TrainEndEvent>;
}

export class TrainingController implements vscode.Disposable {
  private run: Run | null = null;
  /** The last finished run, kept for the panel until the next one starts. */
  private finished: { options: TrainRun; events: TrainEvent[] } | null = null;
  private readonly eventEmitter = new vscode.EventEmitter<TrainEvent>();
  /** Every training event, as it arrives. */
  readonly onEvent = this.eventEmitter.event;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** Training started, is stopping, or ended. */
  readonly onStateChange = this.stateEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly workers: Workers,
    private readonly models: ModelStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(workers.onTrainWorkerExit((e) => this.onWorkerExit(e)));
    void vscode.commands.executeCommand('setContext', 'seq2seq.training', false);
    this.offerInterruptedRun();
  }

  get running(): boolean { return this.run !== null; }
  get stopping(): boolean { return this.run?.stopping ?? false; }
  get modelName(): string | null { return this.run?.options.name ?? null; }

  /** What the status bar shows: epoch, step and loss of the current run. */
  progress(): { epoch: number; epochs: number; loss: number | null; stepInEpoch: number; stepsPerEpoch: number } | null {
    const r = this.run;
    if (!r) return null;
    return {
      epoch: r.lastStep?.epoch ?? r.lastEpoch?.epoch ?? 1,
      epochs: r.epochs,
      loss: r.lastStep?.loss ?? r.lastEpoch?.trainLoss ?? null,
      stepInEpoch: r.lastStep?.stepInEpoch ?? 0,
      stepsPerEpoch: r.lastStep?.stepsPerEpoch ?? 0,
    };
  }

  snapshot(): TrainingSnapshot | null {
    if (this.run) return { running: true, modelName: this.run.options.name, events: [...this.run.events] };
    if (this.finished) return { running: false, modelName: this.finished.options.name, events: [...this.finished.events] };
    return null;
  }

  /** The data file and settings a model was trained with, if it was trained here. */
  remembered(name: string): TrainRun | undefined {
    const known = this.context.globalState.get<Record<string, TrainRun>>(RUNS_KEY)?.[name];
    if (known) return known;
    try {
      // Trained elsewhere (the CLI, another machine): its config.json names the data.
      const c = readConfig(this.models.pathOf(name));
      return { name, dataFile: c.dataFile, devFile: c.devFile, task: c.task };
    } catch {
      return undefined;
    }
  }

  /** Starts a new run. The promise resolves when training has ended (any reason). */
  start(options: TrainRun): Promise<TrainEndEvent> {
    return this.begin(options, false);
  }

  /** Continues a model's training from its checkpoint. */
  resume(name: string, dataFile?: string): Promise<TrainEndEvent> {
    const known = this.remembered(name);
    const file = dataFile ?? known?.dataFile;
    if (!file) throw new Error(`Seq2Seq doesn't know which data "${name}" was trained on; choose the data file to resume with.`);
    return this.begin({ ...(known ?? {}), name, dataFile: file, overwrite: undefined }, true);
  }

  /** Asks the worker to stop after the current batch; the model is saved as it is. */
  stop(): boolean {
    const r = this.run;
    if (!r || r.stopping) return false;
    r.stopping = true;
    r.controller.abort();
    this.log.info(`training "${r.options.name}": stop requested`);
    // The engine stops after the current batch; a batch that hangs is not waited for.
    const timer = setTimeout(() => {
      if (this.run !== r) return;
      this.log.warn(`training "${r.options.name}" did not stop within ${STOP_GRACE_MS / 1000} s; ending the training process`);
      this.workers.train.stop();
    }, STOP_GRACE_MS);
    void r.done.finally(() => clearTimeout(timer));
    this.stateEmitter.fire();
    return true;
  }

  private begin(options: TrainRun, resume: boolean): Promise<TrainEndEvent> {
    if (this.run) throw new Error(`A model is already training ("${this.run.options.name}"). Stop it first.`);
    const { name, ...engineOptions } = options;
    const modelDir = this.models.pathOf(name);
    const controller = new AbortController();
    const run: Run = {
      options, events: [], stepEvents: 0, lastStep: null, lastEpoch: null,
      epochs: options.settings?.train?.epochs ?? 0, controller, stopping: false,
      done: Promise.resolve(null as unknown as TrainEndEvent),
    };
    this.run = run;
    this.finished = null;
    void this.rememberRun(options);
    void this.context.globalState.update(IN_PROGRESS_KEY, options.name);
    void vscode.commands.executeCommand('setContext', 'seq2seq.training', true);
    this.log.info(`training "${options.name}" ${resume ? 'resumed' : 'started'} on ${options.dataFile} (preset ${options.preset ?? 'default'})`);
    this.stateEmitter.fire();
    run.done = this.workers.train.request(
      { type: 'train', ...engineOptions, modelDir, resume },
      { onTrainEvent: (e) => this.onTrainEvent(run, e) },
      controller.signal,
    ).then(
      (end) => { this.finish(run, end); return end; },
      (err: unknown) => {
        const end = this.failedEnd(run, err);
        this.finish(run, end);
        return end;
      },
    );
    return run.done;
  }

  private onTrainEvent(run: Run, e: TrainEvent): void {
    switch (e.kind) {
      case 'start':
        run.epochs = e.settings.train.epochs;
        this.log.info(`training "${run.options.name}": backend ${e.backend}, ${e.data.pairs} pairs (${e.data.skipped} lines skipped), ${e.parameters} parameters, ${e.stepsPerEpoch} steps per epoch${e.resumedFrom ? `, resumed from epoch ${e.resumedFrom.epoch}` : ''}`);
        for (const s of e.data.skippedLines) this.log.warn(`${e.data.file}:${s.line}: skipped: ${s.reason}`);
        break;
      case 'step':
        run.lastStep = e;
        break;
      case 'epoch':
        run.lastEpoch = e;
        run.epochs = e.epochs;
        this.log.info(`training "${run.options.name}": epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(3)}${e.dev ? ` dev loss ${e.dev.loss.toFixed(3)} BLEU ${e.dev.bleu.toFixed(1)} PER ${e.dev.per.toFixed(1)}%` : ''}`);
        this.models.notifyChanged();
        break;
      case 'end':
        break;
    }
    this.keep(run, e);
    this.eventEmitter.fire(e);
  }

  /** Keeps start, epoch and end events, and step events thinned to a few hundred. */
  private keep(run: Run, e: TrainEvent): void {
    run.events.push(e);
    if (e.kind !== 'step') return;
    run.stepEvents++;
    if (run.stepEvents <= MAX_STEP_EVENTS) return;
    let drop = true;
    run.events = run.events.filter((x) => {
      if (x.kind !== 'step' || x === e) return true;
      drop = !drop;
      return drop;
    });
    run.stepEvents = run.events.filter((x) => x.kind === 'step').length;
  }

  private failedEnd(run: Run, err: unknown): TrainEndEvent {
    const died = err instanceof WorkerError && err.code === 'worker-died';
    const stopped = err instanceof WorkerError && (err.code === 'cancelled' || err.code === 'stopped');
    return {
      kind: 'end', reason: stopped ? 'stopped' : 'error', modelDir: this.models.pathOf(run.options.name),
      epochs: run.lastEpoch?.epoch ?? 0, steps: run.lastStep?.step ?? 0, elapsedMs: run.lastStep?.elapsedMs ?? 0,
      samplesPerSec: 0, targetTokensPerSec: 0, bestDev: null,
      error: stopped ? undefined : died ? `the training process ${err.message.replace(/^the worker process /, '')}` : (err as Error).message,
    };
  }

  private finish(run: Run, end: TrainEndEvent): void {
    if (this.run !== run) return;
    if (run.events[run.events.length - 1]?.kind !== 'end') {
      run.events.push(end);
      this.eventEmitter.fire(end);
    }
    this.run = null;
    // The training process holds a whole TF.js runtime and the optimizer's state: free it between runs.
    if (!this.workers.train.busy) this.workers.train.stop();
    this.finished = { options: run.options, events: run.events };
    // A run stopped without the user asking was cut short by VS Code closing: keep it to offer resuming.
    if (end.reason !== 'stopped' || run.stopping) void this.context.globalState.update(IN_PROGRESS_KEY, undefined);
    void vscode.commands.executeCommand('setContext', 'seq2seq.training', false);
    this.models.notifyChanged();
    this.stateEmitter.fire();
    this.log.info(`training "${run.options.name}" ended: ${end.reason}${end.error ? ` (${end.error})` : ''} after ${end.epochs} epochs, ${end.steps} steps`);
    void this.tellUser(run, end);
  }

  private async tellUser(run: Run, end: TrainEndEvent): Promise<void> {
    const name = run.options.name;
    if (end.reason === 'error') {
      const summary = this.models.summary(name);
      const resumable = summary?.resumable ?? false;
      const where = resumable ? ` The last checkpoint${summary?.epochs ? ` (epoch ${summary.epochs})` : ''} is kept: Resume Training continues from it.` : '';
      const choice = await vscode.window.showErrorMessage(
        `Training "${name}" stopped: ${end.error ?? 'unknown error'}.${where}`, ...(resumable ? ['Resume Training'] : []), 'Show Logs',
      );
      if (choice === 'Resume Training') void vscode.commands.executeCommand('seq2seq.resumeTraining', { name });
      if (choice === 'Show Logs') this.log.show();
      return;
    }
    const metric = end.bestDev ? ` Best dev: BLEU ${end.bestDev.bleu.toFixed(1)}, PER ${end.bestDev.per.toFixed(1)}%.` : '';
    if (end.reason === 'stopped') {
      const at = run.lastStep ? `in epoch ${run.lastStep.epoch}, step ${run.lastStep.step}` : `after ${end.epochs} epochs`;
      void vscode.window.showInformationMessage(`Training "${name}" stopped ${at}; Resume Training continues it.${metric}`);
      return;
    }
    await this.models.setActive(name);
    const choice = await vscode.window.showInformationMessage(
      `Model "${name}" is trained (${end.epochs} epochs, ${end.reason.replace('-', ' ')}) and is now the active model.${metric}`,
      'Show Training Panel',
    );
    if (choice) void vscode.commands.executeCommand('seq2seq.showTrainingPanel');
  }

  private onWorkerExit(e: WorkerExit): void {
    // The pending train request is rejected by the client and reported through finish().
    if (!e.expected && !e.interrupted.includes('train')) this.log.warn(`the idle training process ${e.reason}`);
  }

  /** A run that VS Code's closing or reloading cut short is offered for resuming, once. */
  private offerInterruptedRun(): void {
    const name = this.context.globalState.get<string>(IN_PROGRESS_KEY);
    if (!name) return;
    void this.context.globalState.update(IN_PROGRESS_KEY, undefined);
    setTimeout(() => {
      if (this.run) return;
      const summary = this.models.summary(name);
      if (!summary?.resumable) return;
      void vscode.window.showInformationMessage(
        `Seq2Seq: training "${name}" was interrupted when VS Code closed (last checkpoint: epoch ${summary.epochs}).`, 'Resume Training',
      ).then((choice) => { if (choice) void vscode.commands.executeCommand('seq2seq.resumeTraining', { name }); });
    }, 2000);
  }

  private async rememberRun(options: TrainRun): Promise<void> {
    const runs = { ...(this.context.globalState.get<Record<string, TrainRun>>(RUNS_KEY) ?? {}) };
    runs[options.name] = options;
    await this.context.globalState.update(RUNS_KEY, runs);
  }

  dispose(): void {
    this.run?.controller.abort();
    this.eventEmitter.dispose();
    this.stateEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
