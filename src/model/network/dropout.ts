/**
 * Dropout for training: x times a mask of 1/(1 - rate) (probability 1 - rate) and 0, as tf.dropout
 * computes it. Masks come from the seam's dropoutMask (kernels()) with seeds drawn from one stream
 * per training step, so the run's seed and the step number fix every mask: two runs with the same
 * seed train the same weights, and a resumed run draws the masks the uninterrupted one would have.
 */
import { tf } from '../tf';
import { kernels } from '../acceleration/kernels';

/** The seeds of one training step's dropout masks, in the order the forward pass asks for them. */
export class DropoutSeeds {
  private drawn = 0;
  constructor(private readonly stepSeed: number) {}

  next(): number { return mix32(this.stepSeed, ++this.drawn); }
}

/** The seed of a training step's masks, from the run's seed, the step and (for a batch split over two threads) the part. */
export function stepDropoutSeed(runSeed: number, step: number, part = 0): number {
  return mix32(mix32(runSeed >>> 0, step >>> 0), part);
}

export function dropout<T extends tf.Tensor>(x: T, rate: number, seeds: DropoutSeeds): T {
  if (rate <= 0) return x;
  return tf.mul(x, kernels().dropoutMask(x.shape, 1 - rate, seeds.next())) as T;
}

/** A 32-bit hash of two 32-bit numbers (murmur3's finaliser over their combination). */
function mix32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
