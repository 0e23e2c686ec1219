/**
 * Data-parallel training on a second core. The WebAssembly backend runs one thread, so a training
 * step uses one core; a replica of the model on a worker thread computes the gradients of half of
 * each batch while the main thread computes the other half. The halves' gradients are combined
 * weighted by their target tokens, which is exactly the gradient of the whole batch's mean loss, so
 * training follows the same path as on one thread (up to float rounding). The main thread keeps
 * the only optimizer; the replica receives the current weights with every half batch.
 *
 * The messages between the two threads are defined here, once; the thread's side is replicaThread.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { nativeKernelsStatus, type BackendPreference } from './backend';
import { setBlasThreads } from './native/addon';
import type { Seq2SeqSettings } from '../config';
import type { BatchArrays } from '../data/data';
import type { Seq2SeqModel } from '../network/seq2seq';
import type { VocabularyJSON } from '../data/tokenizer';
import { batchGradients, type BatchGradients } from '../training/gradients';
import { tf } from '../tf';

export type ReplicaRequest =
  | { kind: 'init'; backend: BackendPreference; settings: Seq2SeqSettings; source: VocabularyJSON; target: VocabularyJSON; shapes: number[][] }
  | { kind: 'step'; id: number; weights: Float32Array[]; batch: BatchArrays; dropoutSeed: number };

export type ReplicaReply =
  | { kind: 'ready' }
  | { kind: 'grads'; id: number; loss: number; correct: number; grads: Float32Array[] }
  | { kind: 'error'; id?: number; message: string };

/** Fewest rows a half batch may have; smaller batches are not split (the second thread would not pay off). */
export const MIN_ROWS_PER_REPLICA = 8;

/**
 * Threads for training by default: two where there are two cores and the backend is single-threaded;
 * one with native TensorFlow or with our native kernels, whose BLAS already uses every core (one
 * thread with a 2-thread BLAS measured faster than two replicas on a 1-thread BLAS: bench/README.md).
 */
export function defaultTrainingThreads(backend: string): number {
  if (backend === 'tensorflow' || nativeKernelsStatus().active) return 1;
  return availableParallelism() >= 2 ? 2 : 1;
}

