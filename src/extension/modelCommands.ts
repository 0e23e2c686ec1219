/**
 * Load Model from Folder…, Export Model…, Delete Model, Select Active Model. Each takes an optional
 * `{ name }` (or a folder) argument instead of asking.
 */
import * as vscode from 'vscode';
import type { ModelSummary } from '../model/storage/modelSummary';
import { folderName } from './modelStore';
import type { Services } from './services';

export async function selectActiveModel(s: Services, arg?: { name?: string }): Promise<string | undefined> {
  const name = arg?.name ?? (await pickModel(s, 'Select Active Model', 'The model Translate Selection and Generate Text use', true));
  if (!name) return undefined;
  s.models.requireModel(name);
  await s.models.setActive(name);
  return name;
}

export async function loadModelFromFolder(s: Services, arg?: { folder?: string; name?: string }): Promise<ModelSummary | undefined> {
  let folder = arg?.folder;
  if (!folder) {
    const uris = await vscode.window.showOpenDialog({
      canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Load Model',
      title: 'A model folder: model.json, weights, tokenizers.json and config.json',
    });
    folder = uris?.[0]?.fsPath;
  }
  if (!folder) return undefined;
  const name = arg?.name ?? (await vscode.window.showInputBox({
    title: 'Load Model: name', prompt: 'Name of the model in Seq2Seq Studio', value: s.models.freeName(folderName(folder)),
    validateInput: (v) => s.models.newNameProblem(v.trim()),
  }))?.trim();
  if (!name) return undefined;
  const summary = s.models.import(folder, name);
  await s.models.setActive(name);
  void vscode.window.showInformationMessage(`Seq2Seq: loaded "${name}" (${summary.task}, ${formatSize(summary.sizeBytes)}); it is now the active model.`);
  return summary;
}

export async function exportModel(s: Services, arg?: { name?: string; folder?: string }): Promise<string | undefined> {
  const name = arg?.name ?? (await pickModel(s, 'Export Model', 'Which model to export?'));
  if (!name) return undefined;
  s.models.requireModel(name);
  let folder = arg?.folder;
  if (!folder) {
    const uris = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Export Here', title: `Export "${name}" into…` });
    folder = uris?.[0]?.fsPath;
  }
  if (!folder) return undefined;
  const dest = s.models.export(name, folder);
  void vscode.window.showInformationMessage(`Seq2Seq: exported "${name}" to ${dest}.`, 'Reveal').then((c) => {
    if (c) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(dest));
  });
  return dest;
}

export async function deleteModel(s: Services, arg?: { name?: string; confirm?: boolean }): Promise<boolean> {
  const name = arg?.name ?? (await pickModel(s, 'Delete Model', 'Which model to delete?'));
  if (!name) return false;
  s.models.requireModel(name);
  if (s.training.running && s.training.modelName === name) throw new Error(`"${name}" is training; stop it first`);
  if (arg?.confirm !== false) {
    const ok = await vscode.window.showWarningMessage(`Delete the model "${name}" and its checkpoints?`, { modal: true }, 'Delete');
    if (ok !== 'Delete') return false;
  }
  await s.models.delete(name);
  return true;
}

/** A quick pick of the models with task, size, metrics and date. */
async function pickModel(s: Services, title: string, placeHolder: string, markActive = false): Promise<string | undefined> {
  const models = s.models.list();
  if (!models.length) {
    void vscode.window.showInformationMessage('Seq2Seq: there are no models yet. Train one with "Seq2Seq: Train Model…".');
    return undefined;
  }
  const active = s.models.activeName(models);
  const items = models.map((m) => ({
    label: `${markActive && m.name === active ? '$(check) ' : ''}${m.name}`,
    name: m.name,
    description: `${m.task} · ${m.architecture} · ${formatSize(m.sizeBytes)}${m.complete ? '' : ' · checkpoint only'}`,
    detail: `${formatMetrics(m)} · ${m.epochs} epochs · ${m.trainPairs.toLocaleString()} pairs · ${new Date(m.updatedAt).toLocaleString()}`,
  }));
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.name;
}

/** The model's best dev scores (the engine reports every score as a percentage). */
export function formatMetrics(m: ModelSummary): string {
  const d = m.bestDev;
  if (!d) return 'no dev metrics';
  return m.devMetric === 'per'
    ? `PER ${d.per.toFixed(1)}% · WER ${d.wer.toFixed(1)}%`
    : `BLEU ${d.bleu.toFixed(1)} · chrF ${d.chrf.toFixed(1)}`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
