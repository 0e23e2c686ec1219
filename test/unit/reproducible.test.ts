/** A training seed makes training reproducible: dropout masks come from the seed and the step, not from Math.random. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '../../src/model/training/train';
import { FILES } from '../../src/model/storage/modelFolder';
import { referenceKernels, withKernels } from '../../src/model/acceleration/kernels';
import { DropoutSeeds, stepDropoutSeed } from '../../src/model/network/dropout';
import { initBackend, tf } from '../../src/model/acceleration/backend';
import { reversePairs } from '../helpers/tinyModel';

const dir = mkdtempSync(join(tmpdir(), 'repro-'));
const data = join(dir, 'pairs.tsv');
writeFileSync(data, reversePairs(120, 5).join('\n') + '\n');

async function train(name: string, seed: number): Promise<Buffer> {
  const modelDir = join(dir, name);
  await trainModel({
    dataFile: data, modelDir, resume: false, preset: 'fast', threads: 1,
    settings: { model: { emb: 8, hidden: 16, dropout: 0.3, bidirectional: true }, train: { epochs: 2, batch: 16, seed } },
  }, () => {});
  return readFileSync(join(modelDir, FILES.weights));
}

test('two runs with the same seed (dropout 0.3) give the same weights bit for bit; another seed gives others', async () => {
  const a = await train('a', 3);
  const b = await train('b', 3);
  const c = await train('c', 4);
  assert.ok(a.length > 0);
  assert.ok(a.equals(b), 'same seed, different weights');
  assert.ok(!a.equals(c), 'a different seed gave the same weights');
});

test('dropout seeds: fixed by run seed and step, different across steps, parts and masks', async () => {
  await initBackend();
  assert.equal(stepDropoutSeed(1, 10), stepDropoutSeed(1, 10));
  const seeds = new Set([stepDropoutSeed(1, 10), stepDropoutSeed(1, 11), stepDropoutSeed(2, 10), stepDropoutSeed(1, 10, 1)]);
  assert.equal(seeds.size, 4);
  const s1 = new DropoutSeeds(99); const s2 = new DropoutSeeds(99);
  const first = [s1.next(), s1.next(), s1.next()];
  assert.deepEqual(first, [s2.next(), s2.next(), s2.next()]);
  assert.equal(new Set(first).size, 3);
  // The reference mask (any backend) is repeatable by seed and keeps about `keep` of the entries.
  const mask = (seed: number) => withKernels(referenceKernels, () => tf.tidy(() => [...referenceKernels.dropoutMask([50_000], 0.7, seed).dataSync()]));
  const m = mask(5);
  assert.deepEqual(m, mask(5));
  assert.notDeepEqual(m, mask(6));
  const kept = m.filter((v) => v !== 0);
  assert.ok(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-5));
  assert.ok(Math.abs(kept.length / m.length - 0.7) < 0.02, `kept ${kept.length / m.length}`);
});
