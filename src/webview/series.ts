/**
 * A per-step curve that stays small however long the run: values are smoothed with an exponential
 * moving average over steps (debiased, as TensorBoard does), and the kept points are thinned by
 * doubling the stride whenever they exceed the cap. The latest point is always drawn.
 */

export const STEP_POINT_CAP = 600;

export class SmoothedSeries {
  readonly xs: number[] = [];
  readonly ys: number[] = [];
  private stride = 1;
  private seen = 0;
  private mean = 0;
  private weight = 0;
  private lastStep: number | null = null;
  private latest: { x: number; y: number } | null = null;

  /** `halfLifeSteps`: after this many steps an old value has half its weight. */
  constructor(private readonly halfLifeSteps: number, private readonly cap = STEP_POINT_CAP) {}

  push(x: number, step: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(x)) return;
    const gap = this.lastStep === null ? 1 : Math.max(1, step - this.lastStep);
    const decay = Math.pow(0.5, gap / Math.max(1, this.halfLifeSteps));
    this.mean = this.mean * decay + value * (1 - decay);
    this.weight = this.weight * decay + (1 - decay);
    this.lastStep = step;
    const y = this.mean / this.weight;
    this.latest = { x, y };
    if (this.seen % this.stride === 0) {
      this.xs.push(x);
      this.ys.push(y);
      if (this.xs.length > this.cap) this.halve();
    }
    this.seen++;
  }

  /** Points to draw: the kept ones plus the latest when it was not kept. */
  points(): { x: number[]; y: number[] } {
    const x = this.xs.slice();
    const y = this.ys.slice();
    if (this.latest && x[x.length - 1] !== this.latest.x) { x.push(this.latest.x); y.push(this.latest.y); }
    return { x, y };
  }

  get count(): number { return this.seen; }

  private halve(): void {
    let k = 0;
    for (let i = 0; i < this.xs.length; i += 2) { this.xs[k] = this.xs[i]; this.ys[k] = this.ys[i]; k++; }
    this.xs.length = k;
    this.ys.length = k;
    this.stride *= 2;
  }
}
