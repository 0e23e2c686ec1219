/**
 * One tune at a time, on the training worker (one trial at a time there, through the engine's
 * training loop): starts it, keeps its events for the panel (the latest of each trial), stops it,
 * resumes it, and at the end brings the best trial's model into the models folder under the tune's
 * name and makes it the active model. Tunes live in the extension's storage (`tunes/<name>`).
 */
import * as vscode from 'vscode';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskKind } from '../model/config';
import { resolveInside } from '../model/storage/confinedPath';
import { readJson } from '../model/storage/modelFolder';
import { num, obj } from '../model/storage/schema';
import type { TuneEndEvent, TuneEvent } from '../model/training/tuneEvents';
import type { TuneSnapshot } from '../protocol/webview';
import type { ModelStore } from './modelStore';
import { WorkerError } from './workerClient';
import type { Workers } from './workers';

/** Models brought in from a tune: name -> the tune's best folder. */
const ADOPTED_KEY = 'seq2seq.tunedModels';

export interface TuneRun { name: string; dataFile: string; minutes: number; task?: TaskKind }

interface Active {
  run: TuneRun;
  dir: string;
  events: TuneEvent[];
  controller: AbortController;
  stopping: boolean;
}

export class TuneController implements vscode.Disposable {
  private active: Active | null = null;
  private finished: { run: TuneRun; events: TuneEvent[] } | null = null;
  private readonly eventEmitter = new vscode.EventEmitter<TuneEvent>();
  readonly onEvent = this.eventEmitter.event;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  readonly onStateChange = this.stateEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly workers: Workers,
    private readonly models: ModelStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get running(): boolean { return this.active !== null; }
  get name(): string | null { return this.active?.run.name ?? null; }

  /** Where the tune `name` keeps its trials, state and table (a name is one plain folder name). */
  dirOf(name: string): string {
    const root = join(this.context.globalStorageUri.fsPath, 'tunes');
    mkdirSync(root, { recursive: true });
    return resolveInside(root, name, 'tune name', true);
  }

  /** Whether the tune `name` was started and can be continued. */
  canResume(name: string): boolean {
    return existsSync(join(this.dirOf(name), 'tune.json'));
  }

  snapshot(): TuneSnapshot | null {
    if (this.active) return { running: true, name: this.active.run.name, events: [...this.active.events] };
    if (this.finished) return { running: false, name: this.finished.run.name, events: [...this.finished.events] };
    return null;
  }

  /** Starts a new tune, or continues the one of that name; resolves when it has ended. */
  async start(run: TuneRun, resume = false): Promise<TuneEndEvent & { model: string | null }> {
    if (this.active) throw new Error(`a tune is already running ("${this.active.run.name}"); stop it first`);
    const dir = this.dirOf(run.name);
    // A resumed tune keeps its minutes unless asked for more.
    const minutes = resume && !(run.minutes > 0) ? readJson(join(dir, 'tune.json'), 'the tune state (tune.json)', obj({ minutes: num({ above: 0 }) })).minutes : run.minutes;
    const active: Active = { run: { ...run, minutes }, dir, events: [], controller: new AbortController(), stopping: false };
    this.active = active;
    this.finished = null;
    void vscode.commands.executeCommand('setContext', 'seq2seq.tuning', true);
    this.log.info(`tune "${run.name}" ${resume ? 'resumed' : 'started'}: ${minutes} min on ${run.dataFile}, in ${dir}`);
    this.stateEmitter.fire();
    let end: TuneEndEvent;
    try {
      end = await this.workers.train.request(
        { type: 'tune', dataFile: run.dataFile, outDir: dir, minutes, resume, task: run.task },
        { onTuneEvent: (e) => this.onTuneEvent(active, e) },
        active.controller.signal,
      );
    } catch (err) {
      this.done(active);
      const message = err instanceof WorkerError && err.code === 'worker-died' ? `the training process ${err.message.replace(/^the worker process /, '')}` : (err as Error).message;
      throw new Error(`tune "${run.name}" failed: ${message}${this.canResume(run.name) ? ' (what was done is kept: Resume Tuning continues it)' : ''}`);
    }
    this.done(active);
    const model = end.bestDir ? await this.adoptBest(run.name, end.bestDir) : null;
    return { ...end, model };
  }

  stop(): boolean {
    const a = this.active;
    if (!a || a.stopping) return false;
    a.stopping = true;
    a.controller.abort();
    this.log.info(`tune "${a.run.name}": stop requested`);
    this.stateEmitter.fire();
    return true;
  }

  private onTuneEvent(a: Active, e: TuneEvent): void {
    // The latest event of each trial is enough to draw its row.
    if (e.kind === 'trial') {
      const i = a.events.findIndex((x) => x.kind === 'trial' && x.trial.id === e.trial.id);
      if (i >= 0) a.events.splice(i, 1);
      if (e.change === 'end') this.log.info(`tune "${a.run.name}": ${e.trial.id} round ${e.trial.round} ${e.trial.status}, ${e.trial.steps} steps`);
    }
    a.events.push(e);
    this.eventEmitter.fire(e);
  }

  private done(a: Active): void {
    if (this.active !== a) return;
    this.active = null;
    this.finished = { run: a.run, events: a.events };
    if (!this.workers.train.busy) this.workers.train.stop();
    void vscode.commands.executeCommand('setContext', 'seq2seq.tuning', false);
    this.stateEmitter.fire();
  }

  /**
   * The best trial becomes the model `name`. Only a model this tune brought in before (an earlier
   * session's best, which the new best is at least as good as) is replaced; any other model of that
   * name is kept, and the best comes in beside it under a free name.
   */
  private async adoptBest(name: string, bestDir: string): Promise<string> {
    const adopted = this.context.globalState.get<Record<string, string>>(ADOPTED_KEY) ?? {};
    let target = name;
    if (this.models.has(name)) {
      if (adopted[name] === bestDir) await this.models.delete(name);
      else target = this.models.freeName(name);
    }
    this.models.import(bestDir, target);
    await this.context.globalState.update(ADOPTED_KEY, { ...adopted, [target]: bestDir });
    await this.models.setActive(target);
    return target;
  }

  dispose(): void {
    this.active?.controller.abort();
    this.eventEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
