/**
 * Character-level (or token-level) difference between a reference and a prediction, for marking
 * mistakes in the samples. Longest common subsequence by dynamic programming; inputs are short
 * (dev samples), and very long ones fall back to marking the differing middle as a whole.
 */

export type DiffOp = 'same' | 'del' | 'ins';
/** `del`: in the reference only (missed); `ins`: in the prediction only (wrong extra). */
export interface DiffPart { op: DiffOp; text: string }

const MAX_CELLS = 400_000;

/** Splits into the units compared: characters, or whitespace-separated tokens (spaces kept with them). */
export function units(text: string, mode: 'char' | 'word'): string[] {
  if (mode === 'char') return Array.from(text);
  return text.split(/\s+/).filter((t) => t.length > 0);
}

export function diff(reference: string, prediction: string, mode: 'char' | 'word' = 'char'): DiffPart[] {
  const a = units(reference, mode);
  const b = units(prediction, mode);
  const sep = mode === 'word' ? ' ' : '';
  const ops = diffUnits(a, b);
  return merge(ops, sep);
}

function diffUnits(a: string[], b: string[]): { op: DiffOp; unit: string }[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const head = a.slice(0, start).map((unit) => ({ op: 'same' as const, unit }));
  const tail = a.slice(endA).map((unit) => ({ op: 'same' as const, unit }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  let middle: { op: DiffOp; unit: string }[];
  if ((midA.length + 1) * (midB.length + 1) > MAX_CELLS) {
    middle = [...midA.map((unit) => ({ op: 'del' as const, unit })), ...midB.map((unit) => ({ op: 'ins' as const, unit }))];
  } else {
    middle = lcs(midA, midB);
  }
  return [...head, ...middle, ...tail];
}

function lcs(a: string[], b: string[]): { op: DiffOp; unit: string }[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = a[i] === b[j] ? len[(i + 1) * w + j + 1] + 1 : Math.max(len[(i + 1) * w + j], len[i * w + j + 1]);
    }
  }
  const out: { op: DiffOp; unit: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: 'same', unit: a[i] }); i++; j++; }
    else if (len[(i + 1) * w + j] >= len[i * w + j + 1]) { out.push({ op: 'del', unit: a[i] }); i++; }
    else { out.push({ op: 'ins', unit: b[j] }); j++; }
  }
  while (i < n) out.push({ op: 'del', unit: a[i++] });
  while (j < m) out.push({ op: 'ins', unit: b[j++] });
  return out;
}

function merge(ops: { op: DiffOp; unit: string }[], sep: string): DiffPart[] {
  const parts: DiffPart[] = [];
  for (const { op, unit } of ops) {
    const last = parts[parts.length - 1];
    if (last && last.op === op) last.text += sep + unit;
    else parts.push({ op, text: unit });
  }
  return parts;
}

/** The reference side (same + del) and the prediction side (same + ins) of a diff. */
export function sides(parts: DiffPart[]): { reference: DiffPart[]; prediction: DiffPart[] } {
  return {
    reference: parts.filter((p) => p.op !== 'ins'),
    prediction: parts.filter((p) => p.op !== 'del'),
  };
}
