/**
 * The models folder and the active model: listing (from the folders' JSON, no TensorFlow), the
 * bundled sample model installed on first use, import, export, delete. The active model's name is
 * kept in global state.
 */
import * as vscode from 'vscode';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveInside } from '../model/storage/confinedPath';
import { listModels, readModelSummary } from '../model/storage/modelFolder';
import { importKerasModel, isKerasLayersFolder } from '../model/storage/kerasImport';
import type { ModelSummary } from '../model/storage/modelSummary';
import { isValidModelName, MODEL_NAME_RULE } from '../protocol/webview';
import * as settings from './settings';

const ACTIVE_KEY = 'seq2seq.activeModel';
const SAMPLE_INSTALLED_KEY = 'seq2seq.sampleInstalledIn';
export const SAMPLE_MODEL_NAME = 'g2p-sample';

export class ModelStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when models are added, removed, retrained, or the active model changes. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: vscode.LogOutputChannel) {}

  /** The models folder (created if missing). */
  get dir(): string {
    const dir = settings.modelsDirectory() ?? join(this.context.globalStorageUri.fsPath, 'models');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The sample data set shipped with the extension. */
  get sampleDataFile(): string {
    return join(this.context.extensionPath, 'samples', 'g2p-sample.tsv');
  }

  /** The folder of the model `name`: always inside the models folder (a name is one plain folder name). */
  pathOf(name: string): string {
    return resolveInside(this.dir, name, 'model name', true);
  }

  /** Whether a folder of this name is in the models folder (a model, or not yet one). */
  has(name: string): boolean {
    return existsSync(this.pathOf(name));
  }

  /** Whether `name` is a model in the models folder: what the panel's messages may name. */
  hasModel(name: string): boolean {
    return isValidModelName(name) && this.list().some((m) => m.name === name);
  }

  /** The model's folder, after checking that it is a model here; throws a clear error otherwise. */
  requireModel(name: string): string {
    if (!this.hasModel(name)) throw new Error(`there is no model named ${JSON.stringify(name)} in ${this.dir}`);
    return this.pathOf(name);
  }

  list(): ModelSummary[] {
    const dir = this.dir;
    this.installSample(dir);
    try {
      return listModels(dir);
    } catch (err) {
      this.log.error(`could not list models in ${dir}: ${(err as Error).message}`);
      return [];
    }
  }

  summary(name: string): ModelSummary | undefined {
    return this.list().find((m) => m.name === name);
  }

  /** The active model's name: the one chosen, else the sample, else the newest complete model. */
  activeName(models: ModelSummary[] = this.list()): string | null {
    const chosen = this.context.globalState.get<string>(ACTIVE_KEY);
    if (chosen && models.some((m) => m.name === chosen)) return chosen;
    const complete = models.filter((m) => m.complete);
    if (complete.some((m) => m.name === SAMPLE_MODEL_NAME)) return SAMPLE_MODEL_NAME;
    return [...complete].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]?.name ?? null;
  }

  active(): ModelSummary | null {
    const models = this.list();
    const name = this.activeName(models);
    return models.find((m) => m.name === name) ?? null;
  }

  async setActive(name: string): Promise<void> {
    await this.context.globalState.update(ACTIVE_KEY, name);
    this.changed.fire();
  }

  /** Tells listeners that a model folder changed on disk (e.g. training saved it). */
  notifyChanged(): void {
    this.changed.fire();
  }

  /** A name not used yet, from a wish such as "notes-fast". */
  freeName(wish: string): string {
    const base = wish.replace(/[^A-Za-z0-9 ._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'model';
    let name = base;
    for (let i = 2; this.has(name); i++) name = `${base}-${i}`;
    return name;
  }

  /** Why `name` cannot name a model, or undefined when it can. */
  nameProblem(name: string): string | undefined {
    if (!isValidModelName(name)) return `Use ${MODEL_NAME_RULE}.`;
    return undefined;
  }

  /** Why `name` cannot be used for a model that is brought in (nothing is ever replaced by that), or undefined. */
  newNameProblem(name: string): string | undefined {
    return this.nameProblem(name) ?? (this.has(name) ? `A model named "${name}" already exists.` : undefined);
  }

  /**
   * Brings a model folder into the models folder: ours is copied; a Keras model converted by
   * tensorflowjs_converter (with a tokenizers.json beside it) is converted. Throws a clear error otherwise.
   */
  import(folder: string, name: string): ModelSummary {
    const keras = isKerasLayersFolder(folder);
    if (!keras) readModelSummary(folder); // throws ModelFolderError with a clear message
    const problem = this.newNameProblem(name);
    if (problem) throw new Error(problem);
    const target = this.pathOf(name);
    if (keras) {
      importKerasModel(folder, target);
      this.changed.fire();
      return readModelSummary(target);
    }
    const tmp = `${target}.importing-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(folder, tmp, { recursive: true });
    renameSync(tmp, target);
    this.changed.fire();
    return readModelSummary(target);
  }

  /** Copies the model into `destParent/<name>` (or `<name>-2`, …: nothing there is replaced) and returns that path. */
  export(name: string, destParent: string): string {
    const source = this.requireModel(name);
    let dest = resolveInside(destParent, name, 'model name', true);
    for (let i = 2; existsSync(dest); i++) dest = resolveInside(destParent, `${name}-${i}`, 'model name', true);
    cpSync(source, dest, { recursive: true });
    return dest;
  }

  async delete(name: string): Promise<void> {
    rmSync(this.requireModel(name), { recursive: true, force: true });
    if (this.context.globalState.get<string>(ACTIVE_KEY) === name) await this.context.globalState.update(ACTIVE_KEY, undefined);
    this.changed.fire();
  }

  /**
   * Copies the bundled sample model into the models folder once per folder, so Translate Selection
   * works straight after install. A user who deletes it is not given it back.
   */
  private installSample(dir: string): void {
    const installedIn = this.context.globalState.get<string[]>(SAMPLE_INSTALLED_KEY) ?? [];
    if (installedIn.includes(dir)) return;
    const source = join(this.context.extensionPath, 'samples', 'model');
    const target = join(dir, SAMPLE_MODEL_NAME);
    if (!existsSync(join(source, 'model.json'))) return; // not bundled (development tree without the sample)
    try {
      if (!existsSync(target)) {
        cpSync(source, `${target}.installing`, { recursive: true });
        renameSync(`${target}.installing`, target);
        this.log.info(`installed the sample model into ${target}`);
      }
      void this.context.globalState.update(SAMPLE_INSTALLED_KEY, [...installedIn, dir]);
    } catch (err) {
      this.log.error(`could not install the sample model into ${dir}: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function folderName(path: string): string {
  return basename(path.replace(/[\\/]+$/, ''));
}
