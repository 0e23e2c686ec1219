/** One optimisation step: gradients of a padded batch (on this thread, or split with a replica), then Adam. */
import { padBatch, type BatchArrays, type Example } from '../data/data';
import { BOS, EOS, type Seq2SeqModel } from '../network/seq2seq';
import { MIN_ROWS_PER_REPLICA, type GradientReplica } from '../acceleration/gradientReplica';
import { batchGradients, type BatchGradients } from './gradients';
import type { Adam } from './optimizer';

/** A step's outcome: the batch's mean loss and correct-token count, and whether the weights were updated. */
export interface StepResult { loss: number; correct: number; applied: boolean }

/**
 * Applies the gradients with the model's clipping and disposes them. A non-finite loss or gradient
 * norm updates nothing (applied: false); the loop decides what follows (divergence.ts).
 */
function applyGradients(model: Seq2SeqModel, optimizer: Adam, g: BatchGradients): StepResult {
  let applied = false;
  try {
    if (Number.isFinite(g.loss)) applied = Number.isFinite(optimizer.apply(model.params, Object.fromEntries(g.grads), model.settings.train.clipNorm));
  } finally {
    for (const t of g.grads.values()) t.dispose();
  }
  return { loss: g.loss, correct: g.correct, applied };
}

/**
 * One optimisation step on a padded batch; returns the batch's mean loss and its correct-token count.
 * dropoutSeed: the step's seed for its dropout masks (stepDropoutSeed of the run's seed and step).
 */
export function trainStep(model: Seq2SeqModel, optimizer: Adam, b: BatchArrays, dropoutSeed = 0): StepResult {
  return applyGradients(model, optimizer, batchGradients(model, b, dropoutSeed));
}

/** One optimisation step on two halves of a batch, the second half's gradients computed by the replica at the same time. */
export async function trainStepParallel(
  model: Seq2SeqModel, optimizer: Adam, mine: BatchArrays, theirs: BatchArrays, replica: GradientReplica, dropoutSeed = 0,
): Promise<StepResult> {
  return applyGradients(model, optimizer, await replica.splitBatchGradients(model, mine, theirs, dropoutSeed));
}

/**
 * The step the training loop takes for one batch of example indices: split across two threads when
 * a replica is running and the batch is big enough, else on this thread. Rows are dealt alternately
 * so both halves have nearly the same lengths and hence the same work.
 */
export async function trainOnBatch(
  model: Seq2SeqModel, optimizer: Adam, examples: Example[], idx: number[], replica: GradientReplica | null, dropoutSeed = 0,
): Promise<{ b: { batch: number; targetTokens: number } } & StepResult> {
  if (!replica || idx.length < 2 * MIN_ROWS_PER_REPLICA) {
    const b = padBatch(examples, idx, BOS, EOS);
    return { b, ...trainStep(model, optimizer, b, dropoutSeed) };
  }
  const mine = padBatch(examples, idx.filter((_, i) => i % 2 === 0), BOS, EOS);
  const theirs = padBatch(examples, idx.filter((_, i) => i % 2 === 1), BOS, EOS);
  const b = { batch: idx.length, targetTokens: mine.targetTokens + theirs.targetTokens };
  return { b, ...(await trainStepParallel(model, optimizer, mine, theirs, replica, dropoutSeed)) };
}
