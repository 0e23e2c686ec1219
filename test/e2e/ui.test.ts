/**
 * User-level end-to-end tests: the packaged .vsix installed into a real VS Code (code-server),
 * driven through Chromium like a user: select text, open the editor's context menu, run
 * Translate Selection and read the replaced text; train from the command palette and watch the
 * status bar; stop and resume; cancel a 5,000-line translation from its progress notification.
 * Screenshots go to test/e2e/screenshots/.
 */
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { setUserSettings, ensureVsix, launchBrowser, makeWorkspace, requireCodeServer, ROOT, screenshot, startCodeServer } from './codeServer';

const STATUS = '[id="seq2seq-studio.seq2seq-studio.seq2seq.status"]';
const WORDS = ['cat', 'house', 'window'];

/** A few epochs of a small model: training from the palette takes seconds, not minutes. */
const TINY_OVERRIDES = { model: { hidden: 48, emb: 16, layers: 1, bidirectional: false, dropout: 0 }, train: { epochs: 40, batch: 32, logEvery: 2 } };

async function statusText(page: Page): Promise<string> {
  return ((await page.locator(STATUS).textContent({ timeout: 60_000 })) ?? '').replace(/\s+/g, ' ').trim();
}

async function waitForStatus(page: Page, re: RegExp, timeout = 60_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = await statusText(page).catch(() => '');
    if (re.test(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`status bar never matched ${re} (last: "${last}")`);
}

/** The editor's lines, in order, as the user sees them. */
async function editorLines(page: Page): Promise<string[]> {
  return page.$$eval('.editor-group-container.active .monaco-editor .view-lines .view-line', (els) =>
    els.map((e) => ({ top: parseFloat((e as HTMLElement).style.top || '0'), text: (e.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top).map((l) => l.text));
}

/** The first lines of the document (moves the cursor to the top, so the editor shows them). */
async function topLines(page: Page): Promise<string[]> {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.waitForTimeout(50);
  return editorLines(page);
}

async function focusEditor(page: Page): Promise<void> {
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').click();
}

async function openFile(page: Page, name: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: name }).first();
  if (await tab.count()) {
    await tab.click();
  } else {
    // Quick Open (Ctrl+P), as a user would; the row is clicked once the list shows it.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.click();
  }
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 20_000 });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor();
}

/** Clicks a context menu item (menus ignore clicks in the first moments after they open). */
async function clickMenuItem(page: Page, name: string): Promise<void> {
  const item = page.getByRole('menuitem', { name });
  await item.waitFor({ state: 'visible' });
  await page.waitForTimeout(400);
  await item.hover();
  await item.click();
}

/** F1, the command's title, Enter. */
async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/** Chooses the quick pick item whose text contains `label`. */
async function choose(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await row.click();
}

async function notification(page: Page, text: string | RegExp, timeout = 30_000) {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout });
  return toast;
}

