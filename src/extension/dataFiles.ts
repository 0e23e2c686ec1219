/** Which files can be training data, and what a file is for (pairs or plain text to generate from). */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { TaskKind } from '../model/config';

export const DATA_EXTENSIONS = ['.tsv', '.txt', '.csv', '.jsonl'] as const;

export function isDataFile(path: string): boolean {
  return (DATA_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/**
 * `generate` for a folder (notes or code: text to continue) and for plain text (a .txt file whose
 * first lines have no tab), else `pairs`: TSV, CSV with a header and JSON Lines always hold pairs.
 */
export function guessTask(path: string): TaskKind {
  if (isFolder(path)) return 'generate';
  if (extname(path).toLowerCase() !== '.txt') return 'pairs';
  const head = readHead(path, 64 * 1024);
  const lines = head.split(/\r?\n/).filter((l) => l.trim()).slice(0, 50);
  if (!lines.length) return 'pairs';
  const withTab = lines.filter((l) => l.includes('\t')).length;
  return withTab >= lines.length * 0.8 ? 'pairs' : 'generate';
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
