/**
 * A hypothesis's attention map (decodeOptions.ts: AttentionMap) from the weights search kept for
 * each of its tokens: the columns of the input's real tokens (padding has weight 0), one row per
 * output token, the Transformer's heads averaged per layer for the default view.
 */
import type { AttentionHead, AttentionMap } from './decodeOptions';
import type { StepAttention } from './search';
import type { Seq2SeqModel } from '../network/seq2seq';
import { SPECIALS } from '../data/tokenizer';

export function attentionMap(model: Seq2SeqModel, text: string, ids: number[], rows: StepAttention[]): AttentionMap | undefined {
  const source = model.sourceTokens(text);
  if (rows.length === 0 || rows.length !== ids.length || source.length === 0) return undefined;
  const { maps, S } = rows[0];
  const n = Math.min(source.length, S);
  const matrix = (m: number) => rows.map((r) => Array.from(r.data.subarray(m * S, m * S + n)));
  const target = ids.map((id) => model.target.tokens[id] ?? SPECIALS[3]);
  if (model.settings.model.arch !== 'transformer') return { source: source.slice(0, n), target, weights: matrix(0), heads: [] };
  const perLayer = model.settings.model.heads;
  const heads: AttentionHead[] = Array.from({ length: maps }, (_, m) => ({ layer: Math.floor(m / perLayer), head: m % perLayer, weights: matrix(m) }));
  const last = heads.slice(maps - perLayer);
  return { source: source.slice(0, n), target, weights: average(last.map((h) => h.weights)), heads };
}

/** The element-wise mean of equally shaped matrices. */
export function average(ms: number[][][]): number[][] {
  return ms[0].map((row, t) => row.map((_, s) => ms.reduce((sum, m) => sum + m[t][s], 0) / ms.length));
}