test('the packaged extension in code-server, used through the UI', { timeout: 300_000 }, async (t) => {
  if (!requireCodeServer(t)) return;
  const vsix = ensureVsix();
  const bundledSample = existsSync(join(ROOT, 'samples', 'model', 'model.json'));
  const server = await startCodeServer({ install: [vsix], settings: { 'seq2seq.training.overrides': TINY_OVERRIDES } });
  const browser = await launchBrowser();
  t.after(async () => { await browser.close().catch(() => undefined); await server.stop(); });

  const big = Array.from({ length: 5000 }, (_, i) => ['alpha', 'window', 'garden', 'teacher', 'mountain'][i % 5]! + String.fromCharCode(97 + (i % 26))).join('\n');
  const pairs = readFileSync(join(ROOT, 'samples', 'g2p-sample.tsv'), 'utf8').split('\n').slice(0, 600).join('\n');
  // Long enough that a beam-64 translation is still running when Cancel is clicked, however fast decoding gets
  // (5,000 lines take ~1-2 s with the native kernels).
  const huge = Array.from({ length: 60_000 }, (_, i) => ['river', 'window', 'garden', 'teacher', 'mountain', 'yellow'][i % 6]! + String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + (Math.floor(i / 26) % 26))).join('\n');
  const ws = makeWorkspace(server.dir, { 'words.txt': WORDS.join('\n') + '\n', 'big.txt': big + '\n', 'huge.txt': huge + '\n', 'pairs.tsv': pairs + '\n' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const t0 = Date.now();
  await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator(STATUS).waitFor({ timeout: 60_000 });
  t.diagnostic(`workbench with the extension's status bar item in ${Date.now() - t0} ms`);

  const trainFromPalette = async (name: string) => {
    await focusEditor(page);
    await runCommand(page, 'Seq2Seq: Train Model…');
    await choose(page, 'Sample data');
    await choose(page, 'fast');
    const input = page.locator('.quick-input-widget input');
    await input.fill(name);
    await page.keyboard.press('Enter');
  };

  await t.test('select text, context menu, Translate Selection replaces it; undo restores it', onFailureScreenshot(page, 'select text, context menu, Translate Selection replaces it; undo restores it', async () => {
    // Straight after install: the bundled sample model is the active one.
    if (bundledSample) await waitForStatus(page, /g2p-sample/);
    const model = await statusText(page);
    await openFile(page, 'words.txt');
    await focusEditor(page);
    await page.keyboard.press('Control+A');
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').click({ button: 'right' });
    await clickMenuItem(page, 'Translate Selection');
    const deadline = Date.now() + 60_000;
    let lines = await editorLines(page);
    while (lines[0] === WORDS[0] && Date.now() < deadline) {
      await page.waitForTimeout(200);
      lines = await editorLines(page);
    }
    await screenshot(page, 'translate-selection');
    t.diagnostic(`with "${model}": ${WORDS.join(', ')} → ${lines.slice(0, 3).join(' | ')}`);
    assert.notEqual(lines[0], WORDS[0], 'the selected text was replaced');
    assert.equal(lines.filter((l) => l.trim()).length, WORDS.length, 'one output line per selected line');
    if (bundledSample) assert.match(lines[0]!, /^[A-Z]+( [A-Z]+)*$/, 'phonemes from the g2p sample model');
    await page.keyboard.press('Control+Z');
    await page.waitForTimeout(300);
    assert.deepEqual((await editorLines(page)).slice(0, 3), WORDS, 'one undo restores the original');
  }));

  await t.test('train from the palette: the status bar shows progress; stop at once; resume', onFailureScreenshot(page, 'train from the palette: the status bar shows progress; stop at once; resume', async () => {
    await openFile(page, 'words.txt');
    const started = Date.now();
    await trainFromPalette('ui-model');
    const status = await waitForStatus(page, /Training epoch \d+\/40 · loss \d/, 90_000);
    t.diagnostic(`status bar "${status}" ${Date.now() - started} ms after Enter`);
    await screenshot(page, 'training-status-bar');
    await runCommand(page, 'Seq2Seq: Stop Training');
    const stopAsked = Date.now();
    await waitForStatus(page, /^(?!.*[Tt]raining)/, 20_000);
    t.diagnostic(`stopped ${Date.now() - stopAsked} ms after Stop Training`);
    await notification(page, /Training "ui-model" stopped in epoch \d+, step \d+/);

    await runCommand(page, 'Seq2Seq: Resume Training');
    await choose(page, 'ui-model');
    await waitForStatus(page, /Training epoch/, 60_000);
    await screenshot(page, 'training-resumed');
    await runCommand(page, 'Seq2Seq: Stop Training');
    await waitForStatus(page, /^(?!.*[Tt]raining)/, 20_000);
  }));

  await t.test('the training panel opens from the status bar and shows the run and the models', onFailureScreenshot(page, 'the training panel opens from the status bar and shows the run and the models', async () => {
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|webview/i.test(m.text())) consoleErrors.push(m.text()); });
    await page.locator(STATUS).click();
    const panel = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await panel.locator('body', { hasText: 'ui-model' }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1000);
    await screenshot(page, 'training-panel');
    // "Try it": the panel asks the extension, which asks the model process, for the 3 best.
    const input = panel.locator('#try-input');
    await input.scrollIntoViewIfNeeded();
    await input.fill('cat');
    await panel.locator('#try-nbest').selectOption('3');
    await input.press('Enter');
    const hyps = panel.locator('.nbest .hyp-text');
    await hyps.first().waitFor({ timeout: 30_000 });
    const texts = await hyps.allTextContents();
    t.diagnostic(`panel "Try it" for "cat": ${texts.join(' | ')}`);
    assert.ok(texts.length >= 1 && texts.length <= 3, `1-3 hypotheses: ${texts.join(' | ')}`);
    if (bundledSample) assert.equal(texts[0], 'K AE T');
    await screenshot(page, 'training-panel-try-it');
    assert.deepEqual(consoleErrors, [], 'no CSP violations or webview errors');
  }));

  await t.test('Select Active Model lists each model with task, size, metrics and date', onFailureScreenshot(page, 'select-model', async () => {
    await runCommand(page, 'Seq2Seq: Select Active Model');
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'g2p-sample' }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    const text = (await row.textContent()) ?? '';
    assert.match(text, /→/, `task shown: ${text}`);
    assert.match(text, /\d+(\.\d)? (KB|MB)/, `size shown: ${text}`);
    assert.match(text, /(PER|BLEU) \d{1,3}\.\d/, `metrics shown: ${text}`);
    const per = /PER (\d+(\.\d+)?)%/.exec(text);
    if (per) assert.ok(Number(per[1]) <= 100, `PER is a percentage: ${text}`);
    assert.match(text, /\d{4}|\d+\/\d+\/\d+/, `date shown: ${text}`);
    await screenshot(page, 'select-active-model');
    await page.keyboard.press('Escape');
  }));

  await t.test('a 5,000-line selection translates with a progress notification, and can be cancelled', onFailureScreenshot(page, 'a 5,000-line selection translates with a progress notification, and can be cancelled', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await openFile(page, 'big.txt');
    const before = await topLines(page);
    await page.keyboard.press('Control+A');
    const started = Date.now();
    await runCommand(page, 'Seq2Seq: Translate Selection');
    await notification(page, /Translating 5000 lines/, 30_000);
    await screenshot(page, 'translate-5000-progress');
    const deadline = Date.now() + 120_000;
    while ((await topLines(page))[0] === before[0] && Date.now() < deadline) await page.waitForTimeout(200);
    t.diagnostic(`5000 lines translated in ${Date.now() - started} ms (greedy, through the UI)`);
    assert.notDeepEqual(await topLines(page), before, 'translated');
    await page.keyboard.press('Control+Z');
    await page.waitForTimeout(300);
    assert.deepEqual(await topLines(page), before, 'one undo restores 5000 lines');

    // Slower decoding, set by editing settings.json (applies without a reload), so there is time to cancel.
    setUserSettings(server.userDataDir, { 'seq2seq.decoding.strategy': 'beam', 'seq2seq.decoding.beamSize': 64 });
    await page.waitForTimeout(1500);

    // While it translates the editor stays responsive: switch to the other file, type, see the keys
    // land; the translation still goes into big.txt although its editor tab was left.
    await focusEditor(page);
    await page.keyboard.press('Control+A');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const running = await notification(page, /Translating 5000 lines/, 30_000);
    const beamStarted = Date.now();
    await openFile(page, 'words.txt');
    await focusEditor(page);
    await page.keyboard.press('Control+Home');
    const typed = Date.now();
    await page.keyboard.type('zz');
    while (!(await editorLines(page))[0]?.startsWith('zz') && Date.now() - typed < 10_000) await page.waitForTimeout(20);
    assert.ok((await editorLines(page))[0]?.startsWith('zz'), 'typing shows up during the translation');
    t.diagnostic(`typing during the 5000-line translation showed up after ${Date.now() - typed} ms (translation still running: ${await running.isVisible()})`);
    await page.keyboard.press('Control+Z');
    await running.waitFor({ state: 'detached', timeout: 180_000 });
    t.diagnostic(`5000 lines with beam 64 in ${Date.now() - beamStarted} ms`);
    await openFile(page, 'big.txt');
    const translatedDeadline = Date.now() + 10_000;
    while ((await topLines(page))[0] === before[0] && Date.now() < translatedDeadline) await page.waitForTimeout(100);
    assert.notEqual((await topLines(page))[0], before[0], 'big.txt was translated while its tab was in the background');
    await focusEditor(page);
    await page.keyboard.press('Control+Z');
    await page.waitForTimeout(300);
    assert.deepEqual(await topLines(page), before, 'one undo restores it');
    await openFile(page, 'huge.txt');
    const hugeBefore = await topLines(page);
    await focusEditor(page);
    await page.keyboard.press('Control+A');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const toast = await notification(page, /Translating 60000 lines/, 30_000);
    await toast.hover();
    await toast.getByRole('button', { name: 'Cancel' }).click({ timeout: 5_000 });
    const cancelled = Date.now();
    await toast.waitFor({ state: 'detached', timeout: 15_000 });
    await waitForStatus(page, /^(?!.*Translating)/, 10_000);
    t.diagnostic(`cancel took effect in ${Date.now() - cancelled} ms`);
    await page.waitForTimeout(500);
    assert.deepEqual(await topLines(page), hugeBefore, 'a cancelled translation leaves the text as it was');
  }));

  await t.test('a killed model process is reported in plain words and restarts on the next request', onFailureScreenshot(page, 'a killed model process is reported in plain words and restarts on the next request', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await openFile(page, 'huge.txt'); // long enough to still be translating when the process is killed
    await focusEditor(page);
    await page.keyboard.press('Control+A');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    await notification(page, /Translating 60000 lines/, 30_000);
    const pid = workerPid(server.extensionsDir, 'run');
    assert.ok(pid, 'the run worker is visible in ps');
    process.kill(pid, 'SIGKILL');
    await notification(page, /the model process was killed .* while translating\. It will start again on your next request/, 15_000);
    await page.waitForTimeout(800); // let the progress notification fade out
    await screenshot(page, 'worker-killed');
    await runCommand(page, 'Notifications: Clear All Notifications');
    setUserSettings(server.userDataDir, { 'seq2seq.decoding.strategy': 'greedy' });
    await page.waitForTimeout(1000);
    await openFile(page, 'words.txt');
    await focusEditor(page);
    await page.keyboard.press('Control+A');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const deadline = Date.now() + 60_000;
    while ((await editorLines(page))[0] === WORDS[0] && Date.now() < deadline) await page.waitForTimeout(200);
    assert.notEqual((await editorLines(page))[0], WORDS[0], 'translated by a new worker');
    assert.notEqual(workerPid(server.extensionsDir, 'run'), pid);
    await page.keyboard.press('Control+Z');
  }));

  await t.test('Explorer context menu: Train Model on This File', onFailureScreenshot(page, 'Explorer context menu: Train Model on This File', async () => {
    await runCommand(page, 'View: Show Explorer');
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'pairs.tsv' }).first();
    await row.click({ button: 'right' });
    await clickMenuItem(page, 'Train Model on This File');
    await choose(page, 'fast');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    let suggested = '';
    for (const until = Date.now() + 10_000; !suggested && Date.now() < until; await page.waitForTimeout(100)) suggested = await input.inputValue();
    assert.match(suggested, /^pairs-fast/, 'the name is suggested from the file');
    await page.keyboard.press('Enter');
    await waitForStatus(page, /Training epoch/, 60_000);
    await screenshot(page, 'train-on-this-file');
    await runCommand(page, 'Seq2Seq: Stop Training');
    await waitForStatus(page, /^(?!.*[Tt]raining)/, 20_000);
  }));

  await t.test('Tune Model from the palette: trials arrive in the panel; Stop keeps them', onFailureScreenshot(page, 'tune-model', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await focusEditor(page);
    await runCommand(page, 'Seq2Seq: Tune Model…');
    await choose(page, 'Sample data');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'Tune Model: minutes' }).waitFor({ state: 'visible', timeout: 20_000 });
    await input.fill('1');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'Tune Model: name' }).waitFor({ state: 'visible', timeout: 20_000 });
    await input.fill('ui-tuned');
    await page.keyboard.press('Enter');
    // The command shows the panel; its Tune section lists the trials and marks them as they finish.
    const panel = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await panel.locator('[data-testid="tune-status"]', { hasText: 'Tuning ui-tuned' }).waitFor({ timeout: 60_000 });
    const trials = panel.locator('.trial');
    await panel.locator('.trial[data-status="running"]').first().waitFor({ timeout: 60_000 });
    const arrived = panel.locator('.trial[data-status="trained"], .trial[data-status="finished"]');
    await arrived.first().waitFor({ timeout: 120_000 });
    const n = await trials.count();
    t.diagnostic(`tune: ${n} trials listed, first finished: ${(await arrived.first().textContent())?.replace(/\s+/g, ' ')}`);
    assert.ok(n >= 3, `the round's trials are listed (${n})`);
    assert.match(await arrived.first().locator('.trial-result').textContent() ?? '', /\d[\d,]* steps · PER \d/);
    await panel.locator('[data-testid="tune-status"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'tune-trials-in-panel');
    await panel.locator('[data-action="stop-tuning"]').click();
    await panel.locator('[data-testid="tune-status"]', { hasText: /Tune ui-tuned: (stopped|finished|out of time)/ }).waitFor({ timeout: 60_000 });
    await notification(page, /Tune "ui-tuned" (stopped|finished|used its time)/, 30_000);
    assert.ok(await arrived.count() >= 1, 'the finished trials stay listed');
  }));

  await t.test('a training cut short by reloading VS Code is offered for resuming', onFailureScreenshot(page, 'reload-resume', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'Seq2Seq: Resume Training');
    await choose(page, 'ui-model');
    await waitForStatus(page, /Training epoch/, 60_000);
    const before = workerPid(server.extensionsDir, 'train');
    await runCommand(page, 'Developer: Reload Window');
    const toast = await notification(page, /training "ui-model" was interrupted when VS Code closed/, 90_000);
    assert.equal(before !== null && isAlive(before), false, 'the old training process ended with its extension host');
    await page.waitForTimeout(800); // the toast fades in
    await screenshot(page, 'offer-resume-after-reload');
    await toast.getByRole('button', { name: 'Resume Training' }).click();
    await waitForStatus(page, /Training epoch/, 60_000);
    await runCommand(page, 'Seq2Seq: Stop Training');
    await waitForStatus(page, /^(?!.*[Tt]raining)/, 20_000);
  }));

  const activation = findInLogs(join(server.userDataDir, 'logs'), /activated in [\d.]+ ms/);
  if (activation) t.diagnostic(`extension log: ${activation}`);
});

/** The first match of `re` in the extension's log files under `dir`. */
function findInLogs(dir: string, re: RegExp): string | null {
  if (!existsSync(dir)) return null;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) {
      const found = findInLogs(p, re);
      if (found) return found;
    } else if (f.endsWith('.log')) {
      const m = re.exec(readFileSync(p, 'utf8'));
      if (m) return m[0];
    }
  }
  return null;
}

/** The pid of the extension's worker with this role, among code-server's processes. */
function workerPid(extensionsDir: string, role: 'run' | 'train'): number | null {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const line = ps.split('\n').find((l) => l.includes(extensionsDir) && l.includes('worker.js') && l.includes(`--role=${role}`));
  return line ? Number(line.trim().split(/\s+/)[0]) : null;
}

/** Runs a step; on failure saves a screenshot named after it, then fails as before. */
function onFailureScreenshot(page: Page, name: string, fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      await screenshot(page, `FAILED-${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}`).catch(() => undefined);
      throw err;
    }
  };
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
