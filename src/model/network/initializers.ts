/**
 * Weight initialisers, computed in plain JS so they cost the same on every backend (TF.js's
 * orthogonal initializer takes seconds per layer on wasm). Keras defaults: Glorot-uniform kernels,
 * orthogonal recurrent kernels, uniform(-0.05, 0.05) embeddings.
 */
import { rng } from '../data/data';

export function glorotUniform(fanIn: number, fanOut: number, random: () => number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * limit;
  return out;
}

export function uniform(n: number, limit: number, random: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (random() * 2 - 1) * limit;
  return out;
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** n values from a normal distribution with mean 0 and the given standard deviation. */
export function normal(n: number, std: number, random: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = gaussian(random) * std;
  return out;
}

/**
 * A [rows, cols] matrix with orthonormal rows or columns (whichever are fewer), by modified
 * Gram-Schmidt on a Gaussian matrix, as Keras's Orthogonal initializer gives.
 */
export function orthogonal(rows: number, cols: number, random: () => number): Float32Array {
  const transpose = rows > cols;
  const r = transpose ? cols : rows;
  const c = transpose ? rows : cols;
  const m = Array.from({ length: r }, () => Float64Array.from({ length: c }, () => gaussian(random)));
  for (let i = 0; i < r; i++) {
    const v = m[i];
    for (let j = 0; j < i; j++) {
      const u = m[j];
      let dot = 0;
      for (let k = 0; k < c; k++) dot += v[k] * u[k];
      for (let k = 0; k < c; k++) v[k] -= dot * u[k];
    }
    let norm = 0;
    for (let k = 0; k < c; k++) norm += v[k] * v[k];
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < c; k++) v[k] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < c; k++) {
      if (transpose) out[k * cols + i] = m[i][k];
      else out[i * cols + k] = m[i][k];
    }
  }
  return out;
}

/** A recurrent kernel [H, gates*H]: one orthogonal [H, H] block per gate, as Keras does. */
export function recurrentOrthogonal(hidden: number, gates: number, random: () => number): Float32Array {
  const out = new Float32Array(hidden * gates * hidden);
  for (let g = 0; g < gates; g++) {
    const block = orthogonal(hidden, hidden, random);
    for (let i = 0; i < hidden; i++) {
      for (let j = 0; j < hidden; j++) out[i * gates * hidden + g * hidden + j] = block[i * hidden + j];
    }
  }
  return out;
}

export { rng };
