/**
 * What the attention view can show of one attention map: the recurrent model's one attention, or
 * for the Transformer the last layer's heads averaged (the default), each other layer's average,
 * and every head; and how tokens are labelled. Pure: tested in Node.
 */
import type { AttentionMap } from '../model/decoding/decodeOptions';

export interface AttentionChoice {
  /** Stable while the same map is shown (the select's value). */
  id: string;
  label: string;
  /** The option group (a decoder layer), or null. */
  group: string | null;
  /** [output token][input token] */
  weights: number[][];
}

export const DEFAULT_CHOICE = 'average';

/** The element-wise mean of equally shaped matrices. */
function mean(ms: number[][][]): number[][] {
  return ms[0].map((row, t) => row.map((_, s) => ms.reduce((sum, m) => sum + m[t][s], 0) / ms.length));
}

export function attentionChoices(a: AttentionMap): AttentionChoice[] {
  if (a.heads.length === 0) return [{ id: DEFAULT_CHOICE, label: 'Attention', group: null, weights: a.weights }];
  const layers = [...new Set(a.heads.map((x) => x.layer))].sort((x, y) => x - y);
  const last = layers[layers.length - 1];
  const choices: AttentionChoice[] = [{ id: DEFAULT_CHOICE, label: `Average of layer ${last + 1}'s heads`, group: null, weights: a.weights }];
  for (const l of layers) {
    const group = `Layer ${l + 1}`;
    const heads = a.heads.filter((x) => x.layer === l);
    if (l !== last && heads.length > 1) choices.push({ id: `l${l}`, label: `Layer ${l + 1}, average of heads`, group, weights: mean(heads.map((x) => x.weights)) });
    for (const x of heads) choices.push({ id: `l${l}h${x.head}`, label: `Layer ${l + 1}, head ${x.head + 1}`, group, weights: x.weights });
  }
  return choices;
}

/** A token as a header shows it: white space made visible. */
export function tokenLabel(token: string): string {
  if (token === '') return '∅';
  return token.replace(/ /g, '␣').replace(/\t/g, '⇥').replace(/\n/g, '↵');
}

/** The position of each row's largest weight (the first of equals). */
export function strongest(weights: number[][]): number[] {
  return weights.map((row) => row.reduce((best, w, s) => (w > row[best] ? s : best), 0));
}

/** A weight as a percentage for titles and screen readers: "42 %", "0.3 %", "< 0.1 %". */
export function percent(w: number): string {
  const p = w * 100;
  if (p === 0) return '0 %';
  if (p < 0.1) return '< 0.1 %';
  return `${p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}
