/**
 * Seq2Seq Studio's training panel, in the browser (bundled by esbuild.mjs to dist/webview.js as an
 * IIFE, with the CSS it imports emitted as dist/webview.css).
 *
 * What this bundle expects from the page the WebviewViewProvider serves:
 * - a `<div id="app"></div>` (or `id="root"`) to draw into (the body is used if both are missing);
 * - stylesheets dist/webview.css, dist/codicon.css (codicons, with codicon.ttf beside it) and
 *   dist/uPlot.min.css, linked through `asWebviewUri`;
 * - this script with the CSP nonce; the CSP may stay strict: the panel sets no inline style
 *   attributes or <style> elements (uPlot sizes its canvas through the CSSOM, which CSP allows,
 *   so `style-src` needs no 'unsafe-inline'), evaluates no strings, and loads nothing itself;
 * - VS Code's theme classes on <body> (vscode-light / vscode-dark / vscode-high-contrast) and its
 *   --vscode-* CSS variables, which VS Code provides in every webview.
 *
 * Conversation: the panel posts `ready` once it listens; the extension answers with `state`
 * (PanelState, including the snapshot of a training in progress) and afterwards streams
 * `train-event`, `models`, `data-file`, `try-result` and `error` (src/protocol/webview.ts). Every
 * incoming message is checked (src/protocol/toWebview.ts); malformed ones are dropped. `state` may
 * come again at any time (shown again, a run starting or ending) and replaces the picture; live
 * events already in its snapshot are not counted twice. Optional: `dataProfile` in PanelState and
 * `profile` in `data-file` (DataProfile) let the form show the sizes a preset will pick exactly.
 */
import '../../media/panel.css';
import { App } from './app';

const root = document.getElementById('app') ?? document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
new App(root);
