/** The VS Code webview API, typed for our messages. Outside VS Code (a plain browser) it logs instead. */
import type { WebviewToExtension } from '../protocol/webview';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | null = null;

function get(): VsCodeApi {
  if (api) return api;
  if (typeof acquireVsCodeApi === 'function') {
    api = acquireVsCodeApi();
  } else {
    let state: unknown;
    api = {
      postMessage: (msg) => console.info('[seq2seq] would post', msg),
      getState: () => state,
      setState: (s) => { state = s; },
    };
  }
  return api;
}

export function post(msg: WebviewToExtension): void { get().postMessage(msg); }
export function loadState(): unknown { return get().getState(); }
export function saveState(state: unknown): void { get().setState(state); }
