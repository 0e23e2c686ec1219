/**
 * The extension's side of one worker process: forks `dist/worker.js` on first request, sends
 * requests with ids, routes replies and progress to the caller, turns an AbortSignal into a
 * `cancel` message, and reports the worker's death in plain words. No `vscode` import, so the
 * integration tests drive the real worker through this same class.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { BackendPreference } from '../model/acceleration/backend';
import type { TrainEvent } from '../model/training/events';
import type { TuneEvent } from '../model/training/tuneEvents';
import { isObj, ProtocolError } from '../protocol/validate';
import {
  backendArg, parseWorkerMessage, parseWorkerResult, type WorkerInfo, type WorkerMessage, type WorkerRequest, type WorkerResults,
} from '../protocol/worker';

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RequestHandlers {
  onTrainEvent?: (event: TrainEvent) => void;
  onTuneEvent?: (event: TuneEvent) => void;
  onProgress?: (done: number, total: number) => void;
  onChunk?: (text: string) => void;
}

export interface WorkerExit {
  /** Plain words for the user, e.g. "ran out of memory". */
  reason: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we stopped it ourselves (dispose or backend change). */
  expected: boolean;
  /** Request types that were running when it died. */
  interrupted: string[];
}

/** Rejection of a request whose worker died or was cancelled; `code` tells which. */
export class WorkerError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = 'WorkerError';
  }
}

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;
export type RequestBody = DistributiveOmit<Exclude<WorkerRequest, { type: 'cancel' }>, 'id'>;

interface Pending {
  type: keyof WorkerResults;
  /** The process the request was sent to: only its exit fails the request. */
  child: ChildProcess;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  handlers: RequestHandlers;
}

export interface WorkerClientOptions {
  /** Path of the bundled worker script. */
  script: string;
  /** Shown in logs: which worker this is. */
  role: string;
  backend: () => BackendPreference;
  log: Logger;
  onExit?: (exit: WorkerExit) => void;
  onInfo?: (info: WorkerInfo) => void;
  /** Extra V8 flags for the worker, e.g. a larger heap. */
  execArgv?: string[];
}

let nextId = 1;

export class WorkerClient {
  private child: ChildProcess | null = null;
  private childBackend: BackendPreference | null = null;
  private readonly pending = new Map<string, Pending>();
  private stderrTail: string[] = [];
  private stopping = new WeakSet<ChildProcess>();
  info: WorkerInfo | null = null;

  constructor(private readonly opts: WorkerClientOptions) {}

  get running(): boolean { return this.child !== null; }
  get busy(): boolean { return this.pending.size > 0; }
  get pid(): number | undefined { return this.child?.pid; }

