/**
 * The two worker processes, each forked on first need from the same `dist/worker.js`:
 * - `train` runs training (one run at a time);
 * - `run` serves Translate Selection, Generate Text and the panel's try box.
 * Keeping them apart is how translating works while a model trains: the run worker loads its own
 * instance of the model from its saved folder and answers at once, without waiting for batches.
 * A worker that dies is reported in plain words and forked again on the next request.
 */
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { WorkerInfo } from '../protocol/worker';
import * as settings from './settings';
import { WorkerClient, type WorkerExit } from './workerClient';

export class Workers implements vscode.Disposable {
  readonly train: WorkerClient;
  readonly run: WorkerClient;
  private readonly infoChanged = new vscode.EventEmitter<WorkerInfo>();
  readonly onDidReportInfo = this.infoChanged.event;
  private readonly trainExited = new vscode.EventEmitter<WorkerExit>();
  /** The training worker ended; the training controller explains it to the user. */
  readonly onTrainWorkerExit = this.trainExited.event;

  constructor(extensionPath: string, private readonly log: vscode.LogOutputChannel) {
    const script = join(extensionPath, 'dist', 'worker.js');
    const common = { script, log, backend: settings.backend, onInfo: (i: WorkerInfo) => this.infoChanged.fire(i) };
    this.train = new WorkerClient({
      ...common, role: 'train', execArgv: ['--max-old-space-size=4096'],
      onExit: (e) => this.trainExited.fire(e),
    });
    this.run = new WorkerClient({
      ...common, role: 'run', execArgv: ['--max-old-space-size=4096'],
      onExit: (e) => this.onRunExit(e),
    });
  }

  /** The backend name the workers report, once one has started. */
  get backend(): string | null {
    return this.run.info?.backend ?? this.train.info?.backend ?? null;
  }

  private onRunExit(e: WorkerExit): void {
    if (e.expected) return;
    const during = e.interrupted.length ? ` while ${e.interrupted.map(describeTask).join(' and ')}` : '';
    void vscode.window.showWarningMessage(
      `Seq2Seq: the model process ${e.reason}${during}. It will start again on your next request.`,
      'Show Logs',
    ).then((choice) => { if (choice) this.log.show(); });
  }

  dispose(): void {
    this.train.dispose();
    this.run.dispose();
    this.infoChanged.dispose();
    this.trainExited.dispose();
  }
}

function describeTask(type: string): string {
  switch (type) {
    case 'translate': return 'translating';
    case 'generate': return 'generating text';
    case 'train': return 'training';
    default: return type;
  }
}
