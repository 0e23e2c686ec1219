/**
 * What training does about a non-finite loss or gradient norm (NaN, Infinity): the step updates
 * nothing; MAX_BAD_STEPS such steps in a row roll the weights and optimizer state back to the last
 * checkpoint with the learning rate times ROLLBACK_LR_FACTOR; if the run cannot reach its next
 * checkpoint without that happening again (or there is no checkpoint to go back to), it stops with
 * TrainingDivergedError. Saving refuses non-finite weights as a last line (store.ts), so neither
 * the best model nor the checkpoint ever holds them.
 */

export const MAX_BAD_STEPS = 5;
export const ROLLBACK_LR_FACTOR = 0.5;
/** Rollbacks allowed between two checkpoints. */
export const MAX_ROLLBACKS = 1;

export class TrainingDivergedError extends Error {
  constructor(message: string) { super(message); this.name = 'TrainingDivergedError'; }
}

export type StepVerdict = 'ok' | 'skipped' | 'roll-back' | 'stop';

/** Counts bad steps and rollbacks and says what each step's outcome calls for. */
export class DivergenceGuard {
  private badInRow = 0;
  private rollbacksSinceCheckpoint = 0;
  /** Steps skipped in this run, for reports. */
  skippedSteps = 0;
  rollbacks = 0;

  afterStep(applied: boolean): StepVerdict {
    if (applied) { this.badInRow = 0; return 'ok'; }
    this.skippedSteps++;
    this.badInRow++;
    if (this.badInRow < MAX_BAD_STEPS) return 'skipped';
    this.badInRow = 0;
    if (this.rollbacksSinceCheckpoint >= MAX_ROLLBACKS) return 'stop';
    this.rollbacksSinceCheckpoint++;
    this.rollbacks++;
    return 'roll-back';
  }

  /** A checkpoint of good weights was written: a later divergence may roll back to it. */
  onCheckpoint(): void { this.rollbacksSinceCheckpoint = 0; }
}
