/**
 * Compare, fed three recorded g2p models (fixtures/compare-runs.json): ticking models asks the
 * extension for them with a message it accepts; curves are overlaid per model against steps and
 * minutes; the settings that differ are marked; each model's dev samples sit under one source;
 * screenshots in light, dark and high contrast.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { parseWebviewMessage, type WebviewReferences } from '../../src/protocol/webview';
import { chartPoints, panelState, recordedComparison } from './fixtures';
import { launch, openPanel, SCREENSHOTS, skipReason, startServer, type Harness, type PanelPage } from './harness';
import type { ThemeName } from './themes';

const { models, runs } = recordedComparison();
const refs: WebviewReferences = { hasModel: (n) => models.some((m) => m.name === n), hasDataFile: () => false };
const runsOf = (names: string[]) => names.map((n) => runs.find((r) => r.name === n)!);

describe('compare runs', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { mkdirSync(SCREENSHOTS, { recursive: true }); server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  async function fresh(theme: ThemeName = 'dark', width = 320): Promise<PanelPage> {
    const p = await openPanel(browser, server.origin, { theme, width, height: 1400 });
    await p.deliver({ type: 'state', state: panelState({ models, activeModel: models[0].name }) });
    await p.settle();
    return p;
  }
  const compareRequests = async (p: PanelPage) => (await p.posted()).filter((m) => m.type === 'compare-models');

  /** Ticks the models in Models, answers the panel's request as the extension would, and waits for the drawing. */
  async function compare(p: PanelPage, names: string[]): Promise<void> {
    for (const n of names) await p.page.check(`[data-compare="${n}"]`);
    await p.settle();
    const asked = (await compareRequests(p)).at(-1)!;
    assert.deepEqual(parseWebviewMessage(asked, refs), { type: 'compare-models', models: names }, 'the extension accepts what the panel asks');
    await p.deliver({ type: 'comparison', runs: runsOf(names) });
    await p.settle();
  }

  test('one model ticked asks for nothing; two are asked for and drawn overlaid', async () => {
    const p = await fresh();
    assert.match(await p.page.textContent('#section-compare') ?? '', /Tick two or more models/);
    await p.page.check(`[data-compare="${models[0].name}"]`);
    await p.settle();
    assert.equal((await compareRequests(p)).length, 0, 'one model is no comparison');
    const names = [models[0].name, models[1].name];
    await p.page.check(`[data-compare="${names[1]}"]`);
    await p.settle();
    assert.match(await p.page.textContent('#section-compare') ?? '', /Reading the models/);
    await p.deliver({ type: 'comparison', runs: runsOf(names) });
    await p.settle();
    const loss = await chartPoints(p.page, 'compare-loss');
    const expected: Record<string, number> = {};
    for (const r of runsOf(names)) {
      expected[`${r.name} train`] = r.history.length;
      expected[`${r.name} dev`] = r.history.filter((e) => e.dev).length;
    }
    assert.deepEqual(loss, expected, 'a train and a dev curve per model, one point per epoch');
    assert.deepEqual(await chartPoints(p.page, 'compare-per'), Object.fromEntries(runsOf(names).map((r) => [r.name, r.history.length])));
    assert.deepEqual(await p.page.locator('.compare-legend-item').allTextContents(), names);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), []);
    await p.page.context().close();
  });

  test('against steps, then minutes: the x axis spans each', async () => {
    const p = await fresh();
    const names = models.map((m) => m.name);
    await compare(p, names);
    const range = async () => (await p.page.getAttribute('[data-chart="compare-loss"]', 'data-x-range'))!.split(',').map(Number);
    const maxStep = Math.max(...runs.flatMap((r) => r.history.map((e) => e.step)));
    const [, stepMax] = await range();
    assert.ok(stepMax >= maxStep && stepMax < maxStep * 1.2, `steps axis ends at ${stepMax} (last step ${maxStep})`);
    assert.match(await p.page.textContent('[data-chart="compare-loss"] .u-legend') ?? '', /step/);
    await p.page.click('[data-axis="minutes"]');
    await p.settle();
    assert.equal(await p.page.getAttribute('[data-axis="minutes"]', 'aria-pressed'), 'true');
    const maxMin = Math.max(...runs.flatMap((r) => r.history.map((e) => e.elapsedMs / 60_000)));
    const [, minMax] = await range();
    assert.ok(minMax >= maxMin && minMax < maxMin * 1.2 + 0.1, `minutes axis ends at ${minMax} (last epoch at ${maxMin} min)`);
    assert.match(await p.page.textContent('[data-chart="compare-loss"] .u-legend') ?? '', /minutes/);
    await p.page.context().close();
  });

  test('settings side by side: the rows that differ are marked, the best result starred', async () => {
    const p = await fresh();
    const names = models.map((m) => m.name);
    await compare(p, names);
    const differing = await p.page.locator('[data-testid="compare-table"] tr.differs').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')));
    for (const k of ['model.cell', 'model.hidden', 'model.dropout']) assert.ok(differing.includes(k), `${k} differs`);
    for (const k of ['train.batch', 'train.lr', 'target.kind']) assert.ok(!differing.includes(k), `${k} is the same`);
    assert.deepEqual(await p.page.locator('[data-row="model.cell"] td').allTextContents(), runs.map((r) => r.settings.model.cell));
    assert.match(await p.page.textContent('[data-row="model.cell"] th') ?? '', /differs/);
    // The lowest PER is the best.
    const pers = runs.map((r) => r.best!.dev!.per);
    const bestAt = pers.indexOf(Math.min(...pers));
    const cells = p.page.locator('[data-row="best.per"] td');
    assert.equal(await cells.nth(bestAt).getAttribute('class'), 'best');
    assert.match(await cells.nth(bestAt).textContent() ?? '', /best/);
    assert.equal(await p.page.locator('[data-row="best.per"] td.best').count(), 1);
    const allSettings = await p.page.locator('[data-testid="compare-table"] tbody tr[data-row^="model."], [data-testid="compare-table"] tbody tr[data-row^="train."]').count();
    await p.page.check('#compare-only-diff');
    await p.settle();
    const onlyDiff = await p.page.locator('[data-testid="compare-table"] tbody tr[data-row^="model."], [data-testid="compare-table"] tbody tr[data-row^="train."]').count();
    assert.ok(onlyDiff < allSettings && onlyDiff === differing.filter((k) => /^(model|train)\./.test(k!)).length, `${onlyDiff} of ${allSettings} rows left`);
    assert.ok(await p.page.locator('[data-row="best.per"]').count() === 1, 'results stay');
    await p.page.context().close();
  });

  test('dev samples next to each other, and a model unticked leaves the comparison', async () => {
    const p = await fresh();
    const names = models.map((m) => m.name);
    await compare(p, names);
    const items = p.page.locator('.compare-sample');
    assert.equal(await items.count(), runs[0].samples.length);
    for (let i = 0; i < runs[0].samples.length; i++) {
      const item = items.nth(i);
      assert.equal(await item.locator('.sample-source .sample-text').textContent(), runs[0].samples[i].source);
      for (const r of runs) {
        const pred = item.locator(`.compare-prediction[data-run="${r.name}"]`);
        const text = (await pred.locator('.sample-text').textContent())!;
        assert.equal(text.replace(/\s+/g, ' '), r.samples[i].prediction.replace(/\s+/g, ' '));
        assert.equal(await pred.evaluate((e) => e.classList.contains('sample-ok')), r.samples[i].prediction === r.samples[i].reference);
      }
    }
    await p.page.uncheck(`[data-compare="${names[2]}"]`);
    await p.settle();
    assert.deepEqual((await compareRequests(p)).at(-1), { type: 'compare-models', models: names.slice(0, 2) });
    await p.page.uncheck(`[data-compare="${names[1]}"]`);
    await p.settle();
    assert.equal((await compareRequests(p)).at(-1)!.models instanceof Array && ((await compareRequests(p)).at(-1)!.models as string[]).length, 2, 'no request for one model');
    assert.match(await p.page.textContent('#section-compare') ?? '', /Tick two or more models/);
    await p.page.context().close();
  });

  test('a reload keeps the ticked models and asks for them again; a malformed answer is dropped', async () => {
    const p = await fresh();
    const names = [models[2].name, models[0].name];
    await compare(p, names);
    await p.page.waitForTimeout(1200); // the throttled save
    await p.page.reload();
    await p.page.waitForSelector('.toolbar');
    await p.deliver({ type: 'state', state: panelState({ models, activeModel: models[0].name }) });
    await p.settle();
    assert.deepEqual((await compareRequests(p)).at(-1), { type: 'compare-models', models: names });
    assert.equal(await p.page.isChecked(`[data-compare="${names[0]}"]`), true);
    await p.deliver({ type: 'comparison', runs: 'everything' });
    await p.deliver({ type: 'comparison', runs: [{ ...runs[2], settings: null }] });
    await p.settle();
    assert.match(await p.page.textContent('#section-compare') ?? '', /Reading the models/, 'nothing drawn from a broken answer');
    await p.deliver({ type: 'comparison', runs: runsOf(names) });
    await p.settle();
    assert.equal(await p.page.locator('.compare-legend-item').count(), 2);
    // A model deleted from the folder leaves the comparison.
    await p.deliver({ type: 'models', models: models.filter((m) => m.name !== names[1]), activeModel: models[2].name });
    await p.settle();
    assert.match(await p.page.textContent('#section-compare') ?? '', /Tick two or more models/);
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });

  for (const theme of ['light', 'dark', 'hc'] as ThemeName[]) {
    test(`screenshot: ${theme}`, async () => {
      const p = await fresh(theme);
      await compare(p, models.map((m) => m.name));
      await p.page.evaluate(() => {
        for (const id of ['setup', 'now', 'curves', 'samples', 'try']) (document.querySelector(`#section-${id}`) as HTMLDetailsElement).open = false;
      });
      await p.settle();
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scrolling of the panel (overflow ${overflow} px)`);
      await p.page.screenshot({ path: join(SCREENSHOTS, `compare-${theme}-320.png`), fullPage: true });
      assert.deepEqual(p.errors, []);
      assert.deepEqual(await p.cspViolations(), []);
      await p.page.context().close();
    });
  }
});
