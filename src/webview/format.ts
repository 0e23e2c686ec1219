/** Number, time and size formatting for the panel. Every function accepts NaN/null and shows a dash. */

export const DASH = '—';

function ok(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** 0:42, 12:05, 1:02:03 */
export function clock(ms: number | null | undefined): string {
  if (!ok(ms) || ms < 0) return DASH;
  const s = Math.round(ms / 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

/** "45 s", "12 min", "1 h 20 min": for ETAs, where seconds precision is noise. */
export function roughDuration(ms: number | null | undefined): string {
  if (!ok(ms) || ms < 0) return DASH;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  const rest = min % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

export function int(x: number | null | undefined): string {
  return ok(x) ? Math.round(x).toLocaleString('en-US') : DASH;
}

/** 3 significant digits, thousands grouped: 1,234 / 12.3 / 0.0123 */
export function num(x: number | null | undefined, digits = 3): string {
  if (!ok(x)) return DASH;
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(digits)));
}

/** 1.2 K, 3.4 M: parameter counts. */
export function compact(x: number | null | undefined): string {
  if (!ok(x)) return DASH;
  const a = Math.abs(x);
  if (a >= 1e9) return `${num(x / 1e9)} G`;
  if (a >= 1e6) return `${num(x / 1e6)} M`;
  if (a >= 1e3) return `${num(x / 1e3)} K`;
  return int(x);
}

export function bytes(x: number | null | undefined): string {
  if (!ok(x) || x < 0) return DASH;
  if (x < 1024) return `${x} B`;
  if (x < 1024 ** 2) return `${num(x / 1024)} KB`;
  if (x < 1024 ** 3) return `${num(x / 1024 ** 2)} MB`;
  return `${num(x / 1024 ** 3)} GB`;
}

/** Learning rates: 0.002 -> "2e-3", 0.0015 -> "1.5e-3". */
export function lr(x: number | null | undefined): string {
  if (!ok(x)) return DASH;
  if (x === 0) return '0';
  const [m, e] = x.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** 0.1234 -> "12.3 %" (for rates given as fractions). */
export function percent(fraction: number | null | undefined): string {
  return ok(fraction) ? `${num(fraction * 100)} %` : DASH;
}

/** A short local date and time; the ISO string when it does not parse. */
export function date(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || DASH;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (sameDay) return `today ${time}`;
  return `${d.toLocaleDateString('en-CA')} ${time}`;
}

export function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
