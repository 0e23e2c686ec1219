/**
 * Activation: wires the pieces together and nothing else. No TensorFlow is loaded here; the
 * workers are forked on first need (see workers.ts). Every command is listed in commands.ts.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ModelStore } from './modelStore';
import { PanelProvider, PANEL_VIEW_ID } from './panelProvider';
import { requireActiveModel, type Services } from './services';
import { StatusBar } from './statusBar';
import { TrainingController } from './training';
import { TuneController } from './tuning';
import { Workers } from './workers';

export interface ExtensionApi {
  /** How long `activate` took, in milliseconds. */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Seq2Seq Studio', { log: true });
  const workers = new Workers(context.extensionPath, log);
  const models = new ModelStore(context, log);
  const training = new TrainingController(context, workers, models, log);
  const tuning = new TuneController(context, workers, models, log);
  const statusBar = new StatusBar(models, training, () => workers.backend);
  const services: Services = {
    context, log, workers, models, training, tuning, statusBar,
    requireActiveModel: () => requireActiveModel(models),
  };
  const panel = new PanelProvider(services);
  context.subscriptions.push(
    log, workers, models, training, tuning, statusBar, panel,
    vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    ...registerCommands(services),
    workers.onDidReportInfo(() => statusBar.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('seq2seq.modelsDirectory')) models.notifyChanged();
    }),
  );
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms (no TensorFlow loaded; workers start on first use)`);
  return { activationMs };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the workers.
}
