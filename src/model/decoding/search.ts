/**
 * Decoding: greedy, beam search (length penalty, n-best) and sampling (temperature, top-k, top-p,
 * seeded), each batched over many inputs. The encoder runs once per batch; the decoder steps all
 * rows together and the choice of next tokens is made in JS on the step's log-probabilities.
 * With `attention` each hypothesis also keeps, per token, the cross-attention weights the step that
 * chose it used (beam search moves them with the beams), for the attention view.
 */
import { tf } from '../tf';
import { rng } from '../data/data';
import type { DecodeOptions, Hypothesis } from './decodeOptions';
import { attentionMap } from './attentionMap';
import { BOS, EOS, type DecoderState, type Seq2SeqModel, type SourceInput } from '../network/seq2seq';

/** attention: per token, the weights of the step that produced it (one row's StepAttention); null when not asked. */
interface RawHyp { ids: number[]; logProb: number; score: number; attention: StepAttention[] | null }

/** GNMT length penalty: ((5 + len) / 6)^alpha. */
export function lengthPenalty(len: number, alpha: number): number {
  return alpha === 0 ? 1 : Math.pow((5 + len) / 6, alpha);
}

/** Replaces `old` by `next`: keeps next's tensors past the tidy they were made in and disposes those only old held. */
function replaceState(old: DecoderState | null, next: DecoderState): DecoderState {
  const keep = new Set(next.tensors());
  for (const t of keep) tf.keep(t);
  if (old) for (const t of old.tensors()) if (!keep.has(t)) t.dispose();
  return next;
}

function rowIndex(rows: ArrayLike<number>): tf.Tensor1D {
  return tf.tensor1d(Int32Array.from(rows), 'int32');
}

/**
 * A step's log-probabilities as read on the host: with ids, each row's k best tokens (ids and
 * log-probabilities at row * k + j, best first); with ids null, every token's (k = V, at row * V + id).
 */
export interface StepScores { k: number; ids: Int32Array | null; logProbs: Float32Array }

/** A step's attention weights as read on the host: row r's map m over the S source positions at (r * maps + m) * S. */
export interface StepAttention { maps: number; S: number; data: Float32Array }

/** Row r's weights of every map (a copy, as a one-row StepAttention). */
function attentionRow(a: StepAttention, r: number): StepAttention {
  const n = a.maps * a.S;
  return { maps: a.maps, S: a.S, data: a.data.slice(r * n, (r + 1) * n) };
}

/** Each row's k best of every token's log-probabilities, best first, ties to the lower id (for steps that return them all). */
export function topKRows(all: Float32Array, V: number, k: number): StepScores {
  const rows = all.length / V;
  const ids = new Int32Array(rows * k);
  const logProbs = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    bestTokens(all, r * V, V, k).forEach((v, j) => { ids[r * k + j] = v; logProbs[r * k + j] = all[r * V + v]; });
  }
  return { k, ids, logProbs };
}

