/**
 * API-level end-to-end tests: VS Code's extension test runner inside a real VS Code (code-server
 * with the smoke-test driver), loading the extension from this repository (dist/) and running
 * test/e2e/suite/index.ts in its extension host. The page reports the exit code through
 * window.codeAutomationExit; each test's result is read from a JSON file the suite writes.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extensionLog, ensureVsix, launchBrowser, requireCodeServer, ROOT, screenshot, startCodeServer, makeWorkspace } from './codeServer';
import { bundleSuite } from './suiteBundle';

test('extension API tests inside code-server', { timeout: 300_000 }, async (t) => {
  if (!requireCodeServer(t)) return;
  ensureVsix(); // builds dist/ (production bundles), as packaged
  const suite = await bundleSuite();

  const server = await startCodeServer({ args: ['--vscode-option', 'enable-smoke-test-driver'] });
  const resultsFile = join(server.dir, 'results.json'); // SEQ2SEQ_E2E_RESULTS in the server's environment
  const browser = await launchBrowser();
  t.after(async () => { await browser.close().catch(() => undefined); await server.stop(); });
  {
    const ws = makeWorkspace(server.dir, { 'notes.txt': 'hello\n' });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(suite)],
    ]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const logs: string[] = [];
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((res) => { exit = res; });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => { logs.push(`${type}: ${args.map(String).join(' ')}`); });
    await page.exposeFunction('codeAutomationExit', (code: number) => { exit(code); });
    page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
    const started = Date.now();
    await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<number>((_, rej) => { timer = setTimeout(() => rej(new Error('no exit code within 240 s')), 240_000); })])
      .catch(async (err: Error) => { await screenshot(page, 'api-timeout'); throw err; })
      .finally(() => clearTimeout(timer));
    const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) as { name: string; ok: boolean; ms: number; error?: string; notes?: object }[] : [];
    for (const r of results) t.diagnostic(`${r.ok ? 'ok' : 'FAILED'} ${r.name} (${r.ms} ms)${r.notes && Object.keys(r.notes).length ? ` ${JSON.stringify(r.notes)}` : ''}`);
    t.diagnostic(`extension tests took ${Date.now() - started} ms in all`);
    const failures = results.filter((r) => !r.ok);
    if (code !== 0 || failures.length || !results.length) {
      const tail = logs.filter((l) => /seq2seq|error|fail/i.test(l)).slice(-40).join('\n');
      assert.fail(`extension tests exited with ${code}; ${failures.length} failed of ${results.length}\n${failures.map((f) => `${f.name}: ${f.error}`).join('\n\n')}\n--- log ---\n${tail}\n--- extension log ---\n${extensionLog(server.userDataDir).slice(-4000)}\n--- server ---\n${server.log().slice(-2000)}`);
    }
    assert.ok(results.length >= 5, 'every extension test ran');
  }
});
