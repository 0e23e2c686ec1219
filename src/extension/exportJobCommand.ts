/**
 * Export Training Job…: the data, the settings and the tokenisers as a job for PyTorch DDP on a
 * cluster (`seq2seq export-job` in the CLI). Asks for the data, the preset, a parent folder and a
 * name (each can come as an argument instead); the job is written by a child process.
 */
import * as vscode from 'vscode';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { PresetName, SettingsOverrides } from '../model/config';
import { resolveInside, unsafeNameReason } from '../model/storage/confinedPath';
import type { ExportJobOptions, ExportJobResult } from '../model/training/exportJob';
import type { ExportJobReply } from '../worker/exportJob';
import { guessTask } from './dataFiles';
import * as settings from './settings';
import type { Services } from './services';
import { mergeOverrides, pickDataFile, pickPreset, resolveData } from './trainCommands';

export interface ExportJobArgs {
  dataFile?: string;
  devFile?: string;
  preset?: PresetName;
  settings?: SettingsOverrides;
  /** The folder the job folder goes into, and the job folder's name. */
  folder?: string;
  name?: string;
}

export const launchCommand = (jobName: string) =>
  `PYTHONPATH=python torchrun --standalone --nproc-per-node 2 -m seq2seq_torch.train ${jobName} --out ${jobName}-model`;

export async function exportTrainingJob(s: Services, arg?: ExportJobArgs): Promise<ExportJobResult | undefined> {
  const dataFile = resolveData(s, arg?.dataFile ?? (await pickDataFile(s)));
  if (!dataFile) return undefined;
  if (!existsSync(dataFile)) throw new Error(`the data file ${dataFile} does not exist`);
  const preset = arg?.preset ?? (await pickPreset());
  if (!preset) return undefined;
  let folder = arg?.folder;
  if (!folder) {
    const uris = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, openLabel: 'Export Job Here', title: 'Export Training Job into…' });
    folder = uris?.[0]?.fsPath;
  }
  if (!folder) return undefined;
  const parent = folder;
  const name = arg?.name ?? (await vscode.window.showInputBox({
    title: 'Export Training Job: name', prompt: 'A new folder for the job', value: `${basename(dataFile, extname(dataFile))}-job`,
    validateInput: (v) => unsafeNameReason(v.trim(), true) ?? (existsSync(join(parent, v.trim())) ? `${v.trim()} already exists in ${parent}` : null),
  }))?.trim();
  if (!name) return undefined;
  const outDir = resolveInside(parent, name, 'job name', true);
  const opts: ExportJobOptions = {
    dataFile, devFile: arg?.devFile, outDir, preset, settings: mergeOverrides(settings.trainingOverrides(), arg?.settings), task: guessTask(dataFile),
  };
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Seq2Seq: exporting the training job "${name}"…` },
    () => runExport(join(s.context.extensionPath, 'dist', 'exportJob.js'), opts),
  );
  s.log.info(`export-job: ${result.dir} (${result.trainPairs} training pairs, ${result.devPairs} dev pairs)`);
  void vscode.window.showInformationMessage(
    `Seq2Seq: training job written to ${result.dir} (${result.trainPairs} training pairs). Its README.md has the launch command.`,
    'Open README', 'Copy Launch Command',
  ).then((c) => {
    if (c === 'Open README') void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(join(result.dir, 'README.md')));
    if (c === 'Copy Launch Command') void vscode.env.clipboard.writeText(launchCommand(name));
  });
  return result;
}

function runExport(script: string, opts: ExportJobOptions): Promise<ExportJobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    let stderr = '';
    let reply: ExportJobReply | undefined;
    child.stderr?.on('data', (d) => { stderr += d; });
    child.once('message', (m: ExportJobReply) => { reply = m; });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (reply?.ok) resolve(reply.result);
      else reject(new Error(reply && !reply.ok ? reply.error : `the export process ended (code ${code}) ${stderr.trim().split('\n').pop() ?? ''}`));
    });
    child.send(opts);
  });
}
