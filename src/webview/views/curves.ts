/**
 * The curves: loss, token accuracy and the dev metric, against epochs. Per step (smoothed) for
 * training, per epoch for training and dev. Redrawn at most a few times a second, and only when
 * something changed.
 */
import { h } from '../dom';
import { LineChart, type XY } from '../chart';
import { num } from '../format';
import { metricsFor, metricValue } from '../metrics';
import type { PanelModel } from '../panelModel';
import type { Run } from '../run';

const EMPTY = 'Curves appear after the first steps.';
const NO_RUN = 'Loss, token accuracy and the dev metric are drawn here while a model trains.';

export class CurvesView {
  readonly el: HTMLElement;
  private readonly loss: LineChart;
  private readonly accuracy: LineChart;
  private metric: LineChart;
  private metricKind: 'bleu' | 'per' = 'per';
  private readonly resizer: ResizeObserver;
  private readonly charts: HTMLDivElement;
  private readonly noRun: HTMLParagraphElement;

  constructor() {
    this.loss = new LineChart('loss', 'Loss', [
      { id: 'trainStep', label: 'train', color: 'blue', points: false },
      { id: 'trainEpoch', label: 'train/epoch', color: 'blue', points: true, dash: [4, 3] },
      { id: 'devEpoch', label: 'dev', color: 'orange', points: true, width: 2 },
    ], (v) => num(v), EMPTY);
    this.accuracy = new LineChart('accuracy', 'Token accuracy (%)', [
      { id: 'trainStep', label: 'train', color: 'blue', points: false },
      { id: 'trainEpoch', label: 'train/epoch', color: 'blue', points: true, dash: [4, 3] },
      { id: 'devEpoch', label: 'dev', color: 'orange', points: true, width: 2 },
    ], (v) => num(v), EMPTY);
    this.metric = this.metricChart('per');
    this.charts = h('div', { class: 'curves' }, this.loss.el, this.accuracy.el, this.metric.el);
    this.noRun = h('p', { class: 'empty' }, NO_RUN);
    this.el = h('div', {}, this.noRun, this.charts);
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.charts);
  }

  private metricChart(kind: 'bleu' | 'per'): LineChart {
    const m = metricsFor(kind);
    return new LineChart('metric', `Dev ${m.main.label} / ${m.second.label} (%${m.lowerIsBetter ? ', lower is better' : ''})`, [
      { id: m.main.key, label: m.main.label, color: 'green', points: true, width: 2 },
      { id: m.second.key, label: m.second.label, color: 'purple', points: true },
      { id: 'best', label: 'best', color: 'orange', points: true, marker: true },
    ], (v) => num(v), 'The dev metric appears after the first epoch.', 140, [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]);
  }

  private resize(): void {
    const w = this.charts.clientWidth;
    if (w > 0) for (const c of [this.loss, this.accuracy, this.metric]) c.resize(w);
  }

  render(m: PanelModel): void {
    const r = m.run;
    const kind = r?.start?.devMetric ?? 'per';
    if (kind !== this.metricKind) {
      const next = this.metricChart(kind);
      this.metric.el.replaceWith(next.el);
      this.metric = next;
      this.metricKind = kind;
    }
    this.noRun.hidden = !!r?.start;
    this.charts.hidden = !r?.start;
    this.resize();
    if (!r) {
      for (const c of [this.loss, this.accuracy, this.metric]) c.setData([]);
      return;
    }
    const epochs = epochSeries(r);
    this.loss.setData([r.loss.points(), epochs((e) => e.trainLoss), epochs((e) => e.dev?.loss ?? Number.NaN)]);
    const acc = r.accuracy.points();
    this.accuracy.setData([acc, epochs((e) => e.trainAccuracy), epochs((e) => e.dev?.accuracy ?? Number.NaN)]);
    const mm = metricsFor(kind);
    const best = r.bestEpoch;
    const bestXY: XY = best && Number.isFinite(metricValue(best.dev, mm.main.key))
      ? { x: [r.epochX(best)], y: [metricValue(best.dev, mm.main.key)] } : { x: [], y: [] };
    this.metric.setData([epochs((e) => metricValue(e.dev, mm.main.key)), epochs((e) => metricValue(e.dev, mm.second.key)), bestXY]);
  }

  /** Re-creates the charts in the new theme's colours. */
  retheme(): void {
    for (const c of [this.loss, this.accuracy, this.metric]) c.retheme();
  }
}

function epochSeries(r: Run) {
  return (value: (e: Run['epochs'][number]) => number | null): XY => {
    const x: number[] = [];
    const y: number[] = [];
    for (const e of r.epochs) {
      const v = value(e);
      if (typeof v === 'number' && Number.isFinite(v)) { x.push(r.epochX(e)); y.push(v); }
    }
    return { x, y };
  };
}
