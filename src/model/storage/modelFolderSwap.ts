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
import { ensureWritableDir, OutputPathError, processAlive } from './atomicFs';

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

export class ModelExistsError extends Error {
  constructor(message: string) { super(message); this.name = 'ModelExistsError'; }
}

/** Where a training run writes: straight into dir, or into a staging sibling swapped in at its first save. */
export interface ModelDirPlan {
  dir: string;
  writeDir: string;
  staged: boolean;
  /** This run made the folder: if it ends before saving anything, the folder goes again. */
  created?: boolean;
}

/** Entries a run leaves in a folder before its first save (nothing there to protect). */
const EARLY_ENTRIES = new Set(['config.json', 'tokenizers.json', 'metrics.json', 'checkpoint']);

/**
 * Decides where a run writes and checks it can, before any data is read: a resumed run and a new
 * folder are written in place; a folder holding a model is replaced only with `overwrite`, through
 * a staging sibling; a folder holding other files is never used. Throws ModelExistsError or
 * OutputPathError naming the folder.
 */
export function planModelDir(dir: string, opts: { resume: boolean; overwrite?: boolean }): ModelDirPlan {
  settleModelFolder(dir);
  const inPlace = (created = false): ModelDirPlan => { ensureWritableDir(dir); return { dir, writeDir: dir, staged: false, created }; };
  if (opts.resume) return inPlace();
  if (!existsSync(dir)) return inPlace(true);
  let entries: string[];
  try { entries = readdirSync(dir); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OutputPathError(code === 'ENOTDIR' ? `${dir}: is a file, not a folder` : `${dir}: cannot be read (${code ?? (e as Error).message})`);
  }
  const holdsModel = existsSync(join(dir, 'model.json')) || existsSync(join(dir, 'checkpoint', 'state.json'));
  if (!holdsModel) {
    const foreign = entries.filter((e) => !EARLY_ENTRIES.has(e) && !e.endsWith('.tmp'));
    if (foreign.length) {
      throw new ModelExistsError(`${dir}: is not empty and holds no model (${foreign.slice(0, 3).map((f) => JSON.stringify(f)).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose a new or empty folder`);
    }
    return inPlace();
  }
  if (!opts.overwrite) {
    throw new ModelExistsError(`${dir}: already holds a model. To replace it, train with --overwrite (the old model stays whole until the new run's first save); to continue its training, use --resume; or choose another folder.`);
  }
  const staging = stagingDirFor(dir);
  rmSync(staging, { recursive: true, force: true });
  ensureWritableDir(staging);
  return { dir, writeDir: staging, staged: true };
}

/**
 * After a save into plan.writeDir: swaps a complete staging folder in for the old model (once) and
 * returns the plan to write by from then on.
 */
export function commitModelDir(plan: ModelDirPlan): ModelDirPlan {
  if (!plan.staged || !isComplete(plan.writeDir)) return plan;
  swapIn(plan.writeDir, plan.dir);
  return { dir: plan.dir, writeDir: plan.dir, staged: false };
}

/**
 * A run that ends before its first complete save leaves things as they were: its staging folder
 * goes, and so does a folder it made that holds no model or checkpoint.
 */
export function abandonModelDir(plan: ModelDirPlan): void {
  if (plan.staged) rmSync(plan.writeDir, { recursive: true, force: true });
  else if (plan.created && !existsSync(join(plan.dir, 'model.json')) && !existsSync(join(plan.dir, 'checkpoint', 'state.json'))) {
    rmSync(plan.dir, { recursive: true, force: true });
  }
}
