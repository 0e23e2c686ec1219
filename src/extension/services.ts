/** What the commands and the panel share: created once in `activate`, passed to each. */
import * as vscode from 'vscode';
import type { ModelSummary } from '../model/storage/modelSummary';
import type { ModelStore } from './modelStore';
import type { StatusBar } from './statusBar';
import type { TrainingController } from './training';
import type { TuneController } from './tuning';
import type { Workers } from './workers';

export interface Services {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  workers: Workers;
  models: ModelStore;
  training: TrainingController;
  /** A tune shares the training process with training: one of the two at a time. */
  tuning: TuneController;
  statusBar: StatusBar;
  /** The active model, or undefined after telling the user how to get one. */
  requireActiveModel(): Promise<ModelSummary | undefined>;
}

export async function requireActiveModel(models: ModelStore): Promise<ModelSummary | undefined> {
  const model = models.active();
  if (model) return model;
  const choice = await vscode.window.showWarningMessage(
    'Seq2Seq: there is no trained model yet. Train one, or load a model folder.',
    'Train Model…', 'Load Model from Folder…',
  );
  if (choice === 'Train Model…') void vscode.commands.executeCommand('seq2seq.trainModel');
  if (choice === 'Load Model from Folder…') void vscode.commands.executeCommand('seq2seq.loadModel');
  return undefined;
}
