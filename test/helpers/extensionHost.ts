/**
 * The real extension, activated in plain Node against the `vscode` stand-in, with its training
 * panel shown: tests send the panel's messages and look at what the extension posts, asks and does.
 * The workers are the real dist/worker.js (built by `npm test`).
 */
import { commands, extensionContext, showView, type WebviewViewStandIn } from './vscodeStandIn';
import { activate } from '../../src/extension/extension';
import { PANEL_VIEW_ID } from '../../src/extension/panelProvider';

export interface ExtensionState {
  activeModel: string | null;
  modelsDir: string;
  training: { model: string; stopping: boolean } | null;
  workers: { train: { running: boolean; pid: number | null }; run: { running: boolean; pid: number | null } };
}

export interface ExtensionHost {
  panel: WebviewViewStandIn;
  state(): Promise<ExtensionState>;
  dispose(): void;
}

export async function startExtension(storageDir: string): Promise<ExtensionHost> {
  const context = extensionContext(storageDir);
  activate(context as never);
  const panel = showView(PANEL_VIEW_ID);
  await panel.send({ type: 'ready' });
  return {
    panel,
    state: async () => (await commands.executeCommand('seq2seq.getState')) as ExtensionState,
    dispose: () => { for (const d of context.subscriptions) d.dispose(); },
  };
}

export async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
