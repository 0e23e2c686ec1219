/**
 * The comparison of two or more runs, as data (no DOM, tested in Node): curves against steps or
 * minutes, the settings and results side by side with the rows that differ, and the dev samples of
 * every run next to each other, one row per source.
 */
import type { RunPoint, RunRecord } from '../model/storage/runRecord';
import type { ChartTheme } from './theme';
import type { XY } from './chart';
import * as f from './format';
import { metricsFor, metricValue, type DevMetricKind } from './metrics';

export type CompareAxis = 'step' | 'minutes';

/** One colour per run, in order; MAX_COMPARE in the protocol is this many. */
export const RUN_COLORS: (keyof ChartTheme['colors'])[] = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];

export function xOf(p: RunPoint, axis: CompareAxis): number {
  return axis === 'step' ? p.step : p.elapsedMs / 60_000;
}

/** A run's curve of `value` against the axis; epochs without a finite value are left out. */
export function curve(run: RunRecord, axis: CompareAxis, value: (p: RunPoint) => number | null | undefined): XY {
  const x: number[] = [];
  const y: number[] = [];
  for (const p of run.history) {
    const v = value(p);
    const at = xOf(p, axis);
    if (typeof v === 'number' && Number.isFinite(v) && Number.isFinite(at)) { x.push(at); y.push(v); }
  }
  return { x, y };
}

/** The metric kinds present, each with the runs ranked by it (a g2p run and a translation run are not drawn on one scale). */
export function metricGroups(runs: RunRecord[]): { kind: DevMetricKind; runs: number[] }[] {
  const kinds: DevMetricKind[] = [];
  for (const r of runs) if (!kinds.includes(r.devMetric)) kinds.push(r.devMetric);
  return kinds.map((kind) => ({ kind, runs: runs.map((r, i) => (r.devMetric === kind ? i : -1)).filter((i) => i >= 0) }));
}

export interface CompareRow {
  key: string;
  label: string;
  values: string[];
  differs: boolean;
  /** Index of the run with the best value (results rows only), or null. */
  best: number | null;
}

function row(key: string, label: string, values: string[], best: number | null = null): CompareRow {
  return { key, label, values, differs: values.some((v) => v !== values[0]), best };
}

function bestIndex(values: number[], lowerIsBetter: boolean): number | null {
  let best: number | null = null;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (best === null || (lowerIsBetter ? v < values[best] : v > values[best])) best = i;
  });
  // A tie for the best is no winner.
  return best !== null && values.filter((v) => v === values[best!]).length === 1 ? best : null;
}

/** What each run reached: best dev metrics, epochs, steps, time, size. */
export function resultRows(runs: RunRecord[]): CompareRow[] {
  const out: CompareRow[] = [];
  for (const g of metricGroups(runs)) {
    const m = metricsFor(g.kind);
    for (const info of [m.main, m.second]) {
      const values = runs.map((r) => (r.devMetric === g.kind ? metricValue(r.best?.dev, info.key) : Number.NaN));
      out.push(row(`best.${info.key}`, `Best ${info.label}${m.lowerIsBetter ? ' (lower is better)' : ''}`, values.map((v) => f.num(v)), bestIndex(values, m.lowerIsBetter)));
    }
  }
  const loss = runs.map((r) => r.best?.dev?.loss ?? Number.NaN);
  out.push(row('best.loss', 'Dev loss at best', loss.map((v) => f.num(v)), bestIndex(loss, true)));
  out.push(row('epochs', 'Epochs', runs.map((r) => f.int(r.history.length))));
  out.push(row('steps', 'Steps', runs.map((r) => f.int(r.steps))));
  out.push(row('time', 'Training time', runs.map((r) => f.clock(r.elapsedMs))));
  out.push(row('parameters', 'Parameters', runs.map((r) => f.compact(r.parameters))));
  out.push(row('trainPairs', 'Training pairs', runs.map((r) => f.int(r.trainPairs))));
  return out;
}

function show(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : f.DASH;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v === undefined || v === null ? f.DASH : String(v);
}

/** Every setting of every run, `section.key`, in the order of the first run's settings (then any others). */
export function settingRows(runs: RunRecord[]): CompareRow[] {
  const out: CompareRow[] = [];
  for (const section of ['model', 'train', 'source', 'target'] as const) {
    const keys: string[] = [];
    for (const r of runs) for (const k of Object.keys(r.settings[section] ?? {})) if (!keys.includes(k)) keys.push(k);
    for (const k of keys) {
      out.push(row(`${section}.${k}`, `${section}.${k}`, runs.map((r) => show((r.settings[section] as unknown as Record<string, unknown> | undefined)?.[k]))));
    }
  }
  return out;
}

export interface SampleRow {
  source: string;
  reference: string;
  /** Each run's prediction for this source, or null when that run's samples do not include it. */
  predictions: (string | null)[];
}

/** The dev samples of all runs, one row per source (runs trained on the same dev set share their sources). */
export function sampleRows(runs: RunRecord[]): SampleRow[] {
  const rows: SampleRow[] = [];
  const byKey = new Map<string, SampleRow>();
  runs.forEach((r, i) => {
    for (const s of r.samples) {
      const key = `${s.source}\u0000${s.reference}`;
      let entry = byKey.get(key);
      if (!entry) {
        entry = { source: s.source, reference: s.reference, predictions: runs.map(() => null) };
        byKey.set(key, entry);
        rows.push(entry);
      }
      entry.predictions[i] ??= s.prediction;
    }
  });
  return rows;
}
