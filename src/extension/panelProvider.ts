/**
 * The training panel: a webview view in the Seq2Seq activity bar container. Serves the bundled
 * `dist/webview.js` under a strict Content Security Policy with a nonce, sends it the state and
 * training events, and acts on its messages (validated with `parseWebviewMessage`).
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, mergeSettings, type Seq2SeqSettings } from '../model/config';
import { readRunRecord } from '../model/storage/runRecord';
import { parseWebviewMessage, SAMPLE_DATA, type ExtensionToWebview, type PanelState, type WebviewReferences, type WebviewToExtension } from '../protocol/webview';
import * as settings from './settings';
import { chooseDataFileOrFolder, startTraining } from './trainCommands';
import { DataFileChoices } from './dataChoices';
import { guessTask } from './dataFiles';
import type { Services } from './services';

export const PANEL_VIEW_ID = 'seq2seq.trainingPanel';

export class PanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | null = null;
  /** The data file the panel shows: the user's latest pick, else the sample. */
  private dataFile: string | null = null;
  private readonly dataChoices: DataFileChoices;
  /** What the panel's messages may name: models in the models folder, data files the user chose. */
  private readonly references: WebviewReferences;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly s: Services) {
    this.dataChoices = new DataFileChoices(s.context.globalState, () => s.models.sampleDataFile);
    this.references = { hasModel: (name) => s.models.hasModel(name), hasDataFile: (ref) => this.dataChoices.has(ref) };
    this.disposables.push(
      s.training.onEvent((event) => this.post({ type: 'train-event', event })),
      s.training.onStateChange(() => this.postState()),
      s.tuning.onEvent((event) => this.post({ type: 'tune-event', event })),
      s.tuning.onStateChange(() => this.postState()),
      s.models.onDidChange(() => this.postModels()),
      s.workers.onDidReportInfo(() => this.postState()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.s.context.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.s.context.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw), null, this.disposables);
    view.onDidDispose(() => { if (this.view === view) this.view = null; }, null, this.disposables);
    view.onDidChangeVisibility(() => { if (view.visible) this.postState(); }, null, this.disposables);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const distDir = join(this.s.context.extensionPath, 'dist');
    const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.s.context.extensionUri, 'dist', file)).toString();
    const styles = ['codicon.css', 'uPlot.min.css', 'webview.css'].filter((f) => existsSync(join(distDir, f)));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.map((f) => `<link rel="stylesheet" href="${uri(f)}">`).join('\n')}
<title>Seq2Seq Training</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${uri('webview.js')}"></script>
</body>
</html>`;
  }

  private async onMessage(raw: unknown): Promise<void> {
    let msg: WebviewToExtension;
    try {
      msg = parseWebviewMessage(raw, this.references);
    } catch (err) {
      const message = (err as Error).message;
      this.s.log.error(`training panel sent a message that was refused: ${message}`);
      this.post({ type: 'error', message });
      return;
    }
    try {
      await this.handle(msg);
    } catch (err) {
      const message = (err as Error).message;
      this.s.log.error(`training panel: ${msg.type}: ${message}`);
      this.post({ type: 'error', message });
    }
  }

  private async handle(msg: WebviewToExtension): Promise<void> {
    const run = (id: string, arg?: unknown) => vscode.commands.executeCommand(id, arg);
    switch (msg.type) {
      case 'ready':
        this.postState();
        break;
      case 'start-training': {
        const started = await startTraining(this.s, {
          dataFile: this.dataChoices.resolve(msg.dataFile), name: msg.name, preset: msg.preset, settings: msg.settings,
        });
        if (!started) this.post({ type: 'error', message: `Not started: the model "${msg.name}" was kept. Choose another name to train a new one.` });
        break;
      }
      case 'stop-training':
        this.s.training.stop();
        break;
      case 'stop-tuning':
        this.s.tuning.stop();
        break;
      case 'resume-training':
        await run('seq2seq.resumeTraining', { name: msg.model });
        break;
      case 'pick-data-file':
        await this.pickDataFile();
        break;
      case 'set-active-model':
        await run('seq2seq.selectModel', { name: msg.model });
        break;
      case 'export-model':
        await run('seq2seq.exportModel', { name: msg.model });
        break;
      case 'delete-model':
        await run('seq2seq.deleteModel', { name: msg.model });
        break;
      case 'try-translate': {
        const model = this.s.models.active();
        if (!model) throw new Error('there is no active model to try');
        const decode = settings.decodeOptions();
        if (msg.nBest > 1 && decode.strategy === 'greedy') Object.assign(decode, { strategy: 'beam', beamSize: Math.max(decode.beamSize ?? 1, msg.nBest) });
        const { outputs } = await this.s.workers.run.request({ type: 'translate', modelDir: model.dir, inputs: [msg.text], decode: { ...decode, nBest: msg.nBest, attention: true } });
        this.post({ type: 'try-result', text: msg.text, hypotheses: outputs[0] ?? [] });
        break;
      }
      case 'compare-models':
        // requireModel confines each name to the models folder (resolveInside) before anything is read.
        this.post({ type: 'comparison', runs: msg.models.map((name) => readRunRecord(this.s.models.requireModel(name), name)) });
        break;
    }
  }

  /** A file or a folder, from the user's own dialog; what they picked becomes one the panel may train on. */
  private async pickDataFile(): Promise<void> {
    const path = await chooseDataFileOrFolder();
    if (!path) return;
    await this.dataChoices.add(path);
    this.dataFile = path;
    this.post({ type: 'data-file', path });
    // Then the sizes a preset will pick for it; a file that cannot be read is reported at Start.
    const task = guessTask(path);
    this.s.workers.run.request({ type: 'profile', dataFile: path, task }).then(
      (profile) => { if (this.dataFile === path) this.post({ type: 'data-file', path, profile, task }); },
      (err: Error) => this.s.log.info(`could not profile ${path}: ${err.message}`),
    );
  }

  /** The defaults the form starts from: the engine's, with the user's `seq2seq.training.overrides`, as Start will apply them. */
  private formDefaults(): Seq2SeqSettings {
    try {
      return mergeSettings(DEFAULT_SETTINGS, settings.trainingOverrides());
    } catch {
      return DEFAULT_SETTINGS; // the setting is reported, naming the field, when training starts
    }
  }

  state(): PanelState {
    const models = this.s.models.list();
    return {
      training: this.s.training.snapshot(),
      tune: this.s.tuning.snapshot(),
      models,
      activeModel: this.s.models.activeName(models),
      backend: this.s.workers.backend,
      defaults: this.formDefaults(),
      defaultPreset: settings.defaultPreset(),
      dataFile: this.dataFile ?? SAMPLE_DATA,
    };
  }

  private postState(): void {
    if (this.view) this.post({ type: 'state', state: this.state() });
  }

  private postModels(): void {
    if (!this.view) return;
    const models = this.s.models.list();
    this.post({ type: 'models', models, activeModel: this.s.models.activeName(models) });
  }

  private post(msg: ExtensionToWebview): void {
    void this.view?.webview.postMessage(msg);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
