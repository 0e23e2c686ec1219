/**
 * Successive halving, as plain arithmetic (no training here): many short trials, of which the best
 * 1 in `keep` by the dev metric go on to the next round with `growth` times the training time, down
 * to one. Budgets are in units (a first-round trial trains 1 unit); how many minutes a unit is comes
 * from the time left whenever a trial starts, so the search ends on time however fast the machine.
 */

export interface HalvingPlan {
  /** Trials in each round: sizes[0] drawn, then 1 in `keep` of the round before, down to 1. */
  sizes: number[];
  /** Cumulative training units of a trial that has finished round i. */
  units: number[];
}

export function planRounds(trials: number, keep: number, growth: number): HalvingPlan {
  const sizes = [Math.max(1, Math.floor(trials))];
  while (sizes[sizes.length - 1] > 1) sizes.push(Math.max(1, Math.floor(sizes[sizes.length - 1] / keep)));
  return { sizes, units: sizes.map((_, i) => growth ** i) };
}

/** Units a trial trains in round i (on top of the rounds before). */
export function unitsInRound(plan: HalvingPlan, round: number): number {
  return plan.units[round] - (round > 0 ? plan.units[round - 1] : 0);
}

/** All units of the plan. */
export function totalUnits(plan: HalvingPlan): number {
  return plan.sizes.reduce((s, n, i) => s + n * unitsInRound(plan, i), 0);
}

/**
 * The number of first-round trials for `minutes`: the largest multiple of `keep` (from `keep` to
 * `keep`^4) whose first-round trials still train `minTrialMinutes` each. Short first rounds rank
 * models by how fast they start, not where they end: on CMUdict after 50 s the balanced preset came
 * third of six behind small fast-learning models, after 3.3 minutes it led (README "Tuning").
 */
export function chooseTrials(minutes: number, keep: number, growth: number, minTrialMinutes = 2): number {
  let best = keep;
  for (let n = keep; n <= keep ** 4; n += keep) {
    if (minutes / totalUnits(planRounds(n, keep, growth)) >= minTrialMinutes) best = n;
  }
  return best;
}

/**
 * Units still to train from here: `waiting` trials of `round` still to train it (including the one
 * about to start), and every later round in full.
 */
export function unitsLeft(plan: HalvingPlan, round: number, waiting: number): number {
  let u = waiting * unitsInRound(plan, round);
  for (let j = round + 1; j < plan.sizes.length; j++) u += plan.sizes[j] * unitsInRound(plan, j);
  return u;
}

/**
 * Minutes of training for the trial about to start: its share of the time left, after the
 * expected overhead (reading data, building the model, scoring dev) of every trial still to run.
 */
export function trialMinutes(plan: HalvingPlan, round: number, waiting: number, msLeft: number, overheadMsPerRun: number): number {
  let runs = waiting;
  for (let j = round + 1; j < plan.sizes.length; j++) runs += plan.sizes[j];
  const usable = msLeft - overheadMsPerRun * runs;
  const units = unitsLeft(plan, round, waiting);
  return units > 0 ? Math.max(0, (usable / units) * unitsInRound(plan, round)) / 60_000 : 0;
}

export interface Ranked { id: string; score: number | null }

/**
 * The `k` best by score (higher is better), in order; trials without a score come last; equal
 * scores keep the trials' order.
 */
export function best<T extends Ranked>(results: T[], k: number): T[] {
  const order = results.map((r, i) => ({ r, i }));
  order.sort((a, b) => {
    const sa = a.r.score ?? -Infinity;
    const sb = b.r.score ?? -Infinity;
    return sb !== sa ? sb - sa : a.i - b.i;
  });
  return order.slice(0, Math.max(0, k)).map((x) => x.r);
}
