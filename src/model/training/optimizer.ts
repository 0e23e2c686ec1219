/**
 * Adam with gradient clipping by global norm, written on tf ops so that its whole state (step count,
 * first and second moments by weight name) can be checkpointed and restored exactly.
 */
import { tf } from '../acceleration/backend';
import type { Params } from '../network/params';
import { nativeAdamActive, nativeAdamUpdate, nativeSumOfSquares } from '../acceleration/nativeAdam';

export interface AdamState { step: number; m: Map<string, tf.Variable>; v: Map<string, tf.Variable> }

export class Adam {
  readonly state: AdamState = { step: 0, m: new Map(), v: new Map() };

  constructor(public lr: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly epsilon = 1e-8) {}

  /** Applies gradients (by weight name) after clipping their global norm to clipNorm (0 = off). Returns the norm before clipping. */
  apply(params: Params, grads: Record<string, tf.Tensor>, clipNorm: number): number {
    this.state.step++;
    const t = this.state.step;
    const lrT = (this.lr * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    const names = Object.keys(grads);
    const native = nativeAdamActive();
    const norm = native ? Math.sqrt(nativeSumOfSquares(names.map((n) => grads[n]))) : tf.tidy(() => {
      const sq = names.map((n) => tf.sum(tf.square(grads[n])));
      return Math.sqrt((tf.addN(sq) as tf.Scalar).dataSync()[0]);
    });
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    tf.tidy(() => {
      for (const name of names) {
        const p = params.get(name)!;
        let m = this.state.m.get(name);
        let v = this.state.v.get(name);
        if (!m) { m = tf.variable(tf.zerosLike(p), false); this.state.m.set(name, m); }
        if (!v) { v = tf.variable(tf.zerosLike(p), false); this.state.v.set(name, v); }
        if (native) {
          // One kernel per weight (nativeAdam.ts), the same arithmetic as below.
          const [p2, m2, v2] = nativeAdamUpdate(p, grads[name], m, v, { lrT, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, scale });
          m.assign(m2); v.assign(v2); p.assign(p2);
          continue;
        }
        const g = scale === 1 ? grads[name] : tf.mul(grads[name], scale);
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        p.assign(tf.sub(p, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), this.epsilon))));
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
