/**
 * Every command of the extension, in one list: id → handler. Handlers take an optional argument
 * (see each module) and return a result, so scripts and tests can run them; errors are shown to
 * the user in plain words and logged.
 */
import * as vscode from 'vscode';
import { exportTrainingJob } from './exportJobCommand';
import { generateText } from './generateCommand';
import { deleteModel, exportModel, loadModelFromFolder, selectActiveModel } from './modelCommands';
import { resumeTraining, stopTraining, trainModel, trainOnFolder } from './trainCommands';
import { translateSelection } from './translateCommand';
import { resumeTuning, stopTuning, tuneModel } from './tuneCommands';
import { WorkerError } from './workerClient';
import type { Services } from './services';

type Handler = (s: Services, arg?: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

export const COMMANDS: Record<string, Handler> = {
  'seq2seq.trainModel': (s, arg) => trainModel(s, arg),
  'seq2seq.trainOnFile': (s, arg) => trainModel(s, arg ?? vscode.window.activeTextEditor?.document.uri),
  'seq2seq.trainOnFolder': (s, arg) => trainOnFolder(s, arg),
  'seq2seq.stopTraining': (s) => stopTraining(s),
  'seq2seq.resumeTraining': (s, arg) => resumeTraining(s, arg),
  'seq2seq.tuneModel': (s, arg) => tuneModel(s, arg),
  'seq2seq.stopTuning': (s) => stopTuning(s),
  'seq2seq.resumeTuning': (s, arg) => resumeTuning(s, arg),
  'seq2seq.translateSelection': (s) => translateSelection(s),
  'seq2seq.generateText': (s) => generateText(s),
  'seq2seq.loadModel': (s, arg) => loadModelFromFolder(s, arg),
  'seq2seq.exportModel': (s, arg) => exportModel(s, arg),
  'seq2seq.exportTrainingJob': (s, arg) => exportTrainingJob(s, arg),
  'seq2seq.deleteModel': (s, arg) => deleteModel(s, arg),
  'seq2seq.selectModel': (s, arg) => selectActiveModel(s, arg),
  'seq2seq.showTrainingPanel': () => vscode.commands.executeCommand('seq2seq.trainingPanel.focus'),
  'seq2seq.showLogs': (s) => s.log.show(),
  /** For scripts and tests: the state the status bar shows, and the workers' details. */
  'seq2seq.getState': (s) => ({
    activeModel: s.models.activeName(),
    modelsDir: s.models.dir,
    training: s.training.running ? { model: s.training.modelName, stopping: s.training.stopping, progress: s.training.progress() } : null,
    tuning: s.tuning.running ? { name: s.tuning.name } : null,
    workers: { train: { running: s.workers.train.running, pid: s.workers.train.pid ?? null }, run: { running: s.workers.run.running, pid: s.workers.run.pid ?? null } },
    backend: s.workers.backend,
  }),
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (arg?: unknown) => {
      try {
        return await handler(s, arg);
      } catch (err) {
        reportError(s, id, err);
        return undefined;
      }
    }),
  );
}

function reportError(s: Services, id: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  s.log.error(`${id}: ${err instanceof Error && err.stack ? err.stack : message}`);
  // A dead worker has already been reported in plain words.
  if (err instanceof WorkerError && err.code === 'worker-died') return;
  void vscode.window.showErrorMessage(`Seq2Seq: ${message}`, 'Show Logs').then((c) => { if (c) s.log.show(); });
}
