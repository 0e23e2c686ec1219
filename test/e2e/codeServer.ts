/**
 * A real VS Code for the end-to-end tests: code-server (installed by install-vscode-server.sh into
 * test/e2e/.vscode-server/) started on 127.0.0.1 in its own process group, with every folder it
 * writes inside a temporary directory, and Debian's Chromium driven by playwright-core.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(__dirname, '..', '..');
const SERVER_DIR = join(__dirname, '.vscode-server');
const CODE_SERVER = join(SERVER_DIR, 'node_modules', '.bin', 'code-server');
export const SCREENSHOTS = join(__dirname, 'screenshots');
export const VSIX = join(ROOT, 'seq2seq-studio.vsix');
export const EXTENSION_ID = 'seq2seq-studio.seq2seq-studio';

/** Settings that keep the workbench quiet and predictable. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.enableExperiments': false,
  'editor.minimap.enabled': false,
  'git.enabled': false,
  'files.hotExit': 'off',
  'window.restoreWindows': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
} as const;

/** Node 24 installed beside code-server (its extension host runs on it). */
function serverNode(): string | null {
  try {
    const p = readFileSync(join(SERVER_DIR, 'node-path.txt'), 'utf8').trim();
    return existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/**
 * Skips the test when code-server is not installed, or fails it when REQUIRE_BROWSER_TESTS=1
 * (CI), so a missing install never passes silently there.
 */
export function requireCodeServer(t: TestContext): boolean {
  const missing: string[] = [];
  if (!existsSync(CODE_SERVER) || !serverNode()) missing.push('code-server (run test/e2e/install-vscode-server.sh)');
  if (!existsSync('/usr/bin/chromium')) missing.push('Debian chromium (apt-get install chromium)');
  if (!missing.length) return true;
  const why = `real-VS-Code tests need ${missing.join(' and ')}`;
  if (process.env.REQUIRE_BROWSER_TESTS === '1') throw new Error(`${why}; REQUIRE_BROWSER_TESTS=1 forbids skipping`);
  t.skip(why);
  return false;
}

/** Builds the .vsix unless one newer than every source file exists. */
export function ensureVsix(): string {
  const newest = newestMtime([join(ROOT, 'src'), join(ROOT, 'native'), join(ROOT, 'package.json'), join(ROOT, 'esbuild.mjs'), join(ROOT, 'samples')]);
  if (!existsSync(VSIX) || statSync(VSIX).mtimeMs < newest || !existsSync(join(ROOT, 'dist', 'worker.js'))) {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return VSIX;
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const f of readdirSync(p)) walk(join(p, f));
    else newest = Math.max(newest, s.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface CodeServer {
  url: string;
  port: number;
  /** The temporary folder holding user data, extensions, config and TMPDIR. */
  dir: string;
  extensionsDir: string;
  userDataDir: string;
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  settings?: Record<string, unknown>;
  /** .vsix files installed before start. */
  install?: string[];
  /** Extra code-server flags, e.g. ['--vscode-option', 'enable-smoke-test-driver']. */
  args?: string[];
}

function serverEnv(dir: string): NodeJS.ProcessEnv {
  const node = serverNode()!;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(node, '..')}:${process.env.PATH ?? ''}`,
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_CACHE_HOME: join(dir, 'xdg-cache'),
    TMPDIR: join(dir, 'tmp'),
    HOME: join(dir, 'home'),
    // Read by the in-VS-Code suite (the extension host inherits code-server's environment).
    SEQ2SEQ_E2E_DIR: dir,
    SEQ2SEQ_E2E_RESULTS: join(dir, 'results.json'),
  };
  // Never leak the test runner's own loader into code-server's processes.
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k.startsWith('ELECTRON_')) delete env[k];
  for (const d of ['xdg-data', 'xdg-config', 'xdg-cache', 'tmp', 'home']) mkdirSync(join(dir, d), { recursive: true });
  return env;
}

export async function startCodeServer(opts: StartOptions = {}): Promise<CodeServer> {
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-e2e-'));
  const userDataDir = join(dir, 'user-data');
  const extensionsDir = join(dir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');
  const env = serverEnv(dir);
  const common = ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  for (const vsix of opts.install ?? []) {
    execFileSync(CODE_SERVER, [...common, '--install-extension', vsix], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  }

  const port = await freePort();
  let output = '';
  // detached: a new session and process group (setsid), so the whole tree can be killed at once.
  const child: ChildProcess = spawn(CODE_SERVER, [
    ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', ...(opts.args ?? []),
  ], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });

  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      await new Promise((r) => setTimeout(r, 500));
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) { await stop(); throw new Error(`code-server exited (${child.exitCode}):\n${output}`); }
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`code-server did not answer /healthz within 30 s:\n${output}`); }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, port, dir, extensionsDir, userDataDir, log: () => output, stop };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** A fresh workspace folder with the given files. */
export function makeWorkspace(root: string, files: Record<string, string>): string {
  const ws = join(root, 'workspace');
  mkdirSync(ws, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text);
  return ws;
}

/** Merges settings into the running server's user settings.json; VS Code applies them without a reload. */
export function setUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const file = join(userDataDir, 'User', 'settings.json');
  const current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...current, ...settings }, null, 2));
}

/** The extension's own log (the "Seq2Seq Studio" LogOutputChannel) as written under the user data dir. */
export function extensionLog(userDataDir: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/Seq2Seq/i.test(f)) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(userDataDir, 'logs'));
  return out.join('\n');
}
