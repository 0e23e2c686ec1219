/**
 * The picture of one tune, built by applying its TuneEvents in order (a snapshot replays the same
 * way): its trials by id with the latest record of each, the rounds, the end.
 */
import type { TrialRecord, TuneEndEvent, TuneEvent, TuneStartEvent } from '../model/training/tuneEvents';

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class TuneRun {
  start: TuneStartEvent | null = null;
  readonly trials = new Map<string, TrialRecord>();
  devMetric: 'bleu' | 'per' | null = null;
  /** Trials that went on, per finished round. */
  readonly promoted: string[][] = [];
  end: TuneEndEvent | null = null;
  remainingMs = Number.NaN;
  /** When the latest event came (performance.now()), to count the time left down between events. */
  lastEventAt = 0;

  constructor(readonly name: string) {}

  apply(ev: TuneEvent): void {
    switch (ev.kind) {
      case 'tune-start':
        this.start = ev;
        this.end = null;
        this.trials.clear();
        this.promoted.length = 0;
        for (const t of ev.trials) this.trials.set(t.id, t);
        this.remainingMs = (ev.minutes * 60_000) - ev.elapsedMs;
        break;
      case 'trial':
        this.trials.set(ev.trial.id, ev.trial);
        this.devMetric = ev.devMetric ?? this.devMetric;
        this.remainingMs = ev.remainingMs;
        break;
      case 'round':
        this.promoted[ev.round] = ev.promoted;
        break;
      case 'tune-end':
        this.end = ev;
        for (const t of ev.trials) this.trials.set(t.id, t);
        this.remainingMs = 0;
        break;
    }
    this.lastEventAt = now();
  }

  /** Trials in their order (t00, t01, …). */
  list(): TrialRecord[] {
    return [...this.trials.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The best trial so far by the training loop's score. */
  get best(): TrialRecord | null {
    if (this.end) return this.end.best;
    let best: TrialRecord | null = null;
    for (const t of this.trials.values()) if (t.score !== null && (best === null || t.score > (best.score ?? -Infinity))) best = t;
    return best;
  }

  get running(): TrialRecord | null {
    for (const t of this.trials.values()) if (t.status === 'running') return t;
    return null;
  }

  /** The round in progress: the highest round a trial is in. */
  get round(): number {
    let r = 0;
    for (const t of this.trials.values()) if (t.status !== 'dropped' && t.status !== 'failed') r = Math.max(r, t.round);
    return r;
  }

  remaining(live: boolean): number {
    return Math.max(0, this.remainingMs - (live && this.lastEventAt ? now() - this.lastEventAt : 0));
  }
}
