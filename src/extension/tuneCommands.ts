/**
 * Tune Model…, Stop Tuning, Resume Tuning. Tune Model asks for the data, the minutes and a name
 * (each can be given as an argument instead: `{ dataFile, minutes, name, wait }`), runs the search
 * on the training process with progress in the panel, and makes the best trial the active model.
 */
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { TuneEndEvent } from '../model/training/tuneEvents';
import { guessTask } from './dataFiles';
import type { Services } from './services';
import { pickDataFile, resolveData } from './trainCommands';

export interface TuneArgs { dataFile?: string; minutes?: number; name?: string; wait?: boolean }
export interface TuneStarted { name: string; done?: TuneEndEvent & { model: string | null } }

const MAX_MINUTES = 100_000;

function minutesProblem(v: string): string | undefined {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) && n > 0 && n <= MAX_MINUTES ? undefined : `Enter the minutes for the whole search: a number above 0 and at most ${MAX_MINUTES}.`;
}

export async function tuneModel(s: Services, arg?: TuneArgs): Promise<TuneStarted | undefined> {
  if (s.training.running || s.tuning.running) {
    void vscode.window.showWarningMessage(`Seq2Seq: ${s.training.running ? `"${s.training.modelName}" is training` : `the tune "${s.tuning.name}" is running`}; a tune needs the training process to itself.`);
    return undefined;
  }
  const dataFile = resolveData(s, arg?.dataFile ?? (await pickDataFile(s)));
  if (!dataFile) return undefined;
  if (!existsSync(dataFile)) throw new Error(`the data file ${dataFile} does not exist`);
  let minutes = arg?.minutes;
  if (minutes === undefined) {
    const answer = await vscode.window.showInputBox({
      title: 'Tune Model: minutes', prompt: 'Time for the whole search (many short trials, the best continued)', value: '10',
      validateInput: (v) => minutesProblem(v),
    });
    if (answer === undefined) return undefined;
    minutes = Number(answer);
  }
  const problem = minutesProblem(String(minutes));
  if (problem) throw new Error(problem);
  const name = arg?.name ?? (await vscode.window.showInputBox({
    title: 'Tune Model: name', prompt: 'A name for the best model the search finds', value: s.models.freeName(`${basename(dataFile, extname(dataFile))}-tuned`),
    validateInput: (v) => s.models.newNameProblem(v.trim()) ?? (s.tuning.canResume(v.trim()) ? `A tune named "${v.trim()}" exists: Resume Tuning continues it.` : undefined),
  }))?.trim();
  if (!name) return undefined;
  const nameProblem = s.models.newNameProblem(name);
  if (nameProblem) throw new Error(nameProblem);
  if (s.tuning.canResume(name)) throw new Error(`a tune named "${name}" exists: Resume Tuning continues it, or choose another name`);
  return begin(s, () => s.tuning.start({ name, dataFile, minutes: minutes!, task: guessTask(dataFile) }), name, arg?.wait);
}

export function stopTuning(s: Services): boolean {
  if (!s.tuning.running) {
    void vscode.window.showInformationMessage('Seq2Seq: no tune is running.');
    return false;
  }
  return s.tuning.stop();
}

/** Resume Tuning: the tune `{ name }` continues where it stopped (trials done are skipped); `minutes` sets a new total. */
export async function resumeTuning(s: Services, arg?: { name?: string; minutes?: number; wait?: boolean }): Promise<TuneStarted | undefined> {
  const name = arg?.name ?? s.tuning.snapshot()?.name ?? (await vscode.window.showInputBox({ title: 'Resume Tuning', prompt: 'The name of the tune to continue' }))?.trim();
  if (!name) return undefined;
  if (!s.tuning.canResume(name)) throw new Error(`there is no tune named ${JSON.stringify(name)} to resume`);
  return begin(s, () => s.tuning.start({ name, dataFile: '', minutes: arg?.minutes ?? 0 }, true), name, arg?.wait);
}

async function begin(s: Services, start: () => Promise<TuneEndEvent & { model: string | null }>, name: string, wait?: boolean): Promise<TuneStarted> {
  void vscode.commands.executeCommand('seq2seq.showTrainingPanel');
  const done = start().then((end) => { void tellUser(s, name, end); return end; });
  done.catch((err: Error) => {
    s.log.error(err.message);
    void vscode.window.showErrorMessage(`Seq2Seq: ${err.message}`, 'Resume Tuning').then((c) => { if (c) void vscode.commands.executeCommand('seq2seq.resumeTuning', { name }); });
  });
  return wait ? { name, done: await done } : { name };
}

async function tellUser(s: Services, name: string, end: TuneEndEvent & { model: string | null }): Promise<void> {
  const tried = end.trials.filter((t) => t.steps > 0).length;
  const best = end.best ? ` Best: ${end.best.id}${end.model ? `, now the active model "${end.model}"` : ''}.` : ' No trial has a dev score yet.';
  const what = end.reason === 'stopped' ? 'stopped (Resume Tuning continues it)' : end.reason === 'time-budget' ? 'used its time' : 'finished';
  const choice = await vscode.window.showInformationMessage(`Tune "${name}" ${what} after ${tried} trials.${best}`, 'Show Training Panel', ...(end.reason === 'stopped' ? ['Resume Tuning'] : []));
  if (choice === 'Show Training Panel') void vscode.commands.executeCommand('seq2seq.showTrainingPanel');
  if (choice === 'Resume Tuning') void vscode.commands.executeCommand('seq2seq.resumeTuning', { name });
  s.log.info(`tune "${name}" ended (${end.reason}); table:\n${end.table}`);
}
