/**
 * The architectures `npm run bench` measures (`--arch`, default all, in this order):
 *   lstm      the reference model, pinned: LSTM 256, emb 64, one layer, no attention, no dropout
 *   balanced  what `seq2seq train` builds by default on the bench's data: the `balanced` preset sized
 *             from the data (on CMUdict: bidirectional LSTM 288, emb 64, Luong attention, dropout 0.1)
 *   gru       the same preset with `--cell gru`
 * and the matrix-multiply FLOPs of a batch of each, one formula for both sides (the GFLOP/s rows).
 */
import { DEFAULT_SETTINGS, type ModelSettings } from '../src/model/config';

export interface BenchArchitecture {
  name: string;
  /** The engine's model settings, passed as they are to our children and to pytorch_ref.py. */
  model: ModelSettings;
  lr: number;
  batch: number;
}

export const ARCHITECTURE_NAMES = ['lstm', 'balanced', 'gru'] as const;

const PINNED: ModelSettings = { ...DEFAULT_SETTINGS.model, arch: 'rnn', cell: 'lstm', layers: 1, emb: 64, hidden: 256, bidirectional: false, attention: 'none', dropout: 0 };

/** The named architectures for the training file (the presets look at its data, as `seq2seq train` does). */
export async function benchArchitectures(names: string[], trainFile: string): Promise<BenchArchitecture[]> {
  const unknown = names.filter((n) => !(ARCHITECTURE_NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`--arch: unknown ${unknown.join(', ')} (known: ${ARCHITECTURE_NAMES.join(', ')})`);
  const { readPairs } = await import('../src/model/data/data');
  const { resolveSettings } = await import('../src/model/training/settingsFromData');
  const { pairs } = await readPairs(trainFile);
  // The bench's tokenisers (characters in, phonemes out), which the presets would also choose for CMUdict.
  const tokens = { source: { kind: 'char' as const }, target: { kind: 'word' as const } };
  const preset = resolveSettings(pairs, 'balanced', tokens);
  return names.map((name) => {
    if (name === 'lstm') return { name, model: PINNED, lr: 0.002, batch: 64 };
    const model = name === 'gru' ? { ...preset.model, cell: 'gru' as const } : preset.model;
    return { name, model, lr: preset.train.lr, batch: preset.train.batch };
  });
}

/** "bidirectional LSTM 288, emb 64, 1 layer, Luong attention, dropout 0.1" */
export function describeModel(m: ModelSettings): string {
  const attention = m.attention === 'none' ? 'no attention' : `${m.attention === 'luong' ? 'Luong' : 'Bahdanau'} attention`;
  return `${m.bidirectional ? 'bidirectional ' : ''}${m.cell.toUpperCase()} ${m.hidden}, emb ${m.emb}, ${m.layers} layer${m.layers > 1 ? 's' : ''}, ${attention}, dropout ${m.dropout}`;
}

/**
 * Matrix-multiply FLOPs of one forward pass over the padded batch shape (B inputs, S source and T
 * target steps, V target tokens): every layer's input and recurrent products, attention's products
 * and the output layer over every target position. Training counts 3x (forward + backward).
 */
export function forwardMatmulFlops(m: ModelSettings, B: number, S: number, T: number, V: number): number {
  const G = m.cell === 'lstm' ? 4 : 3;
  const He = m.bidirectional ? Math.floor(m.hidden / 2) : m.hidden;
  const H = m.bidirectional ? 2 * He : He;
  const dirs = m.bidirectional ? 2 : 1;
  let macs = 0;
  for (let l = 0; l < m.layers; l++) {
    macs += dirs * S * B * (l === 0 ? m.emb : H) * G * He + dirs * S * B * He * G * He;
    macs += T * B * (l === 0 ? m.emb : H) * G * H + T * B * H * G * H;
  }
  if (m.attention !== 'none') {
    macs += B * S * H * H; // keys (Luong W_a, Bahdanau W_key)
    if (m.attention === 'bahdanau') macs += B * T * H * H + B * T * S * H; // queries, scores through v
    else macs += B * T * S * H; // scores
    macs += B * T * S * H + B * T * 2 * H * H; // context, W_c
  }
  macs += B * T * H * V;
  return 2 * macs;
}
