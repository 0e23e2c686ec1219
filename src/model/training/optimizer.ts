/**
 * Adam with gradient clipping by global norm. Its whole state (step count, first and second moments
 * by weight name) is ours, so it can be checkpointed and restored exactly; the arithmetic of one
 * update is the seam's adamUpdate and sumOfSquares (kernels()).
 */
import { tf } from '../tf';
import type { Params } from '../network/params';
import { kernels } from '../acceleration/kernels';
import type { TrainSettings } from '../config';
import { CONSTANT_SCHEDULE, lrFactor, type LrSchedule } from './lrSchedule';

export interface AdamState { step: number; m: Map<string, tf.Variable>; v: Map<string, tf.Variable> }

/** Adam's constants and the learning-rate schedule: saved with every checkpoint, so a resumed run updates exactly as before. */
export interface AdamSettings { beta1: number; beta2: number; epsilon: number; schedule: LrSchedule }

/** What checkpoints without AdamSettings (format 1) were trained with. */
export const FORMAT1_ADAM: AdamSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, schedule: CONSTANT_SCHEDULE };

export function adamSettings(t: TrainSettings): AdamSettings {
  return { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: 1e-8, schedule: { kind: t.lrSchedule, warmupSteps: t.warmupSteps } };
}

export class Adam {
  readonly state: AdamState = { step: 0, m: new Map(), v: new Map() };
  settings: AdamSettings;

  /** lr: the base rate (the schedule's peak), halved on plateaus by the training run. */
  constructor(public lr: number, settings: Partial<AdamSettings> = {}) {
    this.settings = { ...FORMAT1_ADAM, ...settings };
  }

  get beta1(): number { return this.settings.beta1; }
  get beta2(): number { return this.settings.beta2; }
  get epsilon(): number { return this.settings.epsilon; }

  /** The rate of the latest update (before the first: of the first). */
  /** The time budget's factor on the rate (lrSchedule.ts's budgetDecayFactor), set by the training run before each step. */
  budgetFactor = 1;

  get currentLr(): number { return this.lr * this.budgetFactor * lrFactor(this.settings.schedule, Math.max(1, this.state.step)); }

  /**
   * Applies gradients (by weight name) after clipping their global norm to clipNorm (0 = off). Returns
   * the norm before clipping. A non-finite norm changes nothing, neither weights nor moments nor step
   * (the training loop counts such steps: divergence.ts).
   */
  apply(params: Params, grads: Record<string, tf.Tensor>, clipNorm: number): number {
    const names = Object.keys(grads);
    const k = kernels();
    const norm = Math.sqrt(k.sumOfSquares(names.map((n) => grads[n])));
    if (!Number.isFinite(norm)) return norm;
    this.state.step++;
    const t = this.state.step;
    const lr = this.lr * this.budgetFactor * lrFactor(this.settings.schedule, t);
    const lrT = (lr * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    tf.tidy(() => {
      for (const name of names) {
        const p = params.get(name)!;
        let m = this.state.m.get(name);
        let v = this.state.v.get(name);
        if (!m) { m = tf.variable(tf.zerosLike(p), false); this.state.m.set(name, m); }
        if (!v) { v = tf.variable(tf.zerosLike(p), false); this.state.v.set(name, v); }
        const [p2, m2, v2] = k.adamUpdate(p, grads[name], m, v, { lrT, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, scale });
        m.assign(m2); v.assign(v2); p.assign(p2);
      }
    });
    return norm;
  }

  /** Named tensors for checkpointing: `m/<weight>` and `v/<weight>`, in weight order. */
  namedState(params: Params): { name: string; tensor: tf.Tensor }[] {
    const out: { name: string; tensor: tf.Tensor }[] = [];
    for (const name of params.keys()) {
      const m = this.state.m.get(name);
      const v = this.state.v.get(name);
      if (m && v) out.push({ name: `m/${name}`, tensor: m }, { name: `v/${name}`, tensor: v });
    }
    return out;
  }

  restore(step: number, tensors: Map<string, tf.Tensor>): void {
    this.dispose();
    this.state.step = step;
    for (const [key, t] of tensors) {
      const [kind, ...rest] = key.split('/');
      const name = rest.join('/');
      (kind === 'm' ? this.state.m : this.state.v).set(name, tf.variable(t, false));
    }
  }

  dispose(): void {
    for (const x of this.state.m.values()) x.dispose();
    for (const x of this.state.v.values()) x.dispose();
    this.state.m.clear();
    this.state.v.clear();
  }
}
