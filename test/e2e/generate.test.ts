/**
 * Generate Text in a real VS Code (code-server, the packaged .vsix, driven through Chromium): in a
 * Python file, with the cursor on an empty line after a function's signature, it writes that
 * function's body, which only the preceding lines tell; a long generation streams into the editor
 * (the file grows while the progress notification is up) and its Cancel button stops it.
 * The model is a small one trained here by the CLI on generated Python.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureVsix, launchBrowser, makeWorkspace, requireCodeServer, ROOT, screenshot, startCodeServer } from './codeServer';

const FUNCTIONS: Record<string, string> = {
  alpha: 'def alpha(x):\n    return x + 1\n',
  beta: 'def beta(y):\n    return y * 2\n',
  gamma: 'def gamma(z):\n    return z - 3\n',
};

/** Files of those functions in a seeded random order: a body follows from its signature, a line above it. */
function pythonCorpus(dir: string): void {
  mkdirSync(dir, { recursive: true });
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const names = Object.keys(FUNCTIONS);
  for (let f = 0; f < 6; f++) {
    writeFileSync(join(dir, `m${f}.py`), Array.from({ length: 40 }, () => FUNCTIONS[names[Math.floor(rand() * names.length)]!]).join('\n'));
  }
}

const editorArea = '.editor-group-container.active .monaco-editor .view-lines';

/** F1, the command's title, Enter; the palette is opened again while it does not list the command yet (right after start). */
async function runCommand(page: Page, title: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt >= 6) throw err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  await page.keyboard.press('Enter');
}

async function editorLines(page: Page): Promise<string[]> {
  return page.$$eval(`${editorArea} .view-line`, (els) =>
    els.map((e) => ({ top: parseFloat((e as HTMLElement).style.top || '0'), text: (e.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top).map((l) => l.text));
}

/** Saves the editor (Ctrl+S) and reads the file as it is on disk. */
async function saved(page: Page, file: string): Promise<string> {
  await page.keyboard.press('Control+S');
  await page.waitForTimeout(300);
  return readFileSync(file, 'utf8');
}

test('Generate Text in a Python file continues from the preceding lines, streams, and Cancel stops it', { timeout: 300_000 }, async (t) => {
  if (!requireCodeServer(t)) return;
  const vsix = ensureVsix();
  const work = mkdtempSync(join(tmpdir(), 'seq2seq-e2e-generate-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const corpus = join(work, 'corpus');
  pythonCorpus(corpus);
  const trained = join(work, 'pygen');
  const trainedIn = Date.now();
  execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'train', '--task', 'generate', '--data', corpus, '--out', trained,
    '--preset', 'fast', '--tokens', 'char', '--hidden', '64', '--emb', '16', '--window', '48', '--chunk', '16', '--epochs', '60', '--lr', '0.01',
    '--dropout', '0', '--label-smoothing', '0', '--patience', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  t.diagnostic(`trained the Python model in ${Date.now() - trainedIn} ms`);

  const server = await startCodeServer({
    install: [vsix],
    settings: { 'seq2seq.decoding.temperature': 0, 'seq2seq.generate.maxTokens': 100_000 },
  });
  // Into the extension's own models folder (its global storage), where trained models go.
  cpSync(trained, join(server.userDataDir, 'User', 'globalStorage', 'seq2seq-studio.seq2seq-studio', 'models', 'pygen'), { recursive: true });
  const browser = await launchBrowser();
  t.after(async () => { await browser.close().catch(() => undefined); await server.stop(); });
  const prompt = `${FUNCTIONS.alpha}\ndef beta(y):\n`;
  const ws = makeWorkspace(server.dir, { 'demo.py': prompt });
  const file = join(ws, 'demo.py');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('[id="seq2seq-studio.seq2seq-studio.seq2seq.status"]').waitFor({ timeout: 60_000 });
    await runCommand(page, 'Seq2Seq: Select Active Model');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'pygen' }).first().click({ timeout: 20_000 });

    // Open demo.py (Quick Open), cursor at the end: an empty line after "def beta(y):".
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('demo.py');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'demo.py' }).first().click({ timeout: 20_000 });
    await page.locator('.tabs-container .tab.active', { hasText: 'demo.py' }).waitFor({ timeout: 20_000 });
    await page.locator(editorArea).click();
    await page.keyboard.press('Control+End');

    // The longest request (100,000 tokens, no line limit): it streams until Cancel.
    await runCommand(page, 'Seq2Seq: Generate Text');
    const toast = page.locator('.notification-toast', { hasText: /generating with "pygen"/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    const deadline = Date.now() + 60_000;
    let lines = await editorLines(page);
    while (!lines.some((l) => l.startsWith('    return y')) && Date.now() < deadline) {
      await page.waitForTimeout(100);
      lines = await editorLines(page);
    }
    // Saved again until it has grown (a busy machine may pause the model process for a moment).
    const first = (await saved(page, file)).length;
    let second = first;
    for (const until = Date.now() + 15_000; second === first && Date.now() < until;) second = (await saved(page, file)).length;
    t.diagnostic(`while generating: ${first} then ${second} characters`);
    assert.ok(second > first, 'the text arrives while the notification is still up');
    assert.ok(await toast.isVisible(), 'still generating');
    await screenshot(page, 'generate-text-python');
    await toast.hover();
    await toast.getByRole('button', { name: 'Cancel' }).click({ timeout: 5_000 });
    await toast.waitFor({ state: 'detached', timeout: 15_000 });
    const atCancel = (await saved(page, file)).length;
    await page.waitForTimeout(1500);
    const after = await saved(page, file);
    t.diagnostic(`after "def beta(y):": ${JSON.stringify(after.slice(prompt.length, prompt.length + 80))}`);
    assert.equal(after.length, atCancel, 'nothing more arrives after Cancel');
    // One character a token: a run to the end would have written 100,000.
    assert.ok(after.length - prompt.length < 100_000, `stopped before its 100,000 tokens (${after.length - prompt.length} characters)`);
    // The line the cursor was on was empty: only the lines before it say which body follows.
    assert.ok(after.startsWith(prompt), 'inserted at the cursor');
    assert.match(after.slice(prompt.length), /^ {4}return y \* 2\n\ndef (alpha|beta|gamma)\(/, 'the body of beta, indented, then the next function');
  } catch (err) {
    await screenshot(page, 'FAILED-generate-text').catch(() => undefined);
    throw err;
  }
});
