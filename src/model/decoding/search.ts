/**
 * Decoding: greedy, beam search (length penalty, n-best) and sampling (temperature, top-k, top-p,
 * seeded), each batched over many inputs. The encoder runs once per batch; the decoder steps all
 * rows together and the choice of next tokens is made in JS on the step's log-probabilities.
 */
import { tf } from '../tf';
import { rng } from '../data/data';
import type { DecodeOptions, Hypothesis } from './decodeOptions';
import type { Memory } from '../network/attention';
import type { RnnState } from '../network/rnn';
import { BOS, EOS, type Seq2SeqModel } from '../network/seq2seq';

interface RawHyp { ids: number[]; logProb: number; score: number }

/** GNMT length penalty: ((5 + len) / 6)^alpha. */
export function lengthPenalty(len: number, alpha: number): number {
  return alpha === 0 ? 1 : Math.pow((5 + len) / 6, alpha);
}

function keepState(states: RnnState[]): void {
  for (const s of states) { tf.keep(s.h); if (s.c) tf.keep(s.c); }
}
function disposeState(states: RnnState[]): void {
  for (const s of states) { s.h.dispose(); s.c?.dispose(); }
}

/** Repeats every row of the encoder's results `times` times (row b -> rows b*times .. b*times+times-1). */
function tileRows(memory: Memory | null, states: RnnState[], batch: number, times: number): { memory: Memory | null; states: RnnState[] } {
  if (times === 1) return { memory, states };
  const idx = tf.tensor1d(Array.from({ length: batch * times }, (_, i) => Math.floor(i / times)), 'int32');
  const g = <T extends tf.Tensor>(t: T) => tf.gather(t, idx) as T;
  return {
    memory: memory && { values: g(memory.values), keys: g(memory.keys), maskBias: g(memory.maskBias) },
    states: states.map((s) => ({ h: g(s.h), c: s.c && g(s.c) })),
  };
}

/**
 * A step's log-probabilities as read on the host: with ids, each row's k best tokens (ids and
 * log-probabilities at row * k + j, best first); with ids null, every token's (k = V, at row * V + id).
 */
export interface StepScores { k: number; ids: Int32Array | null; logProbs: Float32Array }

/** Each row's k best of every token's log-probabilities, best first, ties to the lower id (for steps that return them all). */
export function topKRows(all: Float32Array, V: number, k: number): StepScores {
  const rows = all.length / V;
  const ids = new Int32Array(rows * k);
  const logProbs = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => all[r * V + b] - all[r * V + a] || a - b);
    for (let j = 0; j < k; j++) { ids[r * k + j] = order[j]; logProbs[r * k + j] = all[r * V + order[j]]; }
  }
  return { k, ids, logProbs };
}

/** The rows still decoding, or null when all are. */
function activeRows(alive: boolean[]): Int32Array | null {
  if (alive.every(Boolean)) return null;
  const rows: number[] = [];
  alive.forEach((a, r) => { if (a) rows.push(r); });
  return Int32Array.from(rows);
}

/**
 * Runs the decoder step by step; `choose` picks each row's next token from the step's scores: each
 * row's topK best (topK > 0), or every token's (topK 0). Rows that `choose` marks as no longer alive
 * are not computed again (their scores are not to be read).
 */
