/**
 * What training does about a non-finite loss or gradient norm (NaN, Infinity): the step updates
 * nothing; MAX_BAD_STEPS such steps in a row roll the weights and optimizer state back to the last
 * checkpoint with the learning rate times ROLLBACK_LR_FACTOR; if that happens again before a good
 * step and a new checkpoint (or there is no checkpoint to go back to), the run stops with
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

  /** Whether a step updated the weights since the last rollback: only then is a later checkpoint a fresh good state. */
  private goodSinceRollback = true;

  afterStep(applied: boolean): StepVerdict {
    if (applied) { this.badInRow = 0; this.goodSinceRollback = true; return 'ok'; }
    this.skippedSteps++;
    this.badInRow++;
    if (this.badInRow < MAX_BAD_STEPS) return 'skipped';
    this.badInRow = 0;
    if (this.rollbacksSinceCheckpoint >= MAX_ROLLBACKS) return 'stop';
    this.rollbacksSinceCheckpoint++;
    this.rollbacks++;
    this.goodSinceRollback = false;
    return 'roll-back';
  }

  /**
   * A checkpoint was written. After training went on well from a rollback, it is a new good state to
   * go back to; a checkpoint of the rolled-back weights without a good step since is not.
   */
  onCheckpoint(): void { if (this.goodSinceRollback) this.rollbacksSinceCheckpoint = 0; }
}
