/**
 * Continuing a text: the model writes one chunk of tokens from the `window` tokens before it (the
 * prompt and what it wrote), then slides the window on and writes the next, token by token, each
 * token passed to `onText` as soon as it is chosen. Chunks are aligned as in training. It stops at the first of: the token
 * limit (always bounded), the line limit, a blank line (when asked), the end of the text (the model
 * writes </s>, learned only at the ends of files), or the signal (CancelledError).
 */
import { CancelledError, resolveDecodeOptions } from '../decoding/translate';
import { DEFAULT_GENERATE, generateLimitErrors, type DecodeOptions, type GenerateLimits } from '../decoding/decodeOptions';
import { penalise, sampleRow, StepDecoder } from '../decoding/search';
import { rng } from '../data/data';
import { BOS, EOS, PAD, UNK } from '../data/tokenizer';
import type { Seq2SeqModel } from '../network/seq2seq';
import { contextWindow } from './windows';

export type GenerateStop = 'max-tokens' | 'max-lines' | 'blank-line' | 'end-of-text';

export interface GenerateOptions extends Partial<GenerateLimits> {
  decode?: Partial<DecodeOptions>;
  /** The prompt is the text from its very beginning (a window reaching it starts with <s>); default true. */
  atStart?: boolean;
}

export interface GenerateOutcome { text: string; stopped: GenerateStop; tokens: number }

/** A blank line: a line end, nothing but spaces or tabs, and another line end. */
const BLANK_LINE = /\n[^\S\n]*\n/;

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export async function generate(
  model: Seq2SeqModel, prompt: string, options: GenerateOptions, onText: (text: string) => void, signal?: AbortSignal,
): Promise<GenerateOutcome> {
  const limits: GenerateLimits = {
    maxTokens: options.maxTokens ?? DEFAULT_GENERATE.maxTokens,
    maxLines: options.maxLines ?? DEFAULT_GENERATE.maxLines,
    stopAtBlankLine: options.stopAtBlankLine ?? DEFAULT_GENERATE.stopAtBlankLine,
  };
  const errors = generateLimitErrors(limits);
  if (errors.length) throw new Error(`Invalid generation limits: ${errors.join('; ')}`);
  const opts = resolveDecodeOptions({ strategy: 'sample', ...options.decode, nBest: 1 });
  const random = rng(opts.seed);
  const { window, chunk } = model.settings.train;
  const { source, target } = model;
  const atStart = options.atStart ?? true;
  // The context as source ids; a written token joins it through its spelling.
  const context: number[] = source.encode(prompt);
  const toSource = target === source ? (id: number) => id : (id: number) => source.index.get(target.tokens[id]) ?? UNK;

  let text = '';
  let emitted = 0;
  let tokens = 0;
  let lines = 0;
  let stopped: GenerateStop = 'max-tokens';
  // Sends what can no longer be taken back: with the blank-line rule, white space after the last line end waits.
  const flush = (all: boolean) => {
    let upTo = text.length;
    if (!all && limits.stopAtBlankLine) {
      const lastBreak = text.lastIndexOf('\n');
      if (lastBreak >= 0 && /^[^\S\n]*$/.test(text.slice(lastBreak + 1))) upTo = lastBreak + 1;
    }
    if (upTo > emitted) { onText(text.slice(emitted, upTo)); emitted = upTo; }
  };

  // Chunks start where training's did, at multiples of `chunk` from the start of the text: the
  // decoder first reads the prompt's part of the current chunk (forced), then writes the rest of it.
  let chunkStart = Math.floor(context.length / chunk) * chunk;
  outer: while (tokens < limits.maxTokens) {
    if (signal?.aborted) throw new CancelledError();
    const before = context.slice(0, chunkStart);
    const src = atStart ? contextWindow(before, before.length, window) : Int32Array.from(before.slice(-window));
    const decoder = new StepDecoder(model, src.length ? src : [BOS]);
    try {
      let prev = BOS;
      for (let j = 0; j < context.length - chunkStart; j++) { decoder.next(prev); prev = context[chunkStart + j]; }
      for (let j = context.length - chunkStart; j < chunk && tokens < limits.maxTokens; j++) {
        const lp = decoder.next(prev);
        // Never the specials that are not text; </s> is the end of the text.
        lp[PAD] = -Infinity; lp[BOS] = -Infinity; lp[UNK] = -Infinity;
        if (opts.repetitionPenalty !== 1) penalise(lp, new Set([...src, ...context.slice(chunkStart)]).values(), opts.repetitionPenalty);
        const id = opts.temperature === 0 ? argMax(lp) : sampleRow(lp, opts, random);
        tokens++;
        if (id === EOS) { stopped = 'end-of-text'; break outer; }
        context.push(toSource(id));
        prev = id;
        const piece = target.tokenText(target.tokens[id]);
        // The line limit: stop just after the line end that reaches it.
        if (limits.maxLines > 0) {
          let cut = -1;
          for (let k = 0; k < piece.length; k++) if (piece[k] === '\n' && ++lines >= limits.maxLines) { cut = k + 1; break; }
          if (cut >= 0) { text += piece.slice(0, cut); stopped = 'max-lines'; break outer; }
        }
        const end = text.length;
        text += piece;
        if (limits.stopAtBlankLine) {
          // A blank line this piece completes starts at the last line end before it.
          const from = Math.max(0, text.lastIndexOf('\n', end - 1));
          const m = BLANK_LINE.exec(text.slice(from));
          if (m) { text = text.slice(0, from + m.index + 1); stopped = 'blank-line'; break outer; }
        }
        flush(false);
        if (signal?.aborted) throw new CancelledError();
        await yieldToEventLoop();
      }
    } finally {
      decoder.dispose();
    }
    chunkStart += chunk;
  }
  flush(true);
  return { text, stopped, tokens };
}

function argMax(lp: Float32Array): number {
  let best = 0;
  for (let v = 1; v < lp.length; v++) if (lp[v] > lp[best]) best = v;
  return best;
}
