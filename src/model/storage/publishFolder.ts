/**
 * Puts a copy of a folder at `dest` as one step: the copy is made in a temporary sibling, then
 * swapped in with two renames; a kill between them leaves the previous copy beside `dest`, which
 * `recoverPublished` puts back. Readers of `dest` see the old folder or the new one, whole.
 */
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

const OLD = '.old-';
const TMP = '.tmp-';

/** Copies `src` to `dest`, leaving out the top-level entries named in `skip` (e.g. the checkpoint). */
export function publishFolder(src: string, dest: string, skip: readonly string[] = []): void {
  recoverPublished(dest);
  const tmp = `${dest}${TMP}${process.pid}`;
  const old = `${dest}${OLD}${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(src, tmp, {
    recursive: true,
    filter: (from) => { const top = relative(src, from).split(sep)[0]; return !skip.includes(top); },
  });
  if (existsSync(dest)) renameSync(dest, old);
  renameSync(tmp, dest);
  rmSync(old, { recursive: true, force: true });
}

/** After a kill: a missing `dest` gets its previous copy back; half-made copies are removed. */
export function recoverPublished(dest: string): void {
  const parent = dirname(dest);
  if (!existsSync(parent)) return;
  const name = basename(dest);
  for (const e of readdirSync(parent)) {
    if (e.startsWith(name + TMP)) rmSync(join(parent, e), { recursive: true, force: true });
    else if (e.startsWith(name + OLD)) {
      if (!existsSync(dest)) renameSync(join(parent, e), dest);
      else rmSync(join(parent, e), { recursive: true, force: true });
    }
  }
}
