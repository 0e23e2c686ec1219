/**
 * One recurrent layer (LSTM or GRU) over a whole time-major sequence. The input projection of all
 * time steps is one matrix multiply; the recurrence itself is the seam's rnnSequence (kernels()),
 * whichever implementation the backend provides. Padding is masked: where mask is 0 the state is
 * carried through unchanged, so an encoder's final state is the state after its last real token,
 * in either direction.
 *
 * Weight layout follows Keras (so Keras-converted weights map one to one): LSTM gates i, f, c, o;
 * GRU gates z, r, h with reset_after (two bias rows: input and recurrent).
 */
import { tf } from '../tf';
import type { CellKind } from '../config';
import { kernels, type RnnState, type RnnWeights, type SequenceResult } from '../acceleration/kernels';
import { projectInputs } from '../acceleration/reference/recurrentCells';

export type { RnnState, RnnWeights };
export { projectInputs };

export function gatesOf(cell: CellKind): number { return cell === 'lstm' ? 4 : 3; }

export type RnnResult = SequenceResult;

/**
 * Runs the layer over x [T, B, in]. masks[t] is [B, 1] (1 = real token) or null for no padding.
 * With reverse, steps run from the end; outputs are still returned in input order.
 */
export function runRnn(
  cell: CellKind, x: tf.Tensor3D, w: RnnWeights, initial: RnnState, masks: tf.Tensor2D[] | null, reverse = false,
): RnnResult {
  return runRnnOnProjected(cell, projectInputs(cell, x, w), w, initial, masks, reverse);
}

/** runRnn with the inputs already projected: xw [T, B, gates*H], bias included (e.g. rows of an input table). */
export function runRnnOnProjected(
  cell: CellKind, xw: tf.Tensor3D, w: RnnWeights, initial: RnnState, masks: tf.Tensor2D[] | null, reverse = false,
): RnnResult {
  const mask = masks ? (tf.stack(masks) as tf.Tensor3D) : null;
  return kernels().rnnSequence(cell, xw, w, initial, mask, reverse);
}