/** Starts the replica thread: the bundle next to this one, or (tests, benchmarks) the TypeScript source through tsx. */
function startReplicaThread(): Worker {
  const bundled = join(__dirname, 'replica.js');
  if (existsSync(bundled)) return new Worker(bundled, { stdout: false, stderr: false });
  const source = join(__dirname, 'replicaThread.ts');
  // Resolved at run time (not by the bundler): tsx exists only in development.
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  const boot = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});`;
  return new Worker(boot, { eval: true, stdout: false, stderr: false });
}

export class GradientReplica {
  private nextId = 1;
  private pending: { id: number; resolve: (r: Extract<ReplicaReply, { kind: 'grads' }>) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private closed = false;

  /** BLAS threads before the replica started: each training thread uses one while it runs. */
  private readonly blasThreadsBefore: number;

  private constructor(private readonly worker: Worker, private readonly shapes: number[][]) {
    this.blasThreadsBefore = setBlasThreads(1);
    worker.on('message', (msg: ReplicaReply) => this.onReply(msg));
    worker.on('error', (e) => this.fail(new Error(`the training thread failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the training thread exited (code ${code})`)));
  }

  /** Starts a replica of the model on a worker thread; resolves when it is ready for steps. */
  static async start(model: Seq2SeqModel, backend: BackendPreference): Promise<GradientReplica> {
    const worker = startReplicaThread();
    const shapes = [...model.params.values()].map((v) => v.shape);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: ReplicaReply) => {
        cleanup();
        if (msg.kind === 'ready') resolve();
        else reject(new Error(`the training thread did not start: ${msg.kind === 'error' ? msg.message : msg.kind}`));
      };
      const onError = (e: Error) => { cleanup(); reject(new Error(`the training thread did not start: ${e.message}`)); };
      const onExit = (code: number) => { cleanup(); reject(new Error(`the training thread did not start (exit code ${code})`)); };
      const cleanup = () => { worker.off('message', onMessage); worker.off('error', onError); worker.off('exit', onExit); };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const init: ReplicaRequest = { kind: 'init', backend, settings: model.settings, source: model.source.toJSON(), target: model.target.toJSON(), shapes };
      worker.postMessage(init);
    }).catch(async (e) => { await worker.terminate(); throw e; });
    return new GradientReplica(worker, shapes);
  }

  /**
   * Sends the current weights and a half batch; resolves with that half's mean loss, correct count
   * and gradients (in weight order). Only one request is in flight at a time.
   */
  gradients(weights: Float32Array[], batch: BatchArrays, dropoutSeed: number): Promise<{ loss: number; correct: number; grads: Float32Array[] }> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('the training thread is busy'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      const msg: ReplicaRequest = { kind: 'step', id, weights, batch, dropoutSeed };
      this.worker.postMessage(msg, [...weights.map((w) => w.buffer), batch.src.buffer, batch.tgtIn.buffer, batch.tgtOut.buffer] as ArrayBuffer[]);
    });
  }

  /**
   * The gradients of a batch split in two: `mine` computed here while the replica computes `theirs`
   * with the same weights. Combined weighted by target tokens, they are the gradients of the whole
   * batch's mean loss, so a step with them equals a step on the whole batch. Caller disposes them.
   */
  async splitBatchGradients(model: Seq2SeqModel, mine: BatchArrays, theirs: BatchArrays, dropoutSeed: number): Promise<BatchGradients> {
    const targetTokens = theirs.targetTokens;
    const remote = this.gradients([...model.params.values()].map((v) => ownedFloats(v)), theirs, mixSeed(dropoutSeed));
    let local: BatchGradients | null = null;
    try {
      local = batchGradients(model, mine, dropoutSeed);
      const r = await remote;
      const w1 = mine.targetTokens / (mine.targetTokens + targetTokens);
      const w2 = targetTokens / (mine.targetTokens + targetTokens);
      const grads = new Map<string, tf.Tensor>();
      [...model.params.keys()].forEach((name, i) => {
        const g1 = local!.grads.get(name)!;
        grads.set(name, tf.tidy(() => tf.add(tf.mul(g1, w1), tf.mul(tf.tensor(r.grads[i], g1.shape), w2))));
      });
      return { loss: local.loss * w1 + r.loss * w2, correct: local.correct + r.correct, grads };
    } finally {
      if (local) for (const g of local.grads.values()) g.dispose();
      else remote.catch(() => { /* the local error is the one reported */ });
    }
  }

  private onReply(msg: ReplicaReply): void {
    const p = this.pending;
    if (msg.kind === 'error') { this.fail(new Error(msg.message)); return; }
    if (msg.kind !== 'grads' || !p || msg.id !== p.id) return;
    const ok = msg.grads.length === this.shapes.length &&
      msg.grads.every((g, i) => g instanceof Float32Array && g.length === this.shapes[i].reduce((a, b) => a * b, 1));
    this.pending = null;
    if (!ok) { p.reject(new Error('the training thread sent gradients of the wrong shape')); return; }
    p.resolve(msg);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const p = this.pending;
    this.pending = null;
    p?.reject(this.failure);
  }

  async close(): Promise<void> {
    if (!this.closed) setBlasThreads(this.blasThreadsBefore);
    this.closed = true;
    this.failure ??= new Error('the training thread was closed');
    await this.worker.terminate();
  }
}

/** The second half's dropout seed: its masks must differ from the first half's. */
function mixSeed(seed: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ 0x165667b1) >>> 0;
}

/** A tensor's values in a buffer of their own (safe to transfer to another thread). */
function ownedFloats(t: tf.Tensor): Float32Array {
  const a = t.dataSync() as Float32Array;
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && tf.getBackend() === 'wasm' ? a : a.slice();
}
