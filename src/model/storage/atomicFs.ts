/**
 * Crash-safe file writes (write a temporary sibling, flush it to disk, then rename over the target),
 * the removal of temporaries a kill left behind, and creating an output folder that fails at once,
 * naming the path, where a folder cannot be made or written.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';

/** Temporaries are `.NAME.PID.RANDOM.tmp`: the pid tells whether their writer can still be writing. */
const TEMP_RE = /^\..+\.(\d+)\.[a-z0-9]*\.tmp$/;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Whether a process with this id is running. */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * Removes the temporaries of writes that never finished in dir: those of dead processes, and our
 * own (writes are synchronous, so none of ours is in flight when this runs). Returns how many.
 * A folder that cannot be read or changed is left as it is.
 */
export function removeStaleTemps(dir: string): number {
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return 0; }
  let n = 0;
  for (const e of entries) {
    const m = TEMP_RE.exec(e);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    try { rmSync(join(dir, e), { force: true }); n++; } catch { /* read-only: harmless debris */ }
  }
  return n;
}

export class OutputPathError extends Error {
  constructor(message: string) { super(message); this.name = 'OutputPathError'; }
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded', ENOTDIR: 'a part of the path is not a folder', ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links', EEXIST: 'a file of that name exists', EINVAL: 'not a valid name here', EIO: 'input/output error',
  // mkdir in a place such as /proc or /sys whose parent exists but takes no new entries.
  ENOENT: 'this place does not take new folders (such as /proc or /sys)',
};

function errnoWords(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code ? `${code}: ${ERRNO_WORDS[code] ?? (e as Error).message}` : (e as Error).message;
}

/**
 * Makes dir (and missing parents, one level at a time: Node's recursive mkdir loops forever in
 * places such as /proc/self) and checks that a file can be written in it. Throws OutputPathError
 * naming the path otherwise.
 */
export function ensureWritableDir(dir: string): void {
  const full = resolve(dir);
  const missing: string[] = [];
  for (let p = full; ; p = dirname(p)) {
    let isDir: boolean;
    try { isDir = statSync(p).isDirectory(); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the way; going up finds it and says so.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw new OutputPathError(`${dir}: cannot be used as the output folder (${p}: ${errnoWords(e)})`);
      missing.unshift(p);
      continue;
    }
    if (!isDir) throw new OutputPathError(`${dir}: cannot be used as the output folder (${p} is a file, not a folder)`);
    break;
  }
  for (const p of missing) {
    try { mkdirSync(p); } catch (e) {
      const exists = (() => { try { return statSync(p).isDirectory(); } catch { return false; } })();
      if (!exists) throw new OutputPathError(`${dir}: cannot create the folder ${p} (${errnoWords(e)})`);
    }
  }
  const probe = join(full, `.write-test.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (e) {
    rmSync(probe, { force: true });
    throw new OutputPathError(`${dir}: cannot write in this folder (${errnoWords(e)})`);
  }
}
