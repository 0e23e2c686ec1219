/**
 * The picture of one training run, built by applying its TrainEvents in order: what the "Now"
 * section, the curves and the samples draw. Replaying a snapshot and then live events gives the
 * same picture; events already seen (by step or epoch number) are ignored.
 */
import type { TrainEndEvent, TrainEpochEvent, TrainEvent, TrainStartEvent, TrainStepEvent } from '../model/training/events';
import { SmoothedSeries } from './series';

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Step events kept for saving the picture in the webview state (start, epochs and end are all kept). */
export const SAVED_STEP_CAP = 300;

export class Run {
  start: TrainStartEvent | null = null;
  lastStep: TrainStepEvent | null = null;
  readonly epochs: TrainEpochEvent[] = [];
  end: TrainEndEvent | null = null;
  stepEvents = 0;
  /** When the latest step or epoch event arrived (performance.now()), to tick elapsed time and ETA between events. */
  lastEventAt = 0;
  loss: SmoothedSeries;
  accuracy: SmoothedSeries;
  /** Thinned step events, for `setState`. */
  private savedSteps: TrainStepEvent[] = [];
  private savedStride = 1;

  constructor(readonly modelName: string, start?: TrainStartEvent) {
    this.loss = new SmoothedSeries(1);
    this.accuracy = new SmoothedSeries(1);
    if (start) this.apply(start);
  }

  /** Applies one event; returns false when it was a duplicate or out of order and was ignored. */
  apply(ev: TrainEvent): boolean {
    switch (ev.kind) {
      case 'start': {
        this.start = ev;
        this.lastStep = null;
        this.epochs.length = 0;
        this.end = null;
        this.stepEvents = 0;
        this.savedSteps = [];
        this.savedStride = 1;
        const halfLife = Math.max(1, Math.round(ev.stepsPerEpoch / 10));
        this.loss = new SmoothedSeries(halfLife);
        this.accuracy = new SmoothedSeries(halfLife);
        return true;
      }
      case 'step': {
        if (this.lastStep && ev.step <= this.lastStep.step) return false;
        this.lastStep = ev;
        this.lastEventAt = now();
        const x = this.x(ev.step, ev.stepsPerEpoch);
        this.loss.push(x, ev.step, ev.loss);
        this.accuracy.push(x, ev.step, ev.accuracy);
        this.keepForSaving(ev);
        this.stepEvents++;
        return true;
      }
      case 'epoch': {
        const last = this.epochs[this.epochs.length - 1];
        if (last && ev.epoch <= last.epoch) return false;
        this.epochs.push(ev);
        this.lastEventAt = now();
        return true;
      }
      case 'end':
        this.end = ev;
        return true;
    }
  }

  get running(): boolean { return this.start !== null && this.end === null; }

  get stepsPerEpoch(): number {
    return this.start?.stepsPerEpoch ?? this.lastStep?.stepsPerEpoch ?? 1;
  }

  /** Total epochs planned. */
  get totalEpochs(): number {
    return this.start?.settings.train.epochs ?? this.epochs[this.epochs.length - 1]?.epochs ?? 0;
  }

  /** Position on the curves' x axis, in epochs: global step / steps per epoch. */
  x(step: number, stepsPerEpoch = this.stepsPerEpoch): number {
    return step / Math.max(1, stepsPerEpoch);
  }

  epochX(ev: TrainEpochEvent): number {
    return Number.isFinite(ev.step) && ev.step > 0 ? this.x(ev.step) : ev.epoch;
  }

  /** Elapsed training time now: the latest report plus the time since it came, while the run is live. */
  elapsedMs(live: boolean): number {
    if (this.end) return this.end.elapsedMs;
    const reported = Math.max(this.lastStep?.elapsedMs ?? 0, this.lastEpoch?.elapsedMs ?? 0);
    return reported + (live && this.lastEventAt ? now() - this.lastEventAt : 0);
  }

  /** The latest ETA counted down since it came, while the run is live. */
  etaMs(live: boolean): number {
    const eta = this.lastStep?.etaMs;
    if (typeof eta !== 'number' || !Number.isFinite(eta)) return Number.NaN;
    const since = this.lastStep && live ? now() - this.lastEventAt : 0;
    return Math.max(0, eta - since);
  }

  get lastEpoch(): TrainEpochEvent | null { return this.epochs[this.epochs.length - 1] ?? null; }

  get bestEpoch(): TrainEpochEvent | null {
    for (let i = this.epochs.length - 1; i >= 0; i--) if (this.epochs[i].isBest) return this.epochs[i];
    return null;
  }

  /** The events to save and replay: start, thinned steps, every epoch, end. */
  events(): TrainEvent[] {
    const out: TrainEvent[] = [];
    if (this.start) out.push(this.start);
    const steps = this.savedSteps.slice();
    if (this.lastStep && steps[steps.length - 1] !== this.lastStep) steps.push(this.lastStep);
    let e = 0;
    for (const s of steps) {
      while (e < this.epochs.length && this.epochs[e].step < s.step) out.push(this.epochs[e++]);
      out.push(s);
    }
    while (e < this.epochs.length) out.push(this.epochs[e++]);
    if (this.end) out.push(this.end);
    return out;
  }

  private keepForSaving(ev: TrainStepEvent): void {
    if (this.stepEvents % this.savedStride === 0) {
      this.savedSteps.push(ev);
      if (this.savedSteps.length > SAVED_STEP_CAP) {
        this.savedSteps = this.savedSteps.filter((_, i) => i % 2 === 0);
        this.savedStride *= 2;
      }
    }
  }
}
