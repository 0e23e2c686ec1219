/**
 * A stand-in for the `vscode` module — VS Code's API, not the code under test — so that tests can
 * run the extension's real activation, commands, model store and training panel in plain Node,
 * with the real worker process. Importing this file installs it: from then on `require('vscode')`
 * returns it, so import it before anything from src/extension.
 *
 * What it models: commands, settings (package.json's defaults, overridable), global state, the
 * webview view (what the extension posts is recorded; the test sends the webview's messages), and
 * the dialogs, whose answers the test gives. Every question asked is recorded in `ui.asked`.
 */
import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(path: string): Uri { return new Uri('file', resolve(path)); }
  static joinPath(base: Uri, ...parts: string[]): Uri { return new Uri(base.scheme, join(base.fsPath, ...parts)); }
  get path(): string { return this.fsPath; }
  toString(): string { return `${this.scheme}://${this.fsPath}`; }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...items: { dispose(): unknown }[]): Disposable { return new Disposable(() => items.forEach((d) => d.dispose())); }
  dispose(): void { this.fn(); }
}

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>, thisArg?: unknown, disposables?: Disposable[]): Disposable => {
    const bound: Listener<T> = thisArg ? listener.bind(thisArg) : listener;
    this.listeners.push(bound);
    const d = new Disposable(() => { this.listeners = this.listeners.filter((l) => l !== bound); });
    disposables?.push(d);
    return d;
  };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}

export class MarkdownString {
  constructor(public value = '') {}
  appendMarkdown(s: string): this { this.value += s; return this; }
  appendText(s: string): this { this.value += s; return this; }
}

export const StatusBarAlignment = { Left: 1, Right: 2 } as const;
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;
export const InputBoxValidationSeverity = { Info: 1, Warning: 2, Error: 3 } as const;
export const ViewColumn = { Active: -1, Beside: -2, One: 1 } as const;
export const EndOfLine = { LF: 1, CRLF: 2 } as const;

/** One question the extension asked (a message with buttons, a dialog, a pick, an input box). */
export interface Asked { kind: 'information' | 'warning' | 'error' | 'open-dialog' | 'quick-pick' | 'input-box'; message: string; modal: boolean; detail?: string; items: string[] }

/** The test's answers: each returns the button / item / value the user would choose; undefined = dismissed. */
export interface Answers {
  message?: (asked: Asked) => string | undefined;
  openDialog?: (asked: Asked) => string[] | undefined;
  quickPick?: (asked: Asked, items: { label: string }[]) => { label: string } | undefined;
  inputBox?: (asked: Asked) => string | undefined;
}

export const ui = { asked: [] as Asked[], answers: {} as Answers };

/** Settings by full key (`seq2seq.training.overrides`); unset keys read package.json's default. */
export const settings = new Map<string, unknown>();
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
};
const configChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();

export function setSetting(key: string, value: unknown): void {
  settings.set(key, value);
  configChanged.fire({ affectsConfiguration: (s) => key === s || key.startsWith(`${s}.`) });
}

const commandHandlers = new Map<string, (...args: unknown[]) => unknown>();
export const executedCommands: { id: string; args: unknown[] }[] = [];
const providers = new Map<string, { resolveWebviewView(view: unknown): void }>();

function message(kind: Asked['kind']) {
  return async (msg: string, ...rest: unknown[]): Promise<string | undefined> => {
    const opts = rest[0] !== null && typeof rest[0] === 'object' ? (rest.shift() as { modal?: boolean; detail?: string }) : {};
    const asked: Asked = { kind, message: msg, modal: opts.modal === true, detail: opts.detail, items: rest.map(String) };
    ui.asked.push(asked);
    const answer = ui.answers.message?.(asked);
    return answer !== undefined && asked.items.includes(answer) ? answer : undefined;
  };
}

