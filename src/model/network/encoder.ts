/**
 * The encoder: source embedding, then 1-4 recurrent layers (optionally bidirectional, with dropout
 * between layers). Returns the top layer's outputs for attention and every layer's final state,
 * which initialises the matching decoder layer.
 */
import { tf } from '../tf';
import { dropout, type DropoutSeeds } from './dropout';
import type { ModelSettings } from '../config';
import { encoderDirectionSize, get, rnnWeights, type Params } from './params';
import { inputTable } from './inputTables';
import { runRnn, runRnnOnProjected, type RnnState } from './rnn';

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
  const embedding = get(params, 'encoder/embedding') as unknown as tf.Tensor2D;
  // Layer 0's input: the embeddings (with dropout in training), gathered only if a direction projects them.
  let x: tf.Tensor3D | null = null;
  const layerInput = (): tf.Tensor3D => {
    if (!x) {
      x = tf.gather(embedding, srcIds) as unknown as tf.Tensor3D;
      if (training && m.dropout > 0) x = dropout(x, m.dropout, training);
    }
    return x;
  };
  const He = encoderDirectionSize(m);
  const finalStates: RnnState[] = [];
  let outputs!: tf.Tensor3D;
  // One direction of layer l; at inference layer 0 looks its projected inputs up (inputTables.ts).
  const direction = (l: number, dir: 'fwd' | 'bwd') => {
    const w = rnnWeights(params, `encoder/l${l}/${dir}`);
    const table = l === 0 && !training ? inputTable(m.cell, embedding, w) : null;
    return table
      ? runRnnOnProjected(m.cell, tf.gather(table, srcIds) as unknown as tf.Tensor3D, w, zeroState(m, B, He), masks, dir === 'bwd')
      : runRnn(m.cell, layerInput(), w, zeroState(m, B, He), masks, dir === 'bwd');
  };
  for (let l = 0; l < m.layers; l++) {
    const fwd = direction(l, 'fwd');
    let out: tf.Tensor3D;
    if (m.bidirectional) {
      const bwd = direction(l, 'bwd');
      out = tf.concat([fwd.outputs, bwd.outputs], 2) as tf.Tensor3D;
      finalStates.push({
        h: tf.concat([fwd.final.h, bwd.final.h], 1) as tf.Tensor2D,
        c: fwd.final.c ? (tf.concat([fwd.final.c, bwd.final.c!], 1) as tf.Tensor2D) : undefined,
      });
    } else {
      out = fwd.outputs;
      finalStates.push(fwd.final);
    }
    if (training && m.dropout > 0 && l < m.layers - 1) out = dropout(out, m.dropout, training);
    x = out;
    outputs = out;
  }
  return { outputs, finalStates, srcMask };
}
