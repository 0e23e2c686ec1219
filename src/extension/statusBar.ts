/**
 * The status bar item: the active model and what Seq2Seq is doing (idle, training epoch 3/20 with
 * its loss, translating 40%, generating). A click opens the training panel.
 */
import * as vscode from 'vscode';
import type { ModelStore } from './modelStore';
import type { TrainingController } from './training';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private activity: string | null = null;
  private activeModel: string | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private lastRender = 0;
  private pending: NodeJS.Timeout | null = null;

  constructor(private readonly models: ModelStore, private readonly training: TrainingController, private readonly backend: () => string | null) {
    this.item = vscode.window.createStatusBarItem('seq2seq.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Seq2Seq Studio';
    this.item.command = 'seq2seq.showTrainingPanel';
    this.disposables.push(
      this.item,
      models.onDidChange(() => this.refreshModel()),
      training.onStateChange(() => this.render()),
      training.onEvent(() => this.renderSoon()),
    );
    this.refreshModel();
    this.item.show();
  }

  /** Shows a short activity ("Translating 40%"); null goes back to idle. */
  setActivity(text: string | null): void {
    this.activity = text;
    this.render();
  }

  private refreshModel(): void {
    this.activeModel = this.models.activeName();
    this.render();
  }

  /** Step events can come many times a second: redraw at most 4 times a second. */
  private renderSoon(): void {
    if (this.pending) return;
    const wait = Math.max(0, 250 - (Date.now() - this.lastRender));
    this.pending = setTimeout(() => { this.pending = null; this.render(); }, wait);
  }

  /** Redraws, e.g. once a worker has reported its backend. */
  refresh(): void {
    this.render();
  }

  private render(): void {
    this.lastRender = Date.now();
    const model = this.activeModel ?? 'no model';
    const parts: string[] = [`$(symbol-namespace) ${model}`];
    const p = this.training.progress();
    if (p) {
      const epochs = p.epochs ? `/${p.epochs}` : '';
      const loss = p.loss !== null ? ` · loss ${p.loss.toFixed(2)}` : '';
      parts.push(this.training.stopping ? '$(debug-stop) Stopping training…' : `$(sync~spin) Training epoch ${p.epoch}${epochs}${loss}`);
    }
    if (this.activity) parts.push(`$(loading~spin) ${this.activity}`);
    this.item.text = parts.join('  ');
    const state = p ? `training "${this.training.modelName}"` : this.activity ?? 'idle';
    const backend = this.backend();
    this.item.tooltip = new vscode.MarkdownString(
      `**Seq2Seq Studio**\n\nActive model: ${model}\n\nState: ${state}${backend ? `\n\nBackend: ${backend}` : ''}\n\nClick to open the training panel.`,
    );
    this.item.accessibilityInformation = { label: `Seq2Seq: ${model}, ${state}` };
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
