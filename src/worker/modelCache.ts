/**
 * Loaded models, one per folder, kept while their files are unchanged. A folder that training has
 * rewritten since it was loaded (model.json or weights changed) is loaded again, so translating
 * while training uses the latest saved weights.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../model/index';

type Model = Awaited<ReturnType<typeof loadModel>>;

interface Entry { stamp: string; model: Promise<Model>; users: number; stale: boolean }

const MAX_MODELS = 3;

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  /** Runs `use` with the model in `dir`, loading it if needed; the model stays alive during `use`. */
  async with<T>(dir: string, use: (model: Model) => Promise<T>): Promise<T> {
    const entry = this.get(dir);
    entry.users++;
    try {
      return await use(await entry.model);
    } finally {
      entry.users--;
      if (entry.stale && entry.users === 0) void disposeEntry(entry);
    }
  }

  private get(dir: string): Entry {
    const stamp = folderStamp(dir);
    const cached = this.entries.get(dir);
    if (cached && cached.stamp === stamp) {
      // Most recently used goes last.
      this.entries.delete(dir);
      this.entries.set(dir, cached);
      return cached;
    }
    if (cached) this.retire(dir, cached);
    const entry: Entry = { stamp, model: loadModel(dir), users: 0, stale: false };
    // A folder that fails to load is not cached: the next request tries again.
    entry.model.catch(() => { if (this.entries.get(dir) === entry) this.entries.delete(dir); });
    this.entries.set(dir, entry);
    while (this.entries.size > MAX_MODELS) {
      const [oldDir, old] = this.entries.entries().next().value as [string, Entry];
      this.retire(oldDir, old);
    }
    return entry;
  }

  private retire(dir: string, entry: Entry): void {
    this.entries.delete(dir);
    entry.stale = true;
    if (entry.users === 0) void disposeEntry(entry);
  }

  disposeAll(): void {
    for (const [dir, entry] of [...this.entries]) this.retire(dir, entry);
  }
}

async function disposeEntry(entry: Entry): Promise<void> {
  try { (await entry.model).dispose(); } catch { /* a model that failed to load has nothing to free */ }
}

/** Changes whenever training saves the folder again. */
function folderStamp(dir: string): string {
  const parts: string[] = [];
  for (const f of ['model.json', 'weights.bin', 'tokenizers.json']) {
    try {
      const s = statSync(join(dir, f));
      parts.push(`${f}:${s.mtimeMs}:${s.size}`);
    } catch {
      parts.push(`${f}:-`);
    }
  }
  return parts.join('|');
}
