/**
 * Train Model…, Train Model on This File, Stop Training, Resume Training. Each asks only what it
 * must (data file, preset, name); every question can also be answered by an argument, so the
 * commands can be bound to keys or run from scripts and tests.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { PresetName, SettingsOverrides } from '../model/config';
import type { TrainEndEvent } from '../model/training/events';
import { SAMPLE_DATA } from '../protocol/webview';
import { DATA_EXTENSIONS, guessTask, isDataFile } from './dataFiles';
import * as settings from './settings';
import type { Services } from './services';
import type { TrainRun } from './training';

/** What Train Model can be told instead of asking. */
export interface TrainArgs extends Partial<Omit<TrainRun, 'preset'>> {
  /** `custom`: no preset; the settings say everything (the panel's own form). */
  preset?: PresetName | 'custom';
  /** Resolve when training ends (with its end event) instead of when it starts. */
  wait?: boolean;
}

/** Everything a new run needs; what the panel's Start sends. */
export type TrainAnswers = TrainArgs & { dataFile: string; name: string; preset: PresetName | 'custom' };

export interface TrainStarted { name: string; modelDir: string; done?: TrainEndEvent }

const PRESETS: { preset: PresetName; detail: string }[] = [
  { preset: 'fast', detail: 'Small model, 10 epochs: minutes on a laptop' },
  { preset: 'balanced', detail: 'Bidirectional encoder, 30 epochs: a good default for real data' },
  { preset: 'accurate', detail: 'Two layers, 60 epochs: hours, best quality' },
];

/** Train Model… (palette) and Train Model on This File (Explorer: called with the file's Uri). */
export async function trainModel(s: Services, arg?: TrainArgs | vscode.Uri): Promise<TrainStarted | undefined> {
  const args: TrainArgs = arg instanceof vscode.Uri ? { dataFile: arg.fsPath } : { ...(arg ?? {}) };
  if (s.training.running) {
    const choice = await vscode.window.showWarningMessage(`Seq2Seq: "${s.training.modelName}" is training. Stop it before starting another.`, 'Stop Training');
    if (choice) s.training.stop();
    return undefined;
  }
  const dataFile = resolveData(s, args.dataFile ?? (await pickDataFile(s)));
  if (!dataFile) return undefined;
  const preset = args.preset ?? (await pickPreset());
  if (!preset) return undefined;
  const name = args.name ?? (await askName(s, `${basename(dataFile, extname(dataFile))}-${preset}`));
  if (!name) return undefined;
  return startTraining(s, { ...args, dataFile, preset, name });
}

/** Train Model on This Folder (Explorer: called with the folder's Uri; from the palette, a folder dialog): a generation model of its text. */
export async function trainOnFolder(s: Services, arg?: vscode.Uri): Promise<TrainStarted | undefined> {
  const dir = arg instanceof vscode.Uri ? arg.fsPath : await chooseDataFolder();
  return dir ? trainModel(s, { dataFile: dir }) : undefined;
}

/**
 * The checks and the start that Train Model and the panel's Start share: the data file exists, the
 * name is valid, an existing model is replaced only when the user says so, the
 * `seq2seq.training.overrides` setting applies, and the task follows from the file. Returns
 * undefined when the user chose to keep an existing model.
 */
export async function startTraining(s: Services, answers: TrainAnswers): Promise<TrainStarted | undefined> {
  const { wait, preset, name, dataFile, ...rest } = answers;
  const busy = () => {
    if (s.training.running) throw new Error(`"${s.training.modelName}" is training; stop it before starting another`);
    if (s.tuning.running) throw new Error(`the tune "${s.tuning.name}" is running on the training process; stop it before training`);
  };
  busy();
  if (!existsSync(dataFile)) throw new Error(`the data file ${dataFile} does not exist`);
  const problem = s.models.nameProblem(name);
  if (problem) throw new Error(problem);
  const overrides = mergeOverrides(settings.trainingOverrides(), rest.settings);
  const replacing = s.models.has(name);
  if (replacing && !(await confirmReplace(name))) return undefined;
  busy(); // a run may have started while the question was open
  const done = s.training.start({
    ...rest, name, dataFile, preset: preset === 'custom' ? undefined : preset, settings: overrides, task: rest.task ?? guessTask(dataFile),
    overwrite: replacing,
  });
  const started: TrainStarted = { name, modelDir: s.models.pathOf(name) };
  if (wait) started.done = await done;
  return started;
}

/** A modal question before a new run takes over an existing model's folder. */
async function confirmReplace(name: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `Replace the model "${name}"?`,
    { modal: true, detail: `A model named "${name}" exists. A new training run replaces its weights, checkpoint and metrics. To keep it, choose another name.` },
    'Replace',
  );
  return choice === 'Replace';
}

export function stopTraining(s: Services): boolean {
  if (!s.training.running) {
    void vscode.window.showInformationMessage('Seq2Seq: no model is training.');
    return false;
  }
  return s.training.stop();
}