  request<T extends RequestBody['type']>(
    body: Extract<RequestBody, { type: T }>,
    handlers: RequestHandlers = {},
    signal?: AbortSignal,
  ): Promise<WorkerResults[T]> {
    if (signal?.aborted) return Promise.reject(new WorkerError('cancelled', 'cancelled'));
    const child = this.ensure();
    const id = `${this.opts.role}-${nextId++}`;
    return new Promise<WorkerResults[T]>((resolve, reject) => {
      const onAbort = () => this.sendCancel(id);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        type: body.type,
        child,
        handlers,
        resolve: (v) => { signal?.removeEventListener('abort', onAbort); resolve(v as WorkerResults[T]); },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      });
      child.send({ ...body, id } as WorkerRequest, (err) => {
        if (err) this.settle(id, (p) => p.reject(new WorkerError(`could not reach the worker: ${err.message}`, 'ipc')));
      });
    });
  }

  /** Stops the process; its pending requests fail. The next request forks a new one at once. */
  stop(): void {
    const child = this.child;
    if (!child) return;
    this.stopping.add(child);
    this.child = null;
    child.kill();
  }

  dispose(): void {
    this.stop();
  }

  private ensure(): ChildProcess {
    const backend = this.opts.backend();
    // A changed backend setting applies from the next idle moment: restart the worker.
    if (this.child && this.childBackend !== backend && this.pending.size === 0) {
      this.opts.log.info(`${this.opts.role} worker: backend setting changed to ${backend}, restarting`);
      this.stop();
    }
    if (this.child) return this.child;
    const started = Date.now();
    // --role only labels the process for `ps`; the worker ignores it.
    const child = fork(this.opts.script, [backendArg(backend), `--role=${this.opts.role}`], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: this.opts.execArgv ?? [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    this.child = child;
    this.childBackend = backend;
    this.info = null;
    this.stderrTail = [];
    this.opts.log.info(`${this.opts.role} worker: started pid ${child.pid} (backend preference ${backend})`);
    pipeLines(child.stdout, (l) => this.opts.log.debug(`[${this.opts.role} worker] ${l}`));
    pipeLines(child.stderr, (l) => {
      this.stderrTail.push(l);
      if (this.stderrTail.length > 30) this.stderrTail.shift();
      this.opts.log.warn(`[${this.opts.role} worker] ${l}`);
    });
    child.on('message', (raw) => this.onMessage(raw, started));
    child.on('error', (err) => this.opts.log.error(`${this.opts.role} worker: ${err.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onMessage(raw: unknown, started: number): void {
    let msg: WorkerMessage;
    try {
      msg = parseWorkerMessage(raw);
    } catch (err) {
      this.refuse(raw, err);
      return;
    }
    switch (msg.type) {
      case 'ready':
        this.info = msg.info;
        this.opts.log.info(`${this.opts.role} worker: ready in ${Date.now() - started} ms, backend ${msg.info.backend}, Node ${msg.info.node}`);
        this.opts.onInfo?.(msg.info);
        break;
      case 'result':
        this.settle(msg.id, (p) => {
          try {
            p.resolve(parseWorkerResult(p.type, msg.result));
          } catch (err) {
            this.opts.log.error(`${this.opts.role} worker sent an invalid ${p.type} result: ${(err as Error).message}`);
            p.reject(new WorkerError(`the worker sent an invalid ${p.type} result: ${(err as Error).message}`, 'protocol'));
          }
        });
        break;
      case 'error':
        this.settle(msg.id, (p) => p.reject(new WorkerError(msg.message, msg.code)));
        break;
      case 'tune-event':
        this.pending.get(msg.id)?.handlers.onTuneEvent?.(msg.event);
        break;
      case 'train-event':
        this.pending.get(msg.id)?.handlers.onTrainEvent?.(msg.event);
        break;
      case 'translate-progress':
        this.pending.get(msg.id)?.handlers.onProgress?.(msg.done, msg.total);
        break;
      case 'generate-chunk':
        this.pending.get(msg.id)?.handlers.onChunk?.(msg.text);
        break;
      case 'log':
        this.opts.log[msg.level](`[${this.opts.role} worker] ${msg.message}`);
        break;
    }
  }

  /**
   * A message that does not pass the protocol is logged and dropped; if it was the reply to a request,
   * that request fails with the reason, instead of waiting for ever.
   */
  private refuse(raw: unknown, err: unknown): void {
    const why = err instanceof ProtocolError ? err.message : String(err);
    this.opts.log.error(`${this.opts.role} worker sent an invalid message: ${why}`);
    const isReply = isObj(raw) && (raw.type === 'result' || raw.type === 'error') && typeof raw.id === 'string';
    if (isReply) this.settle(raw.id as string, (p) => p.reject(new WorkerError(`the worker sent an invalid reply: ${why}`, 'protocol')));
  }

  private settle(id: string, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    fn(p);
  }

  private sendCancel(target: string): void {
    if (!this.pending.has(target) || !this.child?.connected) return;
    this.child.send({ type: 'cancel', id: `${target}-cancel`, target } satisfies WorkerRequest);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.stopping.has(child);
    if (this.child === child) this.child = null;
    const reason = describeExit(code, signal, this.stderrTail);
    const mine = [...this.pending].filter(([, p]) => p.child === child);
    const interrupted = mine.map(([, p]) => p.type);
    (expected ? this.opts.log.info : this.opts.log.error).call(this.opts.log, `${this.opts.role} worker: exited (${reason})`);
    for (const [id, p] of mine) {
      this.pending.delete(id);
      p.reject(new WorkerError(expected ? 'the worker was stopped' : `the worker process ${reason}`, expected ? 'stopped' : 'worker-died'));
    }
    this.opts.onExit?.({ reason, code, signal, expected, interrupted });
  }
}

/** Plain words for how a process ended. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null, stderrTail: string[] = []): string {
  const tail = stderrTail.join('\n');
  if (/heap out of memory|Allocation failed|out of memory/i.test(tail)) return 'ran out of memory';
  if (signal === 'SIGKILL') return 'was killed (SIGKILL — possibly by the system for using too much memory)';
  if (signal) return `was stopped by signal ${signal}`;
  if (code === 0) return 'exited';
  return `crashed (exit code ${code})`;
}

function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (l) => { if (l.trim()) onLine(l); });
}