function stepLoop(
  model: Seq2SeqModel, texts: string[], rowsPerInput: number, maxLength: number, topK: number,
  choose: (scores: StepScores, alive: boolean[], step: number) => { next: Int32Array; reorder?: Int32Array; done: boolean },
): void {
  const { ids, S, B } = model.encodeSources(texts);
  let memory: Memory | null = null;
  let states: RnnState[] = [];
  tf.tidy(() => {
    const enc = model.encode(ids, S, B);
    const tiled = tileRows(enc.memory, enc.encoder.finalStates, B, rowsPerInput);
    memory = tiled.memory;
    states = tiled.states;
    if (memory) { tf.keep(memory.values); tf.keep(memory.keys); tf.keep(memory.maskBias); }
    keepState(states);
  });
  const rows = B * rowsPerInput;
  const k = Math.min(topK, model.target.size);
  let prev: Int32Array = new Int32Array(rows).fill(BOS);
  const alive = new Array(rows).fill(true);
  try {
    for (let step = 0; step < maxLength; step++) {
      let out!: ReturnType<Seq2SeqModel['step']>;
      tf.tidy(() => {
        out = model.step(tf.tensor1d(prev, 'int32'), states, memory, k, activeRows(alive));
        keepState(out.states);
        tf.keep(out.logProbs);
        if (out.ids) tf.keep(out.ids);
      });
      const lp = out.logProbs.dataSync() as Float32Array;
      const n = out.logProbs.shape[1];
      const scores: StepScores = out.ids ? { k: n, ids: out.ids.dataSync() as Int32Array, logProbs: lp }
        : k > 0 ? topKRows(lp, n, k) : { k: n, ids: null, logProbs: lp };
      out.logProbs.dispose();
      out.ids?.dispose();
      disposeState(states);
      states = out.states;
      const choice = choose(scores, alive, step);
      if (choice.reorder) {
        const idx = tf.tensor1d(choice.reorder, 'int32');
        const reordered = states.map((s) => ({ h: tf.gather(s.h, idx) as tf.Tensor2D, c: s.c && (tf.gather(s.c, idx) as tf.Tensor2D) }));
        idx.dispose();
        disposeState(states);
        states = reordered;
      }
      prev = choice.next;
      if (choice.done) break;
    }
  } finally {
    disposeState(states);
    const m = memory as Memory | null;
    if (m) { m.values.dispose(); m.keys.dispose(); m.maskBias.dispose(); }
  }
}

function argMaxRow(lp: Float32Array, row: number, V: number): number {
  let best = 0;
  let bestV = -Infinity;
  for (let v = 0; v < V; v++) { const x = lp[row * V + v]; if (x > bestV) { bestV = x; best = v; } }
  return best;
}

export function greedyDecode(model: Seq2SeqModel, texts: string[], opts: DecodeOptions): RawHyp[][] {
  const hyps: RawHyp[] = texts.map(() => ({ ids: [], logProb: 0, score: 0 }));
  stepLoop(model, texts, 1, opts.maxLength, 1, (scores, alive) => {
    const next = new Int32Array(texts.length);
    for (let r = 0; r < texts.length; r++) {
      if (!alive[r]) { next[r] = EOS; continue; }
      const id = scores.ids![r * scores.k];
      hyps[r].ids.push(id);
      hyps[r].logProb += scores.logProbs[r * scores.k];
      next[r] = id;
      if (id === EOS) alive[r] = false;
    }
    return { next, done: alive.every((a) => !a) };
  });
  return hyps.map((h) => [{ ...h, score: h.logProb }]);
}

export function sampleDecode(model: Seq2SeqModel, texts: string[], opts: DecodeOptions): RawHyp[][] {
  const n = opts.nBest;
  const random = rng(opts.seed);
  const rows = texts.length * n;
  const hyps: RawHyp[] = Array.from({ length: rows }, () => ({ ids: [], logProb: 0, score: 0 }));
  stepLoop(model, texts, n, opts.maxLength, 0, ({ k: V, logProbs: lp }, alive) => {
    const next = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (!alive[r]) { next[r] = EOS; continue; }
      const id = opts.temperature === 0 ? argMaxRow(lp, r, V) : sampleRow(lp.subarray(r * V, (r + 1) * V), opts, random);
      hyps[r].ids.push(id);
      hyps[r].logProb += lp[r * V + id];
      next[r] = id;
      if (id === EOS) alive[r] = false;
    }
    return { next, done: alive.every((a) => !a) };
  });
  return texts.map((_, i) => hyps.slice(i * n, (i + 1) * n).map((h) => ({ ...h, score: h.logProb })));
}

