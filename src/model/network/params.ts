/**
 * The model's trainable weights, by name, created from the settings. Names follow the model's
 * structure (`encoder/l0/fwd/kernel`, `decoder/embedding`, `attention/W_c`, `output/kernel`) and are
 * the names written to the weights manifest.
 */
import { tf } from '../tf';
import type { ModelSettings } from '../config';
import { glorotUniform, orthogonal, recurrentOrthogonal, rng, uniform } from './initializers';
import { gatesOf, type RnnWeights } from './rnn';
import type { AttentionWeights } from './attention';

export type Params = Map<string, tf.Variable>;

export interface ParamSpec { name: string; shape: number[]; init: (random: () => number) => Float32Array }

/** Hidden size of one encoder direction: bidirectional encoders split the decoder's size in two. */
export function encoderDirectionSize(m: ModelSettings): number {
  return m.bidirectional ? Math.floor(m.hidden / 2) : m.hidden;
}

/** The recurrent architecture's weights. */
export function rnnParamSpecs(m: ModelSettings, srcVocab: number, tgtVocab: number): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const G = gatesOf(m.cell);
  const rnn = (prefix: string, inSize: number, H: number) => {
    specs.push({ name: `${prefix}/kernel`, shape: [inSize, G * H], init: (r) => glorotUniform(inSize, G * H, r) });
    specs.push({ name: `${prefix}/recurrent_kernel`, shape: [H, G * H], init: (r) => recurrentOrthogonal(H, G, r) });
    if (m.cell === 'lstm') {
      // unit_forget_bias: the forget gate starts open.
      specs.push({ name: `${prefix}/bias`, shape: [G * H], init: () => { const b = new Float32Array(G * H); b.fill(1, H, 2 * H); return b; } });
    } else {
      specs.push({ name: `${prefix}/bias`, shape: [2, G * H], init: () => new Float32Array(2 * G * H) });
    }
  };
  const He = encoderDirectionSize(m);
  const H = m.bidirectional ? 2 * He : He;
  specs.push({ name: 'encoder/embedding', shape: [srcVocab, m.emb], init: (r) => uniform(srcVocab * m.emb, 0.05, r) });
  for (let l = 0; l < m.layers; l++) {
    const inSize = l === 0 ? m.emb : H;
    rnn(`encoder/l${l}/fwd`, inSize, He);
    if (m.bidirectional) rnn(`encoder/l${l}/bwd`, inSize, He);
  }
  specs.push({ name: 'decoder/embedding', shape: [tgtVocab, m.emb], init: (r) => uniform(tgtVocab * m.emb, 0.05, r) });
  for (let l = 0; l < m.layers; l++) rnn(`decoder/l${l}`, l === 0 ? m.emb : H, H);
  if (m.attention === 'luong') {
    specs.push({ name: 'attention/W_a', shape: [H, H], init: (r) => glorotUniform(H, H, r) });
  } else if (m.attention === 'bahdanau') {
    specs.push({ name: 'attention/W_query', shape: [H, H], init: (r) => glorotUniform(H, H, r) });
    specs.push({ name: 'attention/W_key', shape: [H, H], init: (r) => glorotUniform(H, H, r) });
    specs.push({ name: 'attention/v', shape: [H, 1], init: (r) => glorotUniform(H, 1, r) });
  }
  if (m.attention !== 'none') specs.push({ name: 'attention/W_c', shape: [2 * H, H], init: (r) => glorotUniform(2 * H, H, r) });
  specs.push({ name: 'output/kernel', shape: [H, tgtVocab], init: (r) => glorotUniform(H, tgtVocab, r) });
  specs.push({ name: 'output/bias', shape: [tgtVocab], init: () => new Float32Array(tgtVocab) });
  return specs;
}

export function createParams(specs: ParamSpec[], seed: number): Params {
  const random = rng(seed);
  const params: Params = new Map();
  for (const s of specs) params.set(s.name, tf.variable(tf.tensor(s.init(random), s.shape), true, `${s.name}_${uid()}`));
  return params;
}

let counter = 0;
function uid(): number { return ++counter; }

export function countParameters(params: Params): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

export function get(params: Params, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`model has no weight named ${name}`);
  return v;
}

export function rnnWeights(params: Params, prefix: string): RnnWeights {
  return {
    kernel: get(params, `${prefix}/kernel`) as unknown as tf.Tensor2D,
    recurrentKernel: get(params, `${prefix}/recurrent_kernel`) as unknown as tf.Tensor2D,
    bias: get(params, `${prefix}/bias`),
  };
}

export function attentionWeights(params: Params, m: ModelSettings): AttentionWeights {
  const t2 = (n: string) => get(params, n) as unknown as tf.Tensor2D;
  if (m.attention === 'luong') return { wa: t2('attention/W_a'), wc: t2('attention/W_c') };
  return { wq: t2('attention/W_query'), wk: t2('attention/W_key'), v: t2('attention/v'), wc: t2('attention/W_c') };
}

export { orthogonal };
