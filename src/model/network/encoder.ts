/**
 * The encoder: source embedding, then 1-4 recurrent layers (optionally bidirectional, with dropout
 * between layers). Returns the top layer's outputs for attention and every layer's final state,
 * which initialises the matching decoder layer.
 */
import { tf } from '../tf';
import { dropout, type DropoutSeeds } from './dropout';
import type { ModelSettings } from '../config';
import { encoderDirectionSize, get, rnnWeights, type Params } from './params';
import { runRnn, type RnnState } from './rnn';

export interface EncoderOutput {
  /** [S, B, H] time-major */
  outputs: tf.Tensor3D;
  /** Per layer: the state that initialises the decoder layer of the same depth. */
  finalStates: RnnState[];
  /** [S, B], 1 for real tokens */
  srcMask: tf.Tensor2D;
}

export function zeroState(m: ModelSettings, batch: number, size: number): RnnState {
  const h = tf.zeros([batch, size]) as tf.Tensor2D;
  return m.cell === 'lstm' ? { h, c: tf.zeros([batch, size]) as tf.Tensor2D } : { h };
}

/**
 * srcIds: [S, B] int32, 0 = padding. hasPadding=false skips masking work when no row is padded.
 * training: the step's dropout seeds, or null at inference (no dropout).
 */
export function encode(m: ModelSettings, params: Params, srcIds: tf.Tensor2D, hasPadding: boolean, training: DropoutSeeds | null): EncoderOutput {
  const [S, B] = srcIds.shape;
  const srcMask = tf.cast(tf.notEqual(srcIds, 0), 'float32') as tf.Tensor2D;
  const masks = hasPadding ? (tf.unstack(tf.reshape(srcMask, [S, B, 1])) as tf.Tensor2D[]) : null;
  let x = tf.gather(get(params, 'encoder/embedding'), srcIds) as tf.Tensor3D;
  if (training && m.dropout > 0) x = dropout(x, m.dropout, training);
  const He = encoderDirectionSize(m);
  const finalStates: RnnState[] = [];
  for (let l = 0; l < m.layers; l++) {
    const fwd = runRnn(m.cell, x, rnnWeights(params, `encoder/l${l}/fwd`), zeroState(m, B, He), masks);
    if (m.bidirectional) {
      const bwd = runRnn(m.cell, x, rnnWeights(params, `encoder/l${l}/bwd`), zeroState(m, B, He), masks, true);
      x = tf.concat([fwd.outputs, bwd.outputs], 2) as tf.Tensor3D;
      finalStates.push({
        h: tf.concat([fwd.final.h, bwd.final.h], 1) as tf.Tensor2D,
        c: fwd.final.c ? (tf.concat([fwd.final.c, bwd.final.c!], 1) as tf.Tensor2D) : undefined,
      });
    } else {
      x = fwd.outputs;
      finalStates.push(fwd.final);
    }
    if (training && m.dropout > 0 && l < m.layers - 1) x = dropout(x, m.dropout, training);
  }
  return { outputs: x, finalStates, srcMask };
}
