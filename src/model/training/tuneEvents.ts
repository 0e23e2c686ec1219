/**
 * What a tune reports (plain JSON data, like the training events): it starts with its trials and
 * plan, then a `trial` event whenever a trial starts, finishes an epoch or ends, a `round` event
 * when the best go on, and `tune-end`. The CLI prints them, the worker forwards them, the panel
 * draws the table of trials as they arrive.
 */
import type { SettingValue } from './tuneSpace';
import type { DevMetrics, TrainEndReason } from './events';

/**
 * waiting: to train in `round`; running; trained: done with `round`; finished: converged (early
 * stopping or all epochs), trains no more; dropped: not among the best of a round; failed; stopped:
 * interrupted in `round` (continued from its checkpoint when the tune resumes).
 */
export type TrialStatus = 'waiting' | 'running' | 'trained' | 'finished' | 'dropped' | 'failed' | 'stopped';

export interface TrialRecord {
  /** `t00`, `t01`, …: also its folder's name under DIR/trials. */
  id: string;
  /** The space's group it was drawn from, or the preset's name for the preset itself. */
  group: string;
  /** What the draw set, `section.key` -> value (empty for the preset itself). */
  values: Record<string, SettingValue>;
  /** The round it is in (or last was in). */
  round: number;
  status: TrialStatus;
  steps: number;
  epochs: number;
  /** Training time so far, all rounds. */
  elapsedMs: number;
  /** Total training minutes it may reach in its current round. */
  targetMinutes: number | null;
  bestDev: DevMetrics | null;
  /** The training loop's score of bestDev (higher is better); null before the first dev score. */
  score: number | null;
  lastReason?: TrainEndReason;
  error?: string;
}

export interface TuneStartEvent {
  kind: 'tune-start';
  dir: string;
  minutes: number;
  /** Trials in each round. */
  rounds: number[];
  /** The settings the trials vary, as columns. */
  varied: string[];
  trials: TrialRecord[];
  resumed: boolean;
  /** Training time of earlier sessions of this tune. */
  elapsedMs: number;
}

export interface TuneTrialEvent {
  kind: 'trial';
  /**
   * start: the trial begins a round; epoch: it finished an epoch; end: its round is over (or it
   * failed or stopped); round: it goes on to the next round, or is dropped.
   */
  change: 'start' | 'epoch' | 'end' | 'round';
  trial: TrialRecord;
  devMetric: 'bleu' | 'per' | null;
  /** Wall time of the tune so far, and what is left of its minutes. */
  elapsedMs: number;
  remainingMs: number;
}

export interface TuneRoundEvent {
  kind: 'round';
  /** The round that ended. */
  round: number;
  /** The trials that go on to the next round. */
  promoted: string[];
}

export type TuneEndReason = 'completed' | 'time-budget' | 'stopped';

export interface TuneEndEvent {
  kind: 'tune-end';
  reason: TuneEndReason;
  dir: string;
  /** The best trial (its model is at DIR/best), or null when none has a dev score. */
  best: TrialRecord | null;
  bestDir: string | null;
  elapsedMs: number;
  /** The table of trials as printed and saved in DIR/trials.txt. */
  table: string;
  trials: TrialRecord[];
}

export type TuneEvent = TuneStartEvent | TuneTrialEvent | TuneRoundEvent | TuneEndEvent;
