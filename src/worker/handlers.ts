/**
 * One function per worker request: each calls the engine (src/model) and reports progress through
 * `send`. They run concurrently; training yields to the event loop between batches, so a translate
 * request is served while a model trains (with its own model instance, loaded from the saved folder).
 */
import { initBackend, trainModel, translate, generate, profileDataFile } from '../model/index';
import { nativeKernelsSummary, tfjsVersions } from '../model/acceleration/backend';
import { readModelSummary } from '../model/storage/modelFolder';
import { tune } from '../model/training/tune';
import { checkSpace } from '../model/training/tuneSpace';
import type { BackendPreference } from '../model/acceleration/backend';
import type { WorkerInfo, WorkerMessage, WorkerRequest, WorkerResults } from '../protocol/worker';
import { attentionMapFits } from '../protocol/records';
import { ModelCache } from './modelCache';

export type Send = (msg: WorkerMessage) => void;

export class Handlers {
  private readonly models = new ModelCache();
  private backend: Promise<string> | null = null;

  constructor(private readonly backendPref: BackendPreference, private readonly send: Send) {}

  /** Chooses the backend once per process. */
  ready(): Promise<string> {
    this.backend ??= initBackend(this.backendPref);
    return this.backend;
  }

  async info(): Promise<WorkerInfo> {
    const backend = await this.ready();
    return { backend, tfjsVersion: tfjsVersion(), pid: process.pid, node: process.version, nativeKernels: nativeKernelsSummary() };
  }

  async train(req: Extract<WorkerRequest, { type: 'train' }>, signal: AbortSignal): Promise<WorkerResults['train']> {
    await this.ready();
    const { type: _type, id, ...options } = req;
    return trainModel(options, (event) => this.send({ type: 'train-event', id, event }), signal);
  }

  /** One trial at a time, in this process, through the same training loop as `train`. */
  async tune(req: Extract<WorkerRequest, { type: 'tune' }>, signal: AbortSignal): Promise<WorkerResults['tune']> {
    await this.ready();
    const { type: _type, id, space, ...options } = req;
    return tune({ ...options, space: space && checkSpace(space) }, (event) => this.send({ type: 'tune-event', id, event }), signal);
  }

  async translate(req: Extract<WorkerRequest, { type: 'translate' }>, signal: AbortSignal): Promise<WorkerResults['translate']> {
    await this.ready();
    let lastSent = 0;
    const outputs = await this.models.with(req.modelDir, (model) => translate(model, req.inputs, req.decode, {
      signal,
      onProgress: (done, total) => {
        // At most ~20 progress messages a second.
        const now = Date.now();
        if (done < total && now - lastSent < 50) return;
        lastSent = now;
        this.send({ type: 'translate-progress', id: req.id, done, total });
      },
    }));
    // Maps larger than a message may carry are left out (the text and scores still go).
    if (req.decode?.attention) for (const hyps of outputs) for (const h of hyps) if (h.attention && !attentionMapFits(h.attention)) delete h.attention;
    return { outputs };
  }

  async generate(req: Extract<WorkerRequest, { type: 'generate' }>, signal: AbortSignal): Promise<WorkerResults['generate']> {
    await this.ready();
    return this.models.with(req.modelDir, (model) => generate(
      model, req.prompt, { decode: req.decode, maxTokens: req.maxTokens, maxLines: req.maxLines, stopAtBlankLine: req.stopAtBlankLine, atStart: req.atStart },
      (chunk) => this.send({ type: 'generate-chunk', id: req.id, text: chunk }), signal,
    ));
  }

  profile(req: Extract<WorkerRequest, { type: 'profile' }>): Promise<WorkerResults['profile']> {
    return profileDataFile(req.dataFile, req.task);
  }

  inspect(req: Extract<WorkerRequest, { type: 'inspect' }>): WorkerResults['inspect'] {
    return readModelSummary(req.modelDir);
  }

  dispose(): void {
    this.models.disposeAll();
  }
}

function tfjsVersion(): string {
  return tfjsVersions.core;
}
