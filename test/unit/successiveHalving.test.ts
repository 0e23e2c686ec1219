/** Successive halving's arithmetic and the search space: rounds, budgets, who goes on, seeded draws, checked space files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { best, chooseTrials, planRounds, totalUnits, trialMinutes, unitsInRound } from '../../src/model/training/successiveHalving';
import { checkSpace, DEFAULT_SPACE, drawTrials, loadSpace, SpaceError, type RangeChoice } from '../../src/model/training/tuneSpace';

test('rounds: one in `keep` goes on, each with `growth` times the training', () => {
  assert.deepEqual(planRounds(9, 3, 4), { sizes: [9, 3, 1], units: [1, 4, 16] });
  assert.deepEqual(planRounds(10, 3, 4).sizes, [10, 3, 1]);
  assert.deepEqual(planRounds(4, 2, 2), { sizes: [4, 2, 1], units: [1, 2, 4] });
  assert.deepEqual(planRounds(1, 3, 4).sizes, [1]);
  const plan = planRounds(9, 3, 4);
  assert.deepEqual([0, 1, 2].map((r) => unitsInRound(plan, r)), [1, 3, 12]);
  assert.equal(totalUnits(plan), 9 + 9 + 12);
  assert.equal(chooseTrials(20, 3, 4), 3, '20 minutes: 3 trials of 3.3 minutes, then one of 10 more');
  assert.equal(chooseTrials(60, 3, 4), 9, '60 minutes: 9 trials of 2 minutes, 3 of 6 more, one of 24 more');
  assert.equal(chooseTrials(120, 3, 4), 15, 'multiples of keep, not only its powers');
  assert.equal(chooseTrials(3, 3, 4), 3);
  assert.equal(chooseTrials(600, 3, 4), 51);
  assert.equal(chooseTrials(600, 3, 4, 0.5), 81);
});

test('budgets: the trials of the plan share exactly the time left after their overhead', () => {
  const plan = planRounds(9, 3, 4);
  let msLeft = 20 * 60_000;
  const overhead = 4000;
  let trainedMs = 0;
  const perRound: number[][] = plan.sizes.map(() => []);
  plan.sizes.forEach((n, round) => {
    for (let waiting = n; waiting > 0; waiting--) {
      const ms = trialMinutes(plan, round, waiting, msLeft, overhead) * 60_000;
      perRound[round].push(ms);
      trainedMs += ms;
      msLeft -= ms + overhead;
    }
  });
  const runs = plan.sizes.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(trainedMs - (20 * 60_000 - runs * overhead)) < 1e-6, `${trainedMs} ms trained`);
  assert.ok(Math.abs(msLeft) < 1e-6, 'nothing left over, nothing overspent');
  // Each round's trials get the same time, `growth` times more units per trial than the round before.
  for (const r of perRound) assert.ok(r.every((x) => Math.abs(x - r[0]) < 1e-6));
  assert.ok(Math.abs(perRound[1][0] / perRound[0][0] - 3) < 1e-9 && Math.abs(perRound[2][0] / perRound[0][0] - 12) < 1e-9);
  // A machine slower than planned: what is left is shared again, never more than there is.
  assert.ok(trialMinutes(plan, 2, 1, 60_000, 0) <= 1 + 1e-12);
  assert.equal(trialMinutes(plan, 2, 1, 1000, 5000), 0);
});

test('the best k by score go on: ties keep the trials\' order, trials without a score come last', () => {
  const results = [
    { id: 't0', score: -30 }, { id: 't1', score: -12.5 }, { id: 't2', score: null }, { id: 't3', score: -12.5 }, { id: 't4', score: -8 }, { id: 't5', score: -40 },
  ];
  assert.deepEqual(best(results, 3).map((r) => r.id), ['t4', 't1', 't3']);
  assert.deepEqual(best(results, 6).map((r) => r.id), ['t4', 't1', 't3', 't0', 't5', 't2']);
  assert.deepEqual(best(results, 0), []);
});

test('draws are the same for one seed, within the space, and start with the preset itself', () => {
  const a = drawTrials(DEFAULT_SPACE, 9, 1);
  assert.deepEqual(a, drawTrials(DEFAULT_SPACE, 9, 1));
  assert.notDeepEqual(a.slice(1), drawTrials(DEFAULT_SPACE, 9, 2).slice(1));
  assert.deepEqual(a[0], { group: 'balanced', values: {} });
  const group = DEFAULT_SPACE.groups[0];
  for (const d of a.slice(1)) {
    assert.equal(d.group, 'rnn');
    for (const [path, choice] of Object.entries(group.settings)) {
      const v = d.values[path];
      if (Array.isArray(choice)) assert.ok(choice.includes(v), `${path} ${v}`);
      else assert.ok(typeof v === 'number' && v >= (choice as RangeChoice).min && v <= (choice as RangeChoice).max, `${path} ${v}`);
    }
  }
  assert.equal(new Set(a.map((d) => JSON.stringify(d))).size, a.length, 'no configuration drawn twice');
  const two = checkSpace({ includePreset: false, groups: [{ name: 'a', settings: { 'model.cell': ['gru'] } }, { name: 'b', weight: 3, settings: { 'model.cell': ['lstm'] } }] });
  const draws = drawTrials(two, 400, 5);
  const bShare = draws.filter((d) => d.group === 'b').length / draws.length;
  assert.ok(bShare > 0.65 && bShare < 0.85, `group b drawn ${bShare} of the time (weight 3 of 4)`);
});

test('a space file is checked field by field, with the engine\'s rules for each setting', () => {
  const bad = (raw: unknown, message: RegExp) => assert.throws(() => checkSpace(raw), (e: Error) => e instanceof SpaceError && message.test(e.message), String(message));
  bad({ groups: [{ name: 'x', settings: { 'model.hiden': [64] } }] }, /^space\.groups\[0\]\.settings\.model\.hiden\[0\]: "model\.hiden" is not a setting/);
  bad({ groups: [{ name: 'x', settings: { 'model.hidden': [64, -5] } }] }, /^space\.groups\[0\]\.settings\.model\.hidden\[1\]: must be a whole number from 4 to 4096 \(got -5\)/);
  bad({ groups: [{ name: 'x', settings: { 'model.cell': ['lstm', 'rnn'] } }] }, /model\.cell\[1\]: must be one of lstm, gru/);
  bad({ groups: [{ name: 'x', settings: { 'model.hidden': ['64'] } }] }, /model\.hidden\[0\]: must be a number \(got "64"\)/);
  bad({ groups: [{ name: 'x', settings: { 'train.lr': { min: 0.01, max: 0.001 } } }] }, /train\.lr: a range needs numbers "min" <= "max"/);
  bad({ groups: [{ name: 'x', settings: { 'train.lr': { min: 0, max: 0.01, log: true } } }] }, /a log range needs "min" above 0/);
  bad({ groups: [{ name: 'x', settings: { 'train.lr': { min: 0.001, max: 2 } } }] }, /train\.lr\.max: must be a number above 0 and at most 1/);
  bad({ groups: [] }, /^space\.groups: must be a list of at least one group/);
  bad({ fixed: { 'train.batch': 0 } }, /^space\.fixed\.train\.batch: must be a whole number from 1 to 4096/);
  bad({ keep: 1 }, /^space\.keep: must be a whole number from 2 to 10/);
  bad({ trails: 9 }, /^space\.trails: is not known here/);
  bad({ preset: 'huge' }, /^space\.preset: must be fast, balanced or accurate/);
  // A setting of one architecture is judged as that architecture judges it.
  const transformerGroup = checkSpace({ groups: [{ name: 't', settings: { 'model.arch': ['transformer'], 'model.sharedVocab': [false, true] } }] });
  assert.deepEqual(transformerGroup.groups[0].settings['model.sharedVocab'], [false, true]);
  bad({ groups: [{ name: 't', settings: { 'model.sharedVocab': ['yes'] } }] }, /model\.sharedVocab\[0\]: must be a boolean/);
  const ok = checkSpace({ trials: 6, fixed: { 'train.batch': 32 }, groups: [{ name: 'small', settings: { 'model.hidden': { min: 32, max: 96, integer: true } } }] });
  assert.equal(ok.trials, 6);
  assert.equal(ok.preset, DEFAULT_SPACE.preset);
  for (const d of drawTrials(ok, 6, 3).slice(1)) assert.ok(Number.isInteger(d.values['model.hidden']));
  const dir = mkdtempSync(join(tmpdir(), 'space-'));
  writeFileSync(join(dir, 'broken.json'), '{"groups": [');
  assert.throws(() => loadSpace(join(dir, 'broken.json')), /broken\.json: the search space is not valid JSON/);
  assert.throws(() => loadSpace(join(dir, 'missing.json')), /missing\.json: cannot read the search space \(ENOENT\)/);
  writeFileSync(join(dir, 'space.json'), JSON.stringify({ groups: [{ name: 'g', settings: { 'model.layers': [5] } }] }));
  assert.throws(() => loadSpace(join(dir, 'space.json')), /space\.json\.groups\[0\]\.settings\.model\.layers\[0\]: must be a whole number from 1 to 4/);
  assert.equal(loadSpace('default'), DEFAULT_SPACE);
});