export const window = {
  activeTextEditor: undefined as unknown,
  showInformationMessage: message('information'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  async showOpenDialog(opts: { title?: string; openLabel?: string } = {}): Promise<Uri[] | undefined> {
    const asked: Asked = { kind: 'open-dialog', message: opts.title ?? opts.openLabel ?? '', modal: true, items: [] };
    ui.asked.push(asked);
    return ui.answers.openDialog?.(asked)?.map((p) => Uri.file(p));
  },
  async showQuickPick<T extends { label: string }>(items: T[] | Promise<T[]>, opts: { title?: string } = {}): Promise<T | undefined> {
    const list = await items;
    const asked: Asked = { kind: 'quick-pick', message: opts.title ?? '', modal: false, items: list.map((i) => i.label) };
    ui.asked.push(asked);
    return ui.answers.quickPick?.(asked, list) as T | undefined;
  },
  async showInputBox(opts: { title?: string } = {}): Promise<string | undefined> {
    const asked: Asked = { kind: 'input-box', message: opts.title ?? '', modal: false, items: [] };
    ui.asked.push(asked);
    return ui.answers.inputBox?.(asked);
  },
  createOutputChannel(name: string) {
    const line = (level: string) => (m: string) => { logLines.push(`${level} ${m}`); };
    return {
      name, trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'),
      append: line('append'), appendLine: line('line'), show() {}, hide() {}, clear() {}, dispose() {},
    };
  },
  createStatusBarItem() {
    return { text: '', tooltip: undefined as unknown, name: '', command: undefined as unknown, backgroundColor: undefined as unknown, show() {}, hide() {}, dispose() {} };
  },
  registerWebviewViewProvider(id: string, provider: { resolveWebviewView(view: unknown): void }): Disposable {
    providers.set(id, provider);
    return new Disposable(() => providers.delete(id));
  },
  async withProgress<R>(_opts: unknown, task: (progress: { report(v: unknown): void }, token: unknown) => Promise<R>): Promise<R> {
    const cancel = new EventEmitter<void>();
    return task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: cancel.event });
  },
};

/** Everything the extension logged, for a failing test's diagnostics. */
export const logLines: string[] = [];

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    commandHandlers.set(id, handler);
    return new Disposable(() => commandHandlers.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    executedCommands.push({ id, args });
    return commandHandlers.get(id)?.(...args);
  },
  async getCommands(): Promise<string[]> { return [...commandHandlers.keys()]; },
};

export const workspace = {
  getConfiguration(section: string) {
    return {
      get<T>(key: string, fallback?: T): T | undefined {
        const full = `${section}.${key}`;
        if (settings.has(full)) return settings.get(full) as T;
        const def = manifest.contributes.configuration.properties[full]?.default as T | undefined;
        return def ?? fallback;
      },
    };
  },
  onDidChangeConfiguration: configChanged.event,
};

/** A global-state store such as VS Code keeps for the extension. */
export class Memento {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string, fallback?: T): T | undefined { return this.values.has(key) ? (this.values.get(key) as T) : fallback; }
  async update(key: string, value: unknown): Promise<void> { if (value === undefined) this.values.delete(key); else this.values.set(key, structuredClone(value)); }
  keys(): readonly string[] { return [...this.values.keys()]; }
  setKeysForSync(): void {}
}

/** The extension's context, with its global storage in `storageDir`. */
export function extensionContext(storageDir: string) {
  return {
    extensionPath: ROOT, extensionUri: Uri.file(ROOT), globalStorageUri: Uri.file(storageDir),
    globalState: new Memento(), workspaceState: new Memento(), subscriptions: [] as { dispose(): unknown }[],
  };
}

/** The webview of a view: records what the extension posts; `send` is the panel posting a message. */
export class WebviewViewStandIn {
  readonly posted: Record<string, unknown>[] = [];
  private receive: ((msg: unknown) => unknown) | null = null;
  readonly visible = true;
  readonly webview = {
    options: {} as unknown, html: '', cspSource: 'vscode-resource:',
    asWebviewUri: (uri: Uri) => uri,
    postMessage: async (msg: unknown) => { this.posted.push(structuredClone(msg) as Record<string, unknown>); return true; },
    onDidReceiveMessage: (listener: (msg: unknown) => unknown) => { this.receive = listener; return new Disposable(); },
  };
  onDidDispose(): Disposable { return new Disposable(); }
  onDidChangeVisibility(): Disposable { return new Disposable(); }

  /** Delivers a message as the webview would (a structured clone of JSON data) and waits until it is handled. */
  async send(msg: unknown): Promise<void> {
    if (!this.receive) throw new Error('the extension did not listen to the webview');
    await this.receive(JSON.parse(JSON.stringify(msg)));
  }

  /** Messages of one type posted so far. */
  ofType(type: string): Record<string, unknown>[] {
    return this.posted.filter((m) => m.type === type);
  }
}

/** Resolves the registered webview view `id` as VS Code does when the view is shown. */
export function showView(id: string): WebviewViewStandIn {
  const provider = providers.get(id);
  if (!provider) throw new Error(`no webview view provider registered for ${id}`);
  const view = new WebviewViewStandIn();
  provider.resolveWebviewView(view);
  return view;
}

const api = {
  Uri, Disposable, EventEmitter, MarkdownString, StatusBarAlignment, ProgressLocation, InputBoxValidationSeverity, ViewColumn, EndOfLine,
  window, commands, workspace,
};

// `require('vscode')` from here on returns the stand-in (the real module exists only inside VS Code).
const moduleWithLoad = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = moduleWithLoad._load;
moduleWithLoad._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? api : load.call(this, request, ...rest);
};