/** The n tokens of row lp[offset .. offset + V) with the highest log-probability, best first, ties to the lower id. */
export function bestTokens(lp: Float32Array, offset: number, V: number, n: number): number[] {
  const top: number[] = [];
  for (let v = 0; v < V; v++) {
    const x = lp[offset + v];
    // Not better than the worst kept: skipped (an equal one keeps the lower id).
    if (top.length === n && !(x > lp[offset + top[n - 1]])) continue;
    if (top.length < n) top.push(v); else top[n - 1] = v;
    for (let i = top.length - 1; i > 0 && x > lp[offset + top[i - 1]]; i--) { top[i] = top[i - 1]; top[i - 1] = v; }
  }
  return top;
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
 * row's topK best (topK > 0), or every token's (topK 0), with the step's attention weights when
 * `withAttention` (and the model has attention; else null). Rows that `choose` marks as no longer
 * alive are not computed again (their scores are not to be read).
 */
function stepLoop(
  model: Seq2SeqModel, texts: SourceInput[], rowsPerInput: number, maxLength: number, topK: number, withAttention: boolean,
  choose: (scores: StepScores, alive: boolean[], step: number, attention: StepAttention | null) => { next: Int32Array; reorder?: Int32Array; done: boolean },
): void {
  const { ids, S, B } = model.encodeSources(texts);
  let state: DecoderState | null = null;
  // States leave each tidy through replaceState (which keeps their tensors), not as its result.
  const replace = (next: () => DecoderState) => tf.tidy(() => { state = replaceState(state, next()); });
  const rows = B * rowsPerInput;
  const k = Math.min(topK, model.target.size);
  let prev: Int32Array = new Int32Array(rows).fill(BOS);
  const alive = new Array(rows).fill(true);
  try {
    replace(() => {
      const first = model.startDecoding(ids, S, B);
      return rowsPerInput === 1 ? first : first.tile(rowIndex(Array.from({ length: rows }, (_, i) => Math.floor(i / rowsPerInput))));
    });
    for (let step = 0; step < maxLength; step++) {
      let logProbs!: tf.Tensor2D;
      let topIds: tf.Tensor2D | null = null;
      let weights: tf.Tensor3D | null = null;
      replace(() => {
        const r = model.step(tf.tensor1d(prev, 'int32'), state!, k, activeRows(alive), withAttention);
        logProbs = tf.keep(r.logProbs);
        topIds = r.ids && tf.keep(r.ids);
        weights = r.attention && tf.keep(r.attention);
        return r.state;
      });
      const w = weights as tf.Tensor3D | null;
      const attention: StepAttention | null = w && { maps: w.shape[1], S: w.shape[2], data: w.dataSync() as Float32Array };
      w?.dispose();
      const lp = logProbs.dataSync() as Float32Array;
      const n = logProbs.shape[1];
      const got = topIds as tf.Tensor2D | null;
      const scores: StepScores = got ? { k: n, ids: got.dataSync() as Int32Array, logProbs: lp }
        : k > 0 ? topKRows(lp, n, k) : { k: n, ids: null, logProbs: lp };
      logProbs.dispose();
      got?.dispose();
      const choice = choose(scores, alive, step, attention);
      if (choice.reorder) replace(() => state!.reorder(rowIndex(choice.reorder!)));
      prev = choice.next;
      if (choice.done) break;
    }
  } finally {
    const last = state as DecoderState | null;
    if (last) for (const t of last.tensors()) t.dispose();
  }
}

/**
 * One input decoded one token at a time, the caller choosing each next token (streaming text
 * generation). Holds the decoder's state between calls; dispose() frees it.
 */
export class StepDecoder {
  private state: DecoderState | null = null;

  constructor(private readonly model: Seq2SeqModel, source: SourceInput) {
    const { ids, S, B } = model.encodeSources([source]);
    tf.tidy(() => { this.state = replaceState(null, model.startDecoding(ids, S, B)); });
  }

  /** Feeds the token chosen last (<s> first) and returns the next token's log-probabilities over the target vocabulary. */
  next(prev: number): Float32Array {
    if (!this.state) throw new Error('StepDecoder used after dispose()');
    let out!: Float32Array;
    tf.tidy(() => {
      const r = this.model.step(tf.tensor1d([prev], 'int32'), this.state!, 0, null);
      out = (r.logProbs.dataSync() as Float32Array).slice();
      this.state = replaceState(this.state, r.state);
    });
    return out;
  }

  dispose(): void {
    if (this.state) for (const t of this.state.tensors()) t.dispose();
    this.state = null;
  }
}

/** Repetition penalty (CTRL's, on log-probabilities): each token already in `seen` has its log-probability multiplied by `penalty` (> 1 makes it less likely). */
export function penalise(lp: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of seen) if (id >= 0 && id < lp.length) lp[id] *= penalty;
}

function argMaxRow(lp: Float32Array, row: number, V: number): number {
  let best = 0;
  let bestV = -Infinity;
  for (let v = 0; v < V; v++) { const x = lp[row * V + v]; if (x > bestV) { bestV = x; best = v; } }
  return best;
}

export function greedyDecode(model: Seq2SeqModel, texts: SourceInput[], opts: DecodeOptions): RawHyp[][] {
  const hyps: RawHyp[] = texts.map(() => ({ ids: [], logProb: 0, score: 0, attention: opts.attention ? [] : null }));
  stepLoop(model, texts, 1, opts.maxLength, 1, opts.attention, (scores, alive, _step, attention) => {
    const next = new Int32Array(texts.length);
    for (let r = 0; r < texts.length; r++) {
      if (!alive[r]) { next[r] = EOS; continue; }
      const id = scores.ids![r * scores.k];
      hyps[r].ids.push(id);
      hyps[r].logProb += scores.logProbs[r * scores.k];
      if (attention) hyps[r].attention?.push(attentionRow(attention, r));
      next[r] = id;
      if (id === EOS) alive[r] = false;
    }
    return { next, done: alive.every((a) => !a) };
  });
  return hyps.map((h) => [{ ...h, score: h.logProb }]);
}

