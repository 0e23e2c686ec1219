/**
 * The text a generation model learns from: one file, or every text file under a folder. A folder is
 * walked as git sees it (each folder's `.gitignore` applies below it, `.git` is never entered,
 * symbolic links are not followed); files that are binary (NUL bytes) or not UTF-8 text are skipped
 * and counted. Files are read one at a time when needed, by the engine's one text rule
 * (src/model/data/textFile.ts: BOM, CRLF), so a corpus is never held whole as strings.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { DataError } from '../data/dataError';
import { readTextLines } from '../data/textFile';

/** One text file of a corpus. */
export interface TextSource {
  path: string;
  /** Path relative to the corpus root, with `/` (the file's name when the corpus is one file). */
  name: string;
  /** Characters (code points) of its text. */
  chars: number;
}

export interface TextCorpus {
  root: string;
  isFolder: boolean;
  files: TextSource[];
  /** Files left out because they are binary or not UTF-8 text. */
  skippedBinary: number;
  /** Files (and folders) left out by a `.gitignore`. */
  ignored: number;
  /** A few of the skipped files, for messages. */
  skippedExamples: string[];
}

/** Files larger than this are skipped as not text to learn from (logs, dumps, data files). */
export const MAX_TEXT_FILE_BYTES = 16 << 20;

/**
 * The text of one file, lines joined with `\n` (a CR before LF dropped, as everywhere), or null
 * when it is not text we read (NUL bytes, not UTF-8, UTF-32): those throw DataError from
 * textFile.ts, and any line that is not valid UTF-8 makes the whole file count as not text here.
 */
export async function readCorpusFile(path: string): Promise<string | null> {
  const lines: string[] = [];
  try {
    for await (const l of readTextLines(path, path, 'the text file')) {
      if (!l.valid) return null;
      lines.push(l.text);
    }
  } catch (e) {
    if (e instanceof DataError) return null;
    throw e;
  }
  // The line rule drops the last line's end; running text keeps it (a file that ends with one).
  return lines.join('\n') + (endsWithLineFeed(path) && lines.length ? '\n' : '');
}

/** The file's last character is LF (UTF-8 and UTF-16 BE: last byte 0x0a; UTF-16 LE: 0x0a 0x00). */
function endsWithLineFeed(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(2, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail[tail.length - 1] === 0x0a || (tail.length === 2 && tail[0] === 0x0a && tail[1] === 0x00);
  } finally {
    closeSync(fd);
  }
}

/** Lists the corpus at `path` (a file or a folder); throws DataError when there is no text in it. */
export async function listCorpus(path: string): Promise<TextCorpus> {
  const root = resolve(path);
  let isFolder: boolean;
  try { isFolder = statSync(root).isDirectory(); } catch { throw new DataError(`${root}: no such file or folder`, root); }
  if (!isFolder) {
    const text = await readCorpusFile(root);
    if (text === null) throw new DataError(`${root}: not UTF-8 text (binary, or bytes that are not UTF-8)`, root);
    if (!text.trim()) throw new DataError(`${root}: has no text to learn from`, root);
    return { root, isFolder, files: [{ path: root, name: root.split(sep).pop()!, chars: codePoints(text) }], skippedBinary: 0, ignored: 0, skippedExamples: [] };
  }
  const corpus: TextCorpus = { root, isFolder, files: [], skippedBinary: 0, ignored: 0, skippedExamples: [] };
  for (const file of walk(root, corpus)) {
    const size = statSync(file).size;
    const text = size > MAX_TEXT_FILE_BYTES ? null : await readCorpusFile(file);
    const name = relative(root, file).split(sep).join('/');
    if (text === null) {
      corpus.skippedBinary++;
      if (corpus.skippedExamples.length < 5) corpus.skippedExamples.push(name);
      continue;
    }
    if (text.trim()) corpus.files.push({ path: file, name, chars: codePoints(text) });
  }
  if (!corpus.files.length) {
    throw new DataError(`${root}: no text files to learn from (${corpus.skippedBinary} binary or not UTF-8, ${corpus.ignored} ignored by .gitignore)`, root);
  }
  corpus.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return corpus;
}

/** Every regular file under root, in a fixed order, with each folder's .gitignore applied to what is below it. */
function* walk(root: string, corpus: TextCorpus): Generator<string> {
  const stack: { dir: string; rules: { base: string; ig: Ignore }[] }[] = [{ dir: root, rules: [] }];
  while (stack.length) {
    const { dir, rules: inherited } = stack.pop()!;
    let entries: Dirent[];
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    const rules = [...inherited];
    if (entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      rules.push({ base: dir, ig: ignore().add(readFileSync(join(dir, '.gitignore'), 'utf8')) });
    }
    const sub: string[] = [];
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === '.git') continue;
      const full = join(dir, e.name);
      const isDir = e.isDirectory();
      if (!isDir && !e.isFile()) continue;
      // Each rule set sees the path relative to its own folder, a folder with a trailing slash.
      if (rules.some((r) => r.ig.ignores(relative(r.base, full).split(sep).join('/') + (isDir ? '/' : '')))) { corpus.ignored++; continue; }
      if (isDir) sub.push(full); else yield full;
    }
    for (const d of sub.reverse()) stack.push({ dir: d, rules });
  }
}

export function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}
