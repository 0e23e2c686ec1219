/** The table of trials a tune prints and saves: settings, round, steps, dev metric, time. */
import type { TrialRecord } from './tuneEvents';

const STATUS: Record<TrialRecord['status'], string> = {
  waiting: 'waiting', running: 'running', trained: 'trained', finished: 'converged', dropped: 'dropped', failed: 'failed', stopped: 'stopped',
};

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function metric(v: number | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '-';
}

/** Rows (header first) of the table: one per trial, best first by the training loop's score, then the rest in order. */
export function trialRows(trials: TrialRecord[], varied: string[], devMetric: 'bleu' | 'per' | null, bestId: string | null): string[][] {
  const [m1, m2] = devMetric === 'bleu' ? ['bleu', 'chrf'] as const : ['per', 'wer'] as const;
  const header = ['trial', 'round', 'status', ...varied.map((v) => v.replace(/^(model|train)\./, '')), 'steps', m1.toUpperCase(), m2 === 'chrf' ? 'chrF' : 'WER', 'time'];
  const ranked = [...trials].sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || a.id.localeCompare(b.id));
  const rows = ranked.map((t) => [
    `${t.id}${t.id === bestId ? ' *' : ''}`, String(t.round), STATUS[t.status] + (t.group && !Object.keys(t.values).length ? ` (${t.group})` : ''),
    ...varied.map((v) => (v in t.values ? String(t.values[v]) : t.group && !Object.keys(t.values).length ? 'preset' : '-')),
    String(t.steps), metric(t.bestDev?.[m1]), metric(t.bestDev?.[m2]), minutes(t.elapsedMs),
  ]);
  return [header, ...rows];
}

/** Aligned columns, as printed (the best trial marked `*`). */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n';
}

/** Tab-separated, for spreadsheets: the best trial in its own column instead of the `*`. */
export function tsvTable(rows: string[][]): string {
  const [header, ...body] = rows;
  const lines = [[...header, 'best'], ...body.map(([id, ...rest]) => [id.replace(/ \*$/, ''), ...rest, id.endsWith(' *') ? 'yes' : ''])];
  return lines.map((r) => r.join('\t')).join('\n') + '\n';
}
