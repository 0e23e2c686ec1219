/**
 * A stand-in for VS Code's webview host: a loopback HTTP server serves the built bundle
 * (dist/webview.js, dist/webview.css, codicons, uPlot's CSS) inside a page with the same strict
 * Content-Security-Policy as the real panel, theme variables and body class, and an
 * `acquireVsCodeApi()` that records posted messages and keeps `setState` across reloads (as VS Code
 * does for a webview that is hidden and shown again). Messages are delivered as VS Code does: as a
 * `message` event whose data went through JSON.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { themeBodyClass, themeCss, type ThemeName } from './themes';

export const ROOT = resolve(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
/** Debian's Chromium; CHROMIUM_PATH points elsewhere (e.g. to check the skip path). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test', 'browser', 'screenshots');

/** Why the browser tests cannot run here, or null. With REQUIRE_BROWSER_TESTS=1 they never skip. */
export function skipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.REQUIRE_BROWSER_TESTS === '1') return false;
  return `${CHROMIUM} is missing (apt-get install chromium); set REQUIRE_BROWSER_TESTS=1 to make this a failure`;
}

const SERVED: Record<string, string> = {
  'webview.js': 'text/javascript', 'webview.css': 'text/css', 'codicon.css': 'text/css', 'codicon.ttf': 'font/ttf', 'uPlot.min.css': 'text/css',
};

const NONCE = 'c2VxMnNlcS10ZXN0LW5vbmNl';

function page(origin: string, theme: ThemeName): string {
  const csp = [
    "default-src 'none'",
    `style-src ${origin} 'nonce-${NONCE}'`,
    `script-src 'nonce-${NONCE}'`,
    `font-src ${origin}`,
    `img-src ${origin} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${NONCE}" id="_defaultStyles">${themeCss(theme)}</style>
<script nonce="${NONCE}">
  window.__posted = [];
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  const KEY = 'vscode-webview-state';
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return {
      postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
      getState: () => { const s = sessionStorage.getItem(KEY); return s === null ? undefined : JSON.parse(s); },
      setState: (s) => { sessionStorage.setItem(KEY, JSON.stringify(s)); return s; },
    };
  };
  window.__deliver = (msg) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(JSON.stringify(msg)) }));
</script>
<link rel="stylesheet" href="${origin}/dist/codicon.css">
<link rel="stylesheet" href="${origin}/dist/uPlot.min.css">
<link rel="stylesheet" href="${origin}/dist/webview.css">
<title>Seq2Seq Training (test harness)</title>
</head>
<body class="${themeBodyClass(theme)}" data-vscode-theme-kind="${themeBodyClass(theme)}">
<div id="app"></div>
<script nonce="${NONCE}" src="${origin}/dist/webview.js"></script>
</body>
</html>`;
}

export interface Harness { origin: string; close(): Promise<void> }

export async function startServer(): Promise<Harness> {
  for (const f of ['webview.js', 'webview.css']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} is missing: run \`node esbuild.mjs\` before the browser tests`);
  }
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/panel.html') {
      const theme = (url.searchParams.get('theme') ?? 'dark') as ThemeName;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(origin, theme));
      return;
    }
    const m = /^\/dist\/([\w.]+)$/.exec(url.pathname);
    if (m && SERVED[m[1]] && existsSync(join(DIST, m[1]))) {
      res.writeHead(200, { 'content-type': SERVED[m[1]] });
      res.end(readFileSync(join(DIST, m[1])));
      return;
    }
    res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and REQUIRE_BROWSER_TESTS=1: install the chromium package`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface PanelPage {
  page: Page;
  errors: string[];
  /** Messages the panel posted to the "extension", in order. */
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  deliver(msg: unknown): Promise<void>;
  deliverAll(msgs: unknown[]): Promise<void>;
  /** Waits until the panel has drawn everything scheduled (two animation frames and the chart throttle). */
  settle(): Promise<void>;
  cspViolations(): Promise<string[]>;
  /** Switches theme as VS Code does: new variables and a new body class. */
  setTheme(theme: ThemeName): Promise<void>;
}

export async function openPanel(browser: Browser, origin: string, opts: { theme?: ThemeName; width?: number; height?: number } = {}): Promise<PanelPage> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 300, height: opts.height ?? 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`); });
  await page.goto(`${origin}/panel.html?theme=${opts.theme ?? 'dark'}`);
  await page.waitForSelector('.toolbar');
  const panel: PanelPage = {
    page,
    errors,
    posted: () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted),
    deliver: (msg) => page.evaluate((m) => (window as unknown as { __deliver(x: unknown): void }).__deliver(m), msg),
    deliverAll: (msgs) => page.evaluate((ms) => { for (const m of ms) (window as unknown as { __deliver(x: unknown): void }).__deliver(m); }, msgs),
    settle: async () => {
      await page.waitForTimeout(300);
      await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    },
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    setTheme: (theme) => page.evaluate(({ css, cls }) => {
      document.getElementById('_defaultStyles')!.textContent = css;
      document.body.className = cls;
    }, { css: themeCss(theme), cls: themeBodyClass(theme) }),
  };
  return panel;
}
