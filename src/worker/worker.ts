/**
 * The worker process: forked by the extension host (and by tests), it does all TensorFlow work.
 * Every request arriving over IPC is validated, routed to a handler, and answered with `result` or
 * `error` naming its id; `cancel` aborts the request it targets (checked between batches).
 * The backend preference comes from argv (`--backend=wasm`) and is chosen once, at start.
 */
import { backendFromArgv, parseWorkerRequest, type WorkerMessage, type WorkerRequest } from '../protocol/worker';
import { isObj } from '../protocol/validate';
import { Handlers } from './handlers';
import { BackendAbortedError, explainBackendError } from '../model/acceleration/backend';

if (!process.send) {
  console.error('seq2seq worker: must be started with an IPC channel (child_process.fork).');
  process.exit(2);
}

const send = (msg: WorkerMessage): void => {
  if (process.connected) process.send!(msg);
};
const log = (level: 'info' | 'warn' | 'error' | 'debug', message: string): void => send({ type: 'log', level, message });

const handlers = new Handlers(backendFromArgv(process.argv), send);
const inflight = new Map<string, AbortController>();

process.on('message', (raw: unknown) => {
  let req: WorkerRequest;
  try {
    req = parseWorkerRequest(raw);
  } catch (err) {
    const id = isObj(raw) && typeof raw.id === 'string' ? raw.id : '';
    const message = `invalid request: ${errorMessage(err)}`;
    if (id) send({ type: 'error', id, message, code: 'protocol' });
    else log('error', message);
    return;
  }
  void dispatch(req);
});

async function dispatch(req: WorkerRequest): Promise<void> {
  if (req.type === 'cancel') {
    const target = inflight.get(req.target);
    target?.abort();
    send({ type: 'result', id: req.id, result: { cancelled: target !== undefined } });
    return;
  }
  const controller = new AbortController();
  inflight.set(req.id, controller);
  const started = Date.now();
  try {
    let result: unknown;
    switch (req.type) {
      case 'info': result = await handlers.info(); break;
      case 'train': result = await handlers.train(req, controller.signal); break;
      case 'tune': result = await handlers.tune(req, controller.signal); break;
      case 'translate': result = await handlers.translate(req, controller.signal); break;
      case 'generate': result = await handlers.generate(req, controller.signal); break;
      case 'inspect': result = handlers.inspect(req); break;
      case 'profile': result = await handlers.profile(req); break;
    }
    send({ type: 'result', id: req.id, result });
    log('debug', `${req.type} ${req.id} done in ${Date.now() - started} ms`);
  } catch (caught) {
    const err = explainBackendError(caught);
    const cancelled = controller.signal.aborted;
    send({ type: 'error', id: req.id, message: cancelled ? 'cancelled' : errorMessage(err), code: cancelled ? 'cancelled' : errorCode(err) });
    if (!cancelled) log('warn', `${req.type} ${req.id} failed: ${err instanceof Error && err.stack ? err.stack : errorMessage(err)}`);
    // After a wasm abort nothing more can run in this process: exit, and the extension starts a new one.
    if (err instanceof BackendAbortedError) setTimeout(() => process.exit(70), 100);
  } finally {
    inflight.delete(req.id);
  }
}

// The extension host went away: nothing is left to serve.
process.on('disconnect', () => {
  for (const c of inflight.values()) c.abort();
  handlers.dispose();
  process.exit(0);
});

handlers.info().then(
  (info) => send({ type: 'ready', info }),
  (err) => log('error', `backend failed to start: ${errorMessage(err)}`),
);

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  return err instanceof Error && err.name && err.name !== 'Error' ? err.name : undefined;
}
