/**
 * One line chart on uPlot. Series are given as separate (x, y) lists (per-step and per-epoch
 * points differ in x) and aligned here on the union of x values, with gaps spanned. The number of
 * points per series is written to `data-points` on the chart's element (for tests and debugging).
 */
import uPlot from 'uplot';
import { h, replaceChildren } from './dom';
import { chartTheme, type ChartTheme } from './theme';

export interface SeriesSpec {
  id: string;
  label: string;
  color: keyof ChartTheme['colors'];
  /** Per-epoch series are drawn with points; per-step ones as a plain line. */
  points: boolean;
  width?: number;
  dash?: number[];
  /** Only markers, no line (e.g. the best epoch), drawn hollow and larger. */
  marker?: boolean;
}

export interface XY { x: number[]; y: number[] }

/** What the x axis counts, and how its values read. */
export interface XAxis { label: string; format(v: number): string }

export const EPOCH_AXIS: XAxis = { label: 'epoch', format: (v) => formatEpoch(v) };

export class LineChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private plot: uPlot | null = null;
  private data: XY[] = [];
  private width = 0;
  /** While the user has zoomed in (drag), new data keeps their view; a double-click zooms out again. */
  private zoomed = false;

  constructor(readonly id: string, title: string, private readonly specs: SeriesSpec[], private readonly format: (v: number) => string,
    private readonly emptyText: string, private readonly height = 140,
    /** Tick spacings allowed on the epoch axis (per-epoch-only charts use whole epochs). */
    private readonly xIncrs = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    private readonly xAxis: XAxis = EPOCH_AXIS) {
    this.plotEl = h('div', { class: 'chart-plot' });
    this.el = h('figure', { class: 'chart', 'data-chart': id, 'data-points': '{}', 'data-zoomed': 'false' },
      h('figcaption', { class: 'chart-title', title: 'Drag across the chart to zoom in; double-click to zoom out' }, title), this.plotEl);
    replaceChildren(this.plotEl, h('div', { class: 'chart-empty' }, emptyText));
  }

  setData(series: XY[]): void {
    this.data = series;
    const counts: Record<string, number> = {};
    this.specs.forEach((s, i) => { counts[s.id] = series[i]?.x.length ?? 0; });
    this.el.dataset.points = JSON.stringify(counts);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total === 0) {
      this.destroy();
      replaceChildren(this.plotEl, h('div', { class: 'chart-empty' }, this.emptyText));
      return;
    }
    const aligned = align(series);
    if (!this.plot) this.create(aligned);
    else this.plot.setData(aligned, !this.zoomed);
  }

  resize(width: number): void {
    const w = Math.max(120, Math.floor(width));
    if (w === this.width) return;
    this.width = w;
    this.plot?.setSize({ width: w, height: this.height });
  }

  /** Rebuilds with the current theme's colours. */
  retheme(): void {
    if (!this.plot) return;
    this.destroy();
    this.setData(this.data);
  }

  private destroy(): void {
    this.plot?.destroy();
    this.plot = null;
    this.setZoomed(false);
  }

  private setZoomed(z: boolean): void {
    this.zoomed = z;
    this.el.dataset.zoomed = String(z);
  }

  private create(aligned: uPlot.AlignedData): void {
    const t = chartTheme();
    const fmt = this.format;
    const axis = (values: (v: number) => string, size: number): uPlot.Axis => ({
      stroke: t.foreground, font: t.font, size, gap: 3,
      grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1, size: 3 },
      values: (_u, splits) => splits.map((v) => (v === null ? '' : values(v))),
    });
    // Without a cursor on the chart the legend shows each series' latest value.
    const legendValue = (u: uPlot, v: number | null, sidx: number, idx: number | null): string => {
      if (idx === null || v === null) {
        const col = u.data[sidx];
        for (let i = col.length - 1; i >= 0; i--) { const y = col[i]; if (y !== null && y !== undefined) return fmt(y); }
        return '—';
      }
      return fmt(v);
    };
    const opts: uPlot.Options = {
      width: this.width || Math.max(120, this.plotEl.clientWidth || 240),
      height: this.height,
      padding: [6, 8, 0, 0],
      // A little room on both sides so end points and the best-epoch ring are not cut off.
      scales: { x: { time: false, range: (_u, min, max) => { const pad = Math.max((max - min) * 0.03, 0.05); return [min - pad, max + pad]; } } },
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      hooks: {
        setSelect: [(u) => { if (u.select.width > 0) this.setZoomed(true); }],
        setScale: [(u, key) => { if (key === 'x') this.el.dataset.xRange = `${u.scales.x.min},${u.scales.x.max}`; }],
      },
      axes: [{ ...axis((v) => this.xAxis.format(v), 26), incrs: this.xIncrs, space: 36 }, { ...axis(fmt, 42), space: 24 }],
      series: [
        { label: this.xAxis.label, value: (_u, v) => (v === null ? '—' : this.xAxis.format(v)) },
        ...this.specs.map((s): uPlot.Series => s.marker ? {
          label: s.label,
          stroke: t.colors[s.color],
          width: 2,
          paths: () => null,
          points: { show: true, size: 11, width: 2, fill: 'transparent', stroke: t.colors[s.color] },
          value: legendValue,
        } : {
          label: s.label,
          stroke: t.colors[s.color],
          width: s.width ?? (s.points ? 1.5 : 1.25),
          dash: s.dash,
          spanGaps: true,
          points: s.points ? { show: true, size: 5, fill: t.colors[s.color], stroke: t.colors[s.color] } : { show: false },
          value: legendValue,
        }),
      ],
    };
    replaceChildren(this.plotEl);
    this.plot = new uPlot(opts, aligned, this.plotEl);
    this.plot.over.addEventListener('dblclick', () => this.setZoomed(false));
  }
}

function formatEpoch(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

/** Aligns series with different x values on their sorted union; missing values are null. */
export function align(series: XY[]): uPlot.AlignedData {
  const key = (x: number) => Math.round(x * 1e6) / 1e6;
  const xs = Array.from(new Set(series.flatMap((s) => s.x.map(key)))).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => { const y = s.y[i]; col[index.get(key(x))!] = Number.isFinite(y) ? y : null; });
    return col;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}
