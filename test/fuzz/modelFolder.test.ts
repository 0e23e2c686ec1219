/**
 * Fuzz tier (issue 12): the model-folder readers (config.json, tokenizers.json, model.json,
 * metrics.json, checkpoint/state.json, the weights) on mutated and truncated files: each read
 * gives a model that translates or a ModelFolderError naming a file, never a raw TypeError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel } from '../../src/model/storage/store';
import { listModels, readModelSummary } from '../../src/model/storage/modelFolder';
import { translate } from '../../src/model/decoding/translate';
import { tinyModel } from '../helpers/tinyModel';

const root = mkdtempSync(join(tmpdir(), 'seq2seq-fuzz-folder-'));
const HANG_GUARD = { timeout: 600_000 };
const FILES = ['config.json', 'tokenizers.json', 'model.json', 'metrics.json', 'checkpoint/state.json'] as const;
const info = { config: { task: 'pairs' as const, devMetric: 'bleu' as const, dataFile: 'x.tsv', trainPairs: 3, createdAt: new Date().toISOString() } };

/** Every path into a JSON value (objects and lists), up to a depth. */
function paths(v: unknown, depth = 5, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (depth === 0 || typeof v !== 'object' || v === null) return out;
  for (const k of Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v)) out.push(...paths((v as Record<string, unknown>)[k], depth - 1, [...at, k]));
  return out;
}

type Mutation = { file: (typeof FILES)[number]; pick: number; kind: 'set' | 'delete' | 'truncate' | 'bytes'; value: unknown; cut: number };

function apply(dir: string, m: Mutation, current: Map<string, string>): void {
  const path = join(dir, m.file);
  const text = current.get(m.file)!;
  if (m.kind === 'truncate') { writeFileSync(path, text.slice(0, m.cut % (text.length + 1))); return; }
  if (m.kind === 'bytes') { writeFileSync(path, Buffer.from(String(m.value), 'latin1')); return; }
  let json: any;
  try { json = JSON.parse(text); } catch { writeFileSync(path, JSON.stringify(m.value) ?? ''); return; }
  const all = paths(json);
  const p = all[m.pick % all.length];
  if (p.length === 0) { writeFileSync(path, JSON.stringify(m.kind === 'delete' ? null : m.value)); return; }
  let parent = json;
  for (const k of p.slice(0, -1)) parent = parent[k];
  const last = p[p.length - 1];
  if (m.kind === 'delete') { if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last]; } else parent[last] = m.value;
  writeFileSync(path, JSON.stringify(json));
}

test('mutated model folders load and translate, or fail with a ModelFolderError naming a file', HANG_GUARD, async () => {
  const template = join(root, 'template');
  const model = await tinyModel();
  await saveModel(model, template, info);
  saveCheckpoint(template, model, [], { epoch: 1, step: 4, stepInEpoch: 0, optimizerStep: 4, lr: 0.01, bestScore: 1, plateauBest: null, badEpochs: 0, lrBadEpochs: 0, elapsedMs: 10 });
  writeFileSync(join(template, 'metrics.json'), JSON.stringify({ history: [{ kind: 'epoch', epoch: 1, dev: null, trainLoss: 1 }], best: { epoch: 1, dev: null }, steps: 4, elapsedMs: 10 }));
  model.dispose();
  const dir = join(root, 'm');
  const counts = { loaded: 0, refused: 0 };
  const mutation = fc.record({
    file: fc.constantFrom(...FILES),
    pick: fc.nat(),
    kind: fc.constantFrom('set', 'set', 'set', 'delete', 'truncate', 'bytes'),
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, -1, 0, 1e308, 2 ** 31, '../../etc/hostname', '/etc/hostname', 'weights.bin', 'x\0y', [], {}, '32', NaN, 'char', 'subword')),
    cut: fc.nat(),
  });
  await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
    rmSync(dir, { recursive: true, force: true });
    cpSync(template, dir, { recursive: true });
    for (const m of ms) apply(dir, m, new Map(FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')])));
    const attempt = async (what: string, f: () => Promise<void> | void) => {
      try { await f(); counts.loaded++; } catch (e) {
        assert.equal((e as Error).name, 'ModelFolderError', `${what} after ${JSON.stringify(ms)}: ${(e as Error).stack}`);
        assert.ok((e as Error).message.startsWith(root), (e as Error).message);
        counts.refused++;
      }
    };
    await attempt('loadModel', async () => {
      const m = await loadModel(dir);
      try {
        const out = await translate(m, ['abc', ''], { maxLength: 5 });
        assert.equal(out.length, 2);
      } finally { m.dispose(); }
    });
    await attempt('loadCheckpoint', () => {
      const ck = loadCheckpoint(dir);
      ck.model.dispose();
      for (const t of ck.optimizer.values()) t.dispose();
    });
    await attempt('readModelSummary', () => { readModelSummary(dir); });
    assert.ok(Array.isArray(listModels(root)));
  }), { seed: 505, numRuns: 1500 });
  // Both outcomes were met many times (the mutations do reach the checks).
  assert.ok(counts.loaded > 300 && counts.refused > 300, JSON.stringify(counts));
});
