// Bundles the extension host, the worker and the CLI for Node, and the webview for the browser.
// The wasm binaries of @tensorflow/tfjs-backend-wasm are copied next to the Node bundles so the
// packaged extension works without node_modules. tfjs-node stays external: it is optional and
// native, and is used only when it is installed beside the extension.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { buildNativeBlas } from './native/build.mjs';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  logLevel: 'warning',
};

const builds = [
  { ...nodeCommon, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { worker: 'src/worker/worker.ts' }, outdir: 'dist' },
  // The second training thread (see src/model/acceleration/gradientReplica.ts), started by the worker and the CLI.
  { ...nodeCommon, entryPoints: { replica: 'src/model/acceleration/replicaThread.ts' }, outdir: 'dist' },
  // "Export Training Job…" runs in a child process of the extension host (src/extension/exportJobCommand.ts).
  { ...nodeCommon, entryPoints: { exportJob: 'src/worker/exportJob.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
    loader: { '.css': 'css' },
    logLevel: 'warning',
  },
].filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));

function copyAssets() {
  mkdirSync('dist', { recursive: true });
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of readdirSync(wasmDir)) {
    if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join('dist', f));
  }
  for (const [from, to] of [
    ['@vscode/codicons/dist/codicon.css', 'codicon.css'],
    ['@vscode/codicons/dist/codicon.ttf', 'codicon.ttf'],
    ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
  ]) {
    try { copyFileSync(require.resolve(from), join('dist', to)); } catch { /* optional asset */ }
  }
}

copyAssets();
// Optional: our native kernels on the system BLAS (native/blas; loaded by src/model/acceleration/native/addon.ts).
buildNativeBlas('dist');
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
