/**
 * Gradients of the training loss for one padded batch: the one place `variableGrads` is called, used
 * by the training step on the main thread and by a gradient replica on a second thread alike.
 */
import { tf } from '../tf';
import type { BatchArrays } from '../data/data';
import type { Seq2SeqModel } from '../network/seq2seq';

export interface BatchGradients {
  /** Mean loss per real target token of this batch. */
  loss: number;
  /** Correctly predicted real target tokens. */
  correct: number;
  /** Gradients of the mean loss, by weight name, in the model's weight order. Caller disposes. */
  grads: Map<string, tf.Tensor>;
}

/** dropoutSeed: the training step's seed for its dropout masks (see network/dropout.ts). */
export function batchGradients(model: Seq2SeqModel, b: BatchArrays, dropoutSeed: number): BatchGradients {
  const names = [...model.params.keys()];
  const vars = names.map((n) => model.params.get(n)!);
  let correctT: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const r = model.batchLoss(b, dropoutSeed);
    correctT = tf.keep(r.correct);
    return r.loss;
  }, vars);
  const loss = value.dataSync()[0];
  const correct = (correctT as unknown as tf.Scalar).dataSync()[0];
  value.dispose();
  (correctT as unknown as tf.Scalar).dispose();
  return { loss, correct, grads: new Map(names.map((n, i) => [n, grads[vars[i].name]])) };
}
