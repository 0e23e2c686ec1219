/**
 * The learning-rate schedule: the factor on the base rate at each optimizer step. `constant`: 1
 * (the base rate itself is halved on dev plateaus by the training run); `inverse-sqrt`, as
 * Transformers are trained: a linear warm-up from 0 to the base rate over warmupSteps, then
 * base * sqrt(warmupSteps / step). A function of the optimizer step alone, so a resumed run, which
 * restores the step, follows the same curve.
 */
import type { LrScheduleKind } from '../config';

export interface LrSchedule { kind: LrScheduleKind; warmupSteps: number }

export const CONSTANT_SCHEDULE: LrSchedule = { kind: 'constant', warmupSteps: 0 };

/** The factor for optimizer step `step` (1 = the first update). */
export function lrFactor(s: LrSchedule, step: number): number {
  if (s.kind === 'constant') return 1;
  const t = Math.max(1, step);
  return t < s.warmupSteps ? t / s.warmupSteps : Math.sqrt(s.warmupSteps / t);
}

/**
 * The factor a time budget puts on the rate: 1 until the last `share` of the budget, then falling
 * linearly to 0 at its end. `elapsedFraction` is the time spent over the budget (a resumed run
 * counts the time before it too, so it continues the same curve).
 */
export function budgetDecayFactor(share: number, elapsedFraction: number): number {
  if (!(share > 0) || !Number.isFinite(elapsedFraction)) return 1;
  return Math.min(1, Math.max(0, (1 - elapsedFraction) / share));
}
