/**
 * The entry point for translating with a trained model: many lines, batched, with progress and
 * cancellation between batches (continuing text is src/model/generation/generate.ts).
 */
import { DEFAULT_DECODE, decodeOptionErrors, type DecodeOptions, type Hypothesis } from './decodeOptions';
import { decodeBatch } from './search';
import type { Seq2SeqModel } from '../network/seq2seq';

export class CancelledError extends Error {
  constructor() { super('cancelled'); this.name = 'CancelledError'; }
}

export function resolveDecodeOptions(partial: Partial<DecodeOptions> | undefined): DecodeOptions {
  const o = { ...DEFAULT_DECODE, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) } as DecodeOptions;
  const errors = decodeOptionErrors(o);
  if (errors.length) throw new Error(`Invalid decoding options: ${errors.join('; ')}`);
  return o;
}

export interface TranslateHooks { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; batchSize?: number }

/** Decodes every input (one output list per input, best first). Inputs are grouped by length into batches. */
export async function translate(model: Seq2SeqModel, inputs: string[], decode?: Partial<DecodeOptions>, hooks: TranslateHooks = {}): Promise<Hypothesis[][]> {
  const opts = resolveDecodeOptions(decode);
  const batchSize = hooks.batchSize ?? (opts.strategy === 'beam' ? Math.max(8, Math.floor(256 / opts.beamSize)) : 64);
  const order = inputs.map((_, i) => i).sort((a, b) => inputs[a].length - inputs[b].length);
  const out: Hypothesis[][] = new Array(inputs.length);
  let done = 0;
  for (let i = 0; i < order.length; i += batchSize) {
    if (hooks.signal?.aborted) throw new CancelledError();
    const idx = order.slice(i, i + batchSize);
    const texts = idx.map((k) => inputs[k]);
    const empty = texts.map((t) => t.trim() === '');
    const results = decodeBatch(model, texts.map((t, j) => (empty[j] ? ' ' : t)), opts);
    idx.forEach((k, j) => { out[k] = empty[j] ? [{ text: '', tokens: [], logProb: 0, score: 0 }] : results[j]; });
    done += idx.length;
    hooks.onProgress?.(done, inputs.length);
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}
