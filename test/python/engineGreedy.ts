/**
 * The engine's greedy decoding, step by step through Seq2SeqModel.startDecoding / step (the calls
 * search.ts makes), keeping every step's log-probability row so tests can compare them with
 * PyTorch's. Its outputs are checked against the engine's own decodeBatch in the tests.
 */
import { tf } from '../../src/model/acceleration/backend';
import { BOS, EOS, type DecoderState, type Seq2SeqModel } from '../../src/model/network/seq2seq';

export interface GreedyRow { ids: number[]; logProbs: Float32Array[] }

export function engineGreedy(model: Seq2SeqModel, sources: number[][], maxLen: number): GreedyRow[] {
  const B = sources.length;
  const S = Math.max(1, ...sources.map((s) => s.length));
  const ids = new Int32Array(S * B);
  sources.forEach((s, b) => s.forEach((id, t) => { ids[t * B + b] = id; }));
  const rows: GreedyRow[] = sources.map(() => ({ ids: [], logProbs: [] }));
  tf.tidy(() => {
    let state: DecoderState = model.startDecoding(ids, S, B);
    let prev = new Int32Array(B).fill(BOS);
    const alive = new Array(B).fill(true);
    for (let step = 0; step < maxLen && alive.some(Boolean); step++) {
      const out = model.step(tf.tensor1d(prev, 'int32'), state);
      const lp = out.logProbs.dataSync() as Float32Array;
      const V = out.logProbs.shape[1];
      state = out.state;
      const next = new Int32Array(B).fill(EOS);
      for (let b = 0; b < B; b++) {
        if (!alive[b]) continue;
        const row = lp.slice(b * V, (b + 1) * V);
        let best = 0;
        for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
        rows[b].ids.push(best);
        rows[b].logProbs.push(row);
        next[b] = best;
        if (best === EOS) alive[b] = false;
      }
      prev = next;
    }
  });
  return rows;
}
