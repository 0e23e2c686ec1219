/**
 * The one rule for paths built from a name (a model name from the panel, a weights file named in a
 * model folder, a file inside a training job): the result must lie inside the folder it belongs to.
 * Names are relative, `/`-separated, of plain segments; symbolic links may not lead outside either.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export class PathConfinementError extends Error {
  constructor(message: string) { super(message); this.name = 'PathConfinementError'; }
}

/** Why `name` is not a plain relative path, or null if it is. */
export function unsafeNameReason(name: unknown, singleSegment = false): string | null {
  if (typeof name !== 'string') return 'it is not a string';
  if (singleSegment && name.includes('/')) return 'it contains a "/"';
  if (name.length === 0) return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('\\')) return 'it contains a backslash (Windows separator)';
  if (isAbsolute(name) || /^[A-Za-z]:/.test(name)) return 'it is an absolute path';
  if (name.split('/').some((s) => s === '..' || s === '.' || s === '')) return 'it has an empty, "." or ".." segment';
  return null;
}

/**
 * `folder/name`, resolved, after checking that it stays inside `folder` — also through symbolic links
 * when the path (or a folder on the way to it) exists. `what` names the thing for the error message;
 * `singleSegment` also refuses `/` (a model name is one folder, not a path).
 */
export function resolveInside(folder: string, name: unknown, what = 'name', singleSegment = false): string {
  const reason = unsafeNameReason(name, singleSegment);
  if (reason) throw new PathConfinementError(`${what} ${JSON.stringify(String(name).slice(0, 200))} is not allowed: ${reason}`);
  const root = resolve(folder);
  const full = resolve(root, name as string);
  if (!isWithin(root, full)) throw new PathConfinementError(`${what} ${JSON.stringify(name)} leads outside ${root}`);
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  let existing = full;
  while (!existsSync(existing) && existing !== root) existing = dirname(existing);
  if (existsSync(existing) && !isWithin(realRoot, realpathSync(existing))) {
    throw new PathConfinementError(`${what} ${JSON.stringify(name)} leads outside ${root} through a symbolic link`);
  }
  return full;
}

/** Whether `child` is `root` itself or below it (both resolved). */
export function isWithin(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}
