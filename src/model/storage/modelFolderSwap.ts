/**
 * Replacing a model folder as one unit. A new run into a folder that already holds a model trains
 * in a staging sibling, `.NAME.staging-PID`, and the old model stays whole meanwhile. The run's
 * first complete save (model, tokenizers, config, checkpoint) swaps it in:
 *
 *   1. rename NAME            -> .NAME.replaced-PID     NAME is missing from here ...
 *   2. rename staging         -> NAME                   ... to here
 *   3. remove .NAME.replaced-PID
 *
 * A kill between 1 and 2 leaves no NAME but two whole siblings. settleModelFolder, which every
 * reader of a model folder runs first, finishes such a swap (the staging folder was complete
 * before step 1) and removes what killed runs left behind, so a reader sees the old model or the
 * new one, never a mix and never neither. Names start with a dot, so model lists skip them.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './atomicFs';

const STAGING = 'staging';
const REPLACED = 'replaced';
const SIBLING_RE = /^\.(.+)\.(staging|replaced)-(\d+)$/;

export function stagingDirFor(dir: string, pid = process.pid): string {
  return join(dirname(dir), `.${basename(dir)}.${STAGING}-${pid}`);
}

function replacedDirFor(dir: string, pid = process.pid): string {
  return join(dirname(dir), `.${basename(dir)}.${REPLACED}-${pid}`);
}

/** A staging folder counts as complete once it holds a saved model and a checkpoint. */
function isComplete(dir: string): boolean {
  return existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'checkpoint', 'state.json'));
}

/** Swaps the complete staging folder in for dir (steps 1-3 above). */
export function swapIn(staging: string, dir: string): void {
  const replaced = replacedDirFor(dir);
  rmSync(replaced, { recursive: true, force: true });
  const hadOld = existsSync(dir);
  if (hadOld) renameSync(dir, replaced);
  try {
    renameSync(staging, dir);
  } catch (e) {
    // A reader settled the folder between our two renames: it did step 2 for us.
    if (!(existsSync(dir) && !existsSync(staging))) throw e;
  }
  if (hadOld) rmSync(replaced, { recursive: true, force: true });
}

interface Sibling { path: string; kind: 'staging' | 'replaced'; pid: number }

function siblingsOf(dir: string): Sibling[] {
  const parent = dirname(dir);
  const name = basename(dir);
  let entries: string[];
  try { entries = readdirSync(parent); } catch { return []; }
  const out: Sibling[] = [];
  for (const e of entries) {
    const m = SIBLING_RE.exec(e);
    if (m && m[1] === name) out.push({ path: join(parent, e), kind: m[2] as Sibling['kind'], pid: Number(m[3]) });
  }
  return out;
}

/**
 * Finishes a swap a kill interrupted and removes the leftovers of killed runs next to dir. Safe to
 * call any time (a live run's staging folder is left alone); does nothing when there is nothing to do.
 */
export function settleModelFolder(dir: string): void {
  const siblings = siblingsOf(dir);
  if (!siblings.length) return;
  try {
    if (!existsSync(dir)) {
      // Killed between steps 1 and 2: the new model is complete, so step 2 is finished; failing that, the old one goes back.
      const staged = siblings.find((s) => s.kind === 'staging' && isComplete(s.path));
      const replaced = siblings.find((s) => s.kind === 'replaced');
      if (staged) renameSync(staged.path, dir);
      else if (replaced) renameSync(replaced.path, dir);
    }
    for (const s of siblingsOf(dir)) {
      if (!existsSync(dir)) break;
      if (s.kind === 'replaced' || !processAlive(s.pid)) rmSync(s.path, { recursive: true, force: true });
    }
  } catch {
    // A read-only or vanished parent: readers go on with what is there.
  }
}

/** Settles every model folder under modelsDir whose swap was interrupted (for listings). */
export function settleModelsDir(modelsDir: string): void {
  let entries: string[];
  try { entries = readdirSync(modelsDir); } catch { return; }
  const names = new Set<string>();
  for (const e of entries) {
    const m = SIBLING_RE.exec(e);
    if (m) names.add(m[1]);
  }
  for (const n of names) settleModelFolder(join(modelsDir, n));
}