/** Resume Training: continues a model from its checkpoint (argument `{ name }`, else a quick pick). */
export async function resumeTraining(s: Services, arg?: { name?: string; dataFile?: string; wait?: boolean }): Promise<TrainStarted | undefined> {
  if (s.training.running || s.tuning.running) {
    void vscode.window.showWarningMessage(s.training.running ? `Seq2Seq: "${s.training.modelName}" is already training.` : `Seq2Seq: the tune "${s.tuning.name}" is running; stop it first.`);
    return undefined;
  }
  let name = arg?.name;
  if (!name) {
    const resumable = s.models.list().filter((m) => m.resumable);
    if (!resumable.length) {
      void vscode.window.showInformationMessage('Seq2Seq: no model has a checkpoint to resume from.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      resumable.map((m) => ({ label: m.name, description: `${m.epochs} epochs · ${m.task}`, detail: `last saved ${new Date(m.updatedAt).toLocaleString()}` })),
      { title: 'Resume Training', placeHolder: 'Which model should continue training?' },
    );
    name = picked?.label;
  }
  if (!name) return undefined;
  s.models.requireModel(name);
  let dataFile = resolveData(s, arg?.dataFile ?? s.training.remembered(name)?.dataFile);
  if (!dataFile || !existsSync(dataFile)) {
    void vscode.window.showInformationMessage(`Seq2Seq: choose the data to continue training "${name}" on.`);
    dataFile = resolveData(s, await pickDataFile(s));
    if (!dataFile) return undefined;
  }
  const done = s.training.resume(name, dataFile);
  const started: TrainStarted = { name, modelDir: s.models.pathOf(name) };
  if (arg?.wait) started.done = await done;
  return started;
}

/** The sample data's marker becomes the bundled file's path. */
export function resolveData(s: Services, file: string | undefined): string | undefined {
  if (file === SAMPLE_DATA) return s.models.sampleDataFile;
  return file;
}

export async function pickDataFile(s: Services): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { value: string };
  const items: Item[] = [];
  const current = vscode.window.activeTextEditor?.document;
  if (current && current.uri.scheme === 'file' && isDataFile(current.fileName)) {
    items.push({ label: `$(file) ${basename(current.fileName)}`, description: 'current file', value: current.fileName });
  }
  items.push({ label: '$(beaker) Sample data', description: 'English words → phonemes (bundled)', value: SAMPLE_DATA });
  items.push({ label: '$(folder-opened) Choose a file…', description: DATA_EXTENSIONS.join(' '), value: CHOOSE_FILE });
  items.push({ label: '$(folder) Choose a folder…', description: FOLDER_DESCRIPTION, value: CHOOSE_FOLDER });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Train Model: data', placeHolder: 'Training data: one "source<TAB>target" pair a line, CSV, JSON Lines, or plain text or a folder to generate from',
  });
  if (!picked) return undefined;
  if (picked.value === CHOOSE_FILE) return chooseDataFile();
  if (picked.value === CHOOSE_FOLDER) return chooseDataFolder();
  return picked.value;
}

const CHOOSE_FILE = '\0file';
const CHOOSE_FOLDER = '\0folder';
const FOLDER_DESCRIPTION = 'notes or code to generate text from (.gitignore respected)';

/** The panel's data button: a file or a folder, each from the user's own dialog. */
export async function chooseDataFileOrFolder(): Promise<string | undefined> {
  const kind = await vscode.window.showQuickPick([
    { label: '$(file) A file…', description: DATA_EXTENSIONS.join(' '), folder: false },
    { label: '$(folder) A folder…', description: FOLDER_DESCRIPTION, folder: true },
  ], { title: 'Training data' });
  if (!kind) return undefined;
  return kind.folder ? chooseDataFolder() : chooseDataFile();
}

export async function chooseDataFile(): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectMany: false, openLabel: 'Train on this file',
    filters: { 'Training data': DATA_EXTENSIONS.map((e) => e.slice(1)), 'All files': ['*'] },
  });
  return uris?.[0]?.fsPath;
}

/** A folder of text (a generation model learns to continue it; binaries and .gitignore'd files are skipped). */
export async function chooseDataFolder(): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Train on this folder', title: 'Train Model: a folder of text to generate from' });
  return uris?.[0]?.fsPath;
}

export async function pickPreset(): Promise<PresetName | undefined> {
  const def = settings.defaultPreset();
  const items = [...PRESETS].sort((a, b) => Number(b.preset === def) - Number(a.preset === def)).map((p) => ({
    label: p.preset as string, description: p.preset === def ? 'default' : '', detail: p.detail, preset: p.preset as PresetName | 'custom',
  }));
  items.push({ label: 'custom…', description: '', detail: 'Set every size and rate in the training panel', preset: 'custom' });
  const picked = await vscode.window.showQuickPick(items, { title: 'Train Model: preset', placeHolder: 'Sizes are chosen from your data' });
  if (picked?.preset === 'custom') {
    void vscode.commands.executeCommand('seq2seq.showTrainingPanel');
    return undefined;
  }
  return picked?.preset;
}

async function askName(s: Services, wish: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Train Model: name', prompt: 'A name for the new model', value: s.models.freeName(wish),
    validateInput: (v) => s.models.nameProblem(v.trim()) ?? (s.models.has(v.trim())
      ? { message: `A model named "${v.trim()}" exists: training replaces it (you will be asked first).`, severity: vscode.InputBoxValidationSeverity.Warning }
      : undefined),
  }).then((v) => v?.trim());
}

export function mergeOverrides(...all: (SettingsOverrides | undefined)[]): SettingsOverrides {
  const out: SettingsOverrides = {};
  for (const o of all) {
    if (!o) continue;
    for (const k of ['model', 'train', 'source', 'target'] as const) {
      if (o[k]) (out as Record<string, object>)[k] = { ...(out[k] ?? {}), ...o[k] };
    }
  }
  return out;
}
