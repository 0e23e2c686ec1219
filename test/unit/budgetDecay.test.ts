/** The time budget's learning-rate decay: full rate until the last share of --minutes, then linearly to 0; off without a budget. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetDecayFactor } from '../../src/model/training/lrSchedule';
import { trainModel } from '../../src/model/training/train';
import type { TrainStepEvent } from '../../src/model/training/events';
import { readConfig } from '../../src/model/storage/modelFolder';
import { reversePairs } from '../helpers/tinyModel';

test('budgetDecayFactor: 1 until the last share of the budget, then linear to 0 at its end; share 0 is off', () => {
  assert.equal(budgetDecayFactor(0.3, 0), 1);
  assert.equal(budgetDecayFactor(0.3, 0.7), 1);
  assert.ok(Math.abs(budgetDecayFactor(0.3, 0.85) - 0.5) < 1e-12);
  assert.ok(Math.abs(budgetDecayFactor(0.5, 0.9) - 0.2) < 1e-12);
  assert.equal(budgetDecayFactor(0.3, 1), 0);
  assert.equal(budgetDecayFactor(0.3, 1.2), 0, 'past the budget: never negative');
  assert.equal(budgetDecayFactor(0, 0.99), 1);
  assert.equal(budgetDecayFactor(1, 0.25), 0.75, 'share 1: the whole budget decays');
});

const dir = mkdtempSync(join(tmpdir(), 'budget-decay-'));
const data = join(dir, 'reverse.tsv');
writeFileSync(data, reversePairs(400, 3).join('\n') + '\n');

async function lrs(budgetDecay: number | undefined, minutes: number, name: string): Promise<{ lrs: number[]; saved: number }> {
  const steps: TrainStepEvent[] = [];
  const modelDir = join(dir, name);
  await trainModel({
    dataFile: data, modelDir, resume: false, preset: 'fast', threads: 1,
    settings: {
      model: { emb: 8, hidden: 16, bidirectional: false, dropout: 0 },
      train: { minutes, epochs: minutes > 0 ? 100000 : 2, batch: 8, patience: 0, lrPatience: 0, logEvery: 1, lr: 0.01, budgetDecay },
    },
  }, (e) => { if (e.kind === 'step') steps.push(e); });
  return { lrs: steps.map((s) => s.lr), saved: readConfig(modelDir).settings.train.budgetDecay };
}

test('a time-budgeted run trains at the full rate, then ends near 0; the share is saved with the settings', async () => {
  const { lrs: seen, saved } = await lrs(0.5, 0.05, 'budgeted');
  assert.equal(saved, 0.5);
  assert.ok(seen.length > 10, `enough steps to see the curve (${seen.length})`);
  assert.equal(seen[0], 0.01, 'the first step at the full rate');
  const last = seen[seen.length - 1];
  assert.ok(last < 0.01 * 0.25, `the last step's rate ${last} is near 0`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] <= seen[i - 1] + 1e-12, 'the rate never rises');
});

test('without a time budget the decay does nothing', async () => {
  const { lrs: seen } = await lrs(0.5, 0, 'epochs');
  assert.ok(seen.length > 10 && seen.every((lr) => lr === 0.01), 'every step at the full rate');
});
