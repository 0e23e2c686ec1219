/**
 * Which dev metrics a run shows, and how. Token tasks (phonemes, characters) rank by PER and WER,
 * lower is better; text tasks by BLEU and chrF, higher is better. The engine reports all four as
 * percentages (0-100), as it does token accuracy.
 */
import type { DevMetrics } from '../model/training/events';
import { DASH, num } from './format';

export type DevMetricKind = 'bleu' | 'per';

export interface MetricInfo {
  key: 'bleu' | 'chrf' | 'per' | 'wer';
  label: string;
}

export function metricsFor(kind: DevMetricKind): { main: MetricInfo; second: MetricInfo; lowerIsBetter: boolean } {
  return kind === 'per'
    ? { main: { key: 'per', label: 'PER' }, second: { key: 'wer', label: 'WER' }, lowerIsBetter: true }
    : { main: { key: 'bleu', label: 'BLEU' }, second: { key: 'chrf', label: 'chrF' }, lowerIsBetter: false };
}

/** The metric (a percentage), NaN when missing. */
export function metricValue(dev: DevMetrics | null | undefined, key: MetricInfo['key']): number {
  const v = dev?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
}

export function formatMetric(v: number): string {
  return Number.isFinite(v) ? `${num(v)}` : DASH;
}

/** "PER 12.3 %" for a model list or a summary line. */
export function metricText(kind: DevMetricKind, dev: DevMetrics | null | undefined): string {
  const { main } = metricsFor(kind);
  const v = metricValue(dev, main.key);
  return Number.isFinite(v) ? `${main.label} ${num(v)}${kind === 'per' ? ' %' : ''}` : `${main.label} ${DASH}`;
}
