/**
 * The worker-thread side of a gradient replica (see gradientReplica.ts): builds the same model,
 * then for every half batch takes the main thread's current weights and returns that half's
 * gradients. It has its own TensorFlow.js engine and WebAssembly instance.
 */
import { parentPort } from 'node:worker_threads';
import { explainBackendError, initBackend, tf } from './backend';
import { batchGradients } from '../training/gradients';
import type { ReplicaReply, ReplicaRequest } from './gradientReplica';
import { Seq2SeqModel } from '../network/seq2seq';
import { Vocabulary } from '../data/tokenizer';

const port = parentPort;
if (!port) throw new Error('replicaThread.ts runs as a worker thread only');

let model: Seq2SeqModel | null = null;

function reply(msg: ReplicaReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

port.on('message', async (msg: ReplicaRequest) => {
  try {
    if (msg.kind === 'init') {
      await initBackend(msg.backend);
      model = Seq2SeqModel.create(msg.settings, Vocabulary.fromJSON(msg.source), Vocabulary.fromJSON(msg.target));
      const shapes = [...model.params.values()].map((v) => v.shape);
      if (JSON.stringify(shapes) !== JSON.stringify(msg.shapes)) throw new Error('the replica model has different weight shapes');
      reply({ kind: 'ready' });
      return;
    }
    if (!model) throw new Error('step before init');
    const vars = [...model.params.values()];
    if (msg.weights.length !== vars.length) throw new Error('wrong number of weights');
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(msg.weights[i], v.shape))));
    const r = batchGradients(model, msg.batch, msg.dropoutSeed);
    const grads = [...r.grads.values()].map((g) => { const a = g.dataSync() as Float32Array; g.dispose(); return a; });
    reply({ kind: 'grads', id: msg.id, loss: r.loss, correct: r.correct, grads }, grads.map((g) => g.buffer as ArrayBuffer));
  } catch (e) {
    const err = explainBackendError(e) as Error;
    reply({ kind: 'error', id: msg.kind === 'step' ? msg.id : undefined, message: err.message });
  }
});