export function sampleDecode(model: Seq2SeqModel, texts: SourceInput[], opts: DecodeOptions): RawHyp[][] {
  const n = opts.nBest;
  const random = rng(opts.seed);
  const rows = texts.length * n;
  const hyps: RawHyp[] = Array.from({ length: rows }, () => ({ ids: [], logProb: 0, score: 0, attention: opts.attention ? [] : null }));
  stepLoop(model, texts, n, opts.maxLength, 0, opts.attention, ({ k: V, logProbs: lp }, alive, _step, attention) => {
    const next = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (!alive[r]) { next[r] = EOS; continue; }
      const row = lp.subarray(r * V, (r + 1) * V);
      const scored = opts.repetitionPenalty === 1 ? row : row.slice();
      penalise(scored, hyps[r].ids, opts.repetitionPenalty);
      const id = opts.temperature === 0 ? argMaxRow(scored, 0, V) : sampleRow(scored, opts, random);
      hyps[r].ids.push(id);
      hyps[r].logProb += lp[r * V + id];
      if (attention) hyps[r].attention?.push(attentionRow(attention, r));
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

export function beamDecode(model: Seq2SeqModel, texts: SourceInput[], opts: DecodeOptions): RawHyp[][] {
  const K = opts.beamSize;
  const B = texts.length;
  const alpha = opts.lengthPenalty;
  type Beam = { ids: number[]; logProb: number; attention: StepAttention[] | null };
  const noAttention = () => (opts.attention ? [] : null);
  const beams: Beam[][] = texts.map(() =>
    Array.from({ length: K }, (_, k) => ({ ids: [], logProb: k === 0 ? 0 : -Infinity, attention: noAttention() })));
  const finished: RawHyp[][] = texts.map(() => []);
  const inputDone = new Array(B).fill(false);
  // Each row's K + 1 best tokens are enough: an input's new beams and finished hypotheses take at most K
  // tokens that do not end and one that ends (</s>) from each row, in the row's own order.
  stepLoop(model, texts, K, opts.maxLength, K + 1, opts.attention, ({ k: n, ids, logProbs: lp }, alive, step, attention) => {
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
      const newBeams: Beam[] = [];
      const last = step === opts.maxLength - 1;
      for (const c of cands) {
        if (newBeams.length >= K) break;
        const from = beams[b][c.k];
        const ids = [...from.ids, c.v];
        // The token was chosen from row b * K + c.k's scores: that row's attention goes with it.
        const weights = from.attention && (attention ? [...from.attention, attentionRow(attention, b * K + c.k)] : []);
        if (c.v === EOS || last) {
          finished[b].push({ ids, logProb: c.lp, score: c.lp / lengthPenalty(ids.length, alpha), attention: weights });
          if (finished[b].length >= K) break;
          continue;
        }
        reorder[b * K + newBeams.length] = b * K + c.k;
        next[b * K + newBeams.length] = c.v;
        newBeams.push({ ids, logProb: c.lp, attention: weights });
      }
      while (newBeams.length < K) newBeams.push({ ids: [], logProb: -Infinity, attention: noAttention() });
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
export function decodeBatch(model: Seq2SeqModel, texts: SourceInput[], opts: DecodeOptions): Hypothesis[][] {
  if (texts.length === 0) return [];
  const raw = opts.strategy === 'beam' ? beamDecode(model, texts, opts)
    : opts.strategy === 'sample' ? sampleDecode(model, texts, opts)
      : greedyDecode(model, texts, opts);
  return raw.map((hs, i) => hs.map((h) => {
    const tokens = model.target.idsToTokens(h.ids);
    const hyp: Hypothesis = { text: model.target.detokenize(tokens), tokens, logProb: h.logProb, score: h.score };
    // Maps are for texts (the Try it box); generation decodes windows of ids and never asks.
    const source = texts[i];
    const attention = h.attention && typeof source === 'string' && attentionMap(model, source, h.ids, h.attention);
    if (attention) hyp.attention = attention;
    return hyp;
  }));
}