/** Samples one id from log-probabilities with temperature, then top-k, then top-p (nucleus) filtering. */
export function sampleRow(lp: Float32Array, opts: Pick<DecodeOptions, 'temperature' | 'topK' | 'topP'>, random: () => number): number {
  const V = lp.length;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => lp[b] - lp[a] || a - b);
  const k = opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const max = lp[order[0]];
  const probs: number[] = [];
  let total = 0;
  for (let i = 0; i < k; i++) { const p = Math.exp((lp[order[i]] - max) / opts.temperature); probs.push(p); total += p; }
  let keep = k;
  if (opts.topP < 1) {
    let cum = 0;
    for (let i = 0; i < k; i++) { cum += probs[i] / total; if (cum >= opts.topP) { keep = i + 1; break; } }
  }
  let mass = 0;
  for (let i = 0; i < keep; i++) mass += probs[i];
  let u = random() * mass;
  for (let i = 0; i < keep; i++) { u -= probs[i]; if (u <= 0) return order[i]; }
  return order[keep - 1];
}

export function beamDecode(model: Seq2SeqModel, texts: string[], opts: DecodeOptions): RawHyp[][] {
  const K = opts.beamSize;
  const B = texts.length;
  const alpha = opts.lengthPenalty;
  const beams: { ids: number[]; logProb: number }[][] = texts.map(() =>
    Array.from({ length: K }, (_, k) => ({ ids: [], logProb: k === 0 ? 0 : -Infinity })));
  const finished: RawHyp[][] = texts.map(() => []);
  const inputDone = new Array(B).fill(false);
  // Each row's K + 1 best tokens are enough: an input's new beams and finished hypotheses take at most K
  // tokens that do not end and one that ends (</s>) from each row, in the row's own order.
  stepLoop(model, texts, K, opts.maxLength, K + 1, ({ k: n, ids, logProbs: lp }, alive, step) => {
    const next = new Int32Array(B * K).fill(EOS);
    const reorder = new Int32Array(B * K);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) reorder[b * K + k] = b * K + k;
      if (inputDone[b]) continue;
      // Candidates: (beam k, token v) with cumulative log-probability; best first, ties to lower index.
      const cands: { k: number; v: number; lp: number }[] = [];
      for (let k = 0; k < K; k++) {
        const base = beams[b][k].logProb;
        if (base === -Infinity) continue;
        const row = (b * K + k) * n;
        for (let j = 0; j < n; j++) cands.push({ k, v: ids![row + j], lp: base + lp[row + j] });
      }
      cands.sort((x, y) => y.lp - x.lp || x.k - y.k || x.v - y.v);
      const newBeams: { ids: number[]; logProb: number }[] = [];
      const last = step === opts.maxLength - 1;
      for (const c of cands) {
        if (newBeams.length >= K) break;
        const ids = [...beams[b][c.k].ids, c.v];
        if (c.v === EOS || last) {
          finished[b].push({ ids, logProb: c.lp, score: c.lp / lengthPenalty(ids.length, alpha) });
          if (finished[b].length >= K) break;
          continue;
        }
        reorder[b * K + newBeams.length] = b * K + c.k;
        next[b * K + newBeams.length] = c.v;
        newBeams.push({ ids, logProb: c.lp });
      }
      while (newBeams.length < K) newBeams.push({ ids: [], logProb: -Infinity });
      beams[b] = newBeams;
      if (finished[b].length >= K || newBeams.every((h) => h.logProb === -Infinity)) inputDone[b] = true;
      for (let k = 0; k < K; k++) alive[b * K + k] = !inputDone[b] && newBeams[k].logProb > -Infinity;
    }
    return { next, reorder, done: inputDone.every(Boolean) };
  });
  return finished.map((f, b) => {
    const all = f.length ? f : beams[b].filter((h) => h.logProb > -Infinity).map((h) => ({ ...h, score: h.logProb / lengthPenalty(h.ids.length, alpha) }));
    return all.sort((x, y) => y.score - x.score).slice(0, opts.nBest);
  });
}

/** Decodes a batch of texts with the chosen strategy. */
export function decodeBatch(model: Seq2SeqModel, texts: string[], opts: DecodeOptions): Hypothesis[][] {
  if (texts.length === 0) return [];
  const raw = opts.strategy === 'beam' ? beamDecode(model, texts, opts)
    : opts.strategy === 'sample' ? sampleDecode(model, texts, opts)
      : greedyDecode(model, texts, opts);
  return raw.map((hs) => hs.map((h) => {
    const tokens = model.target.idsToTokens(h.ids);
    return { text: model.target.detokenize(tokens), tokens, logProb: h.logProb, score: h.score };
  }));
}
