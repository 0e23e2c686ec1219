/** The panel fed a recorded training run: curves, "Now", samples, and robustness to bad messages. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launch, openPanel, skipReason, startServer, type Harness, type PanelPage } from './harness';
import { chartPoints, epochs, panelState, recordedEvents, startOf, steps } from './fixtures';

const events = recordedEvents();
const trainEvent = (event: unknown) => ({ type: 'train-event', event });

describe('training panel with a recorded run', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;
  let p: PanelPage;

  before(async () => {
    server = await startServer();
    browser = await launch();
    p = await openPanel(browser, server.origin);
  });
  after(async () => { await browser?.close(); await server?.close(); });

  test('says ready first, then draws the state it is sent', async () => {
    const posted = await p.posted();
    assert.deepEqual(posted[0], { type: 'ready' });
    await p.deliver({ type: 'state', state: panelState() });
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Ready');
    assert.equal(await p.page.locator('.model').count(), 2);
    assert.match(await p.page.textContent('[data-model="g2p-small"]') ?? '', /active/);
    assert.match(await p.page.textContent('[data-model="g2p-small"]') ?? '', /char → word/);
  });

  test('curves have one point per step event and per epoch, and the ETA and samples update', async () => {
    const start = startOf(events);
    const stepEvents = steps(events);
    const epochEvents = epochs(events);
    const firstEpochAt = events.findIndex((e) => e.kind === 'epoch');
    // Everything up to (not including) the first epoch.
    await p.deliverAll(events.slice(0, firstEpochAt).map(trainEvent));
    await p.settle();
    const stepsBefore = stepEvents.filter((s) => s.step <= epochEvents[0].step).length;
    assert.deepEqual(await chartPoints(p.page, 'loss'), { trainStep: stepsBefore, trainEpoch: 0, devEpoch: 0 });
    assert.equal(await p.page.textContent('[data-testid="status"]'), `Training ${start.modelDir.split('/').pop()}`);
    const lastStepBefore = stepEvents[stepsBefore - 1];
    assert.equal(await p.page.textContent('[data-stat="epoch"]'), `${lastStepBefore.epoch} / ${start.settings.train.epochs}`);
    assert.equal(await p.page.textContent('[data-stat="step"]'), lastStepBefore.step.toLocaleString('en-US'));
    const progress = Number(await p.page.getAttribute('.run-progress', 'value'));
    assert.ok(Math.abs(progress - lastStepBefore.step / (start.stepsPerEpoch * start.settings.train.epochs)) < 1e-9, `progress ${progress}`);
    const etaBefore = await p.page.textContent('[data-stat="eta"]');
    assert.notEqual(etaBefore, '—');
    assert.match(await p.page.textContent('.samples') ?? '', /appear after each epoch/);

    await p.deliverAll(events.slice(firstEpochAt, events.length - 1).map(trainEvent));
    await p.settle();
    const stepsAll = stepEvents.length;
    const withDev = epochEvents.filter((e) => e.dev).length;
    assert.deepEqual(await chartPoints(p.page, 'loss'), { trainStep: stepsAll, trainEpoch: epochEvents.length, devEpoch: withDev });
    assert.deepEqual(await chartPoints(p.page, 'accuracy'), { trainStep: stepsAll, trainEpoch: epochEvents.length, devEpoch: withDev });
    const best = epochEvents.some((e) => e.isBest) ? 1 : 0;
    const metricKeys = start.devMetric === 'per' ? { per: withDev, wer: withDev, best } : { bleu: withDev, chrf: withDev, best };
    assert.deepEqual(await chartPoints(p.page, 'metric'), metricKeys);
    // The best epoch is marked, with its value in the legend.
    const bestEpoch = epochEvents.filter((e) => e.isBest).at(-1)!;
    const bestValue = bestEpoch.dev![start.devMetric === 'per' ? 'per' : 'bleu'];
    assert.equal(await p.page.locator('[data-chart="metric"] .u-series').nth(3).textContent(), `best${Number(bestValue.toPrecision(3))}`);
    // uPlot drew its canvases.
    assert.equal(await p.page.locator('[data-chart="loss"] canvas').count(), 1);

    const lastStep = stepEvents[stepEvents.length - 1];
    assert.equal(await p.page.textContent('[data-stat="step"]'), lastStep.step.toLocaleString('en-US'));
    const etaAfter = await p.page.textContent('[data-stat="eta"]');
    if (lastStep.etaMs !== lastStepBefore.etaMs) assert.notEqual(etaAfter, etaBefore, 'the ETA follows the step events');

    const lastEpoch = epochEvents[epochEvents.length - 1];
    assert.equal(await p.page.locator('.sample').count(), lastEpoch.samples.length);
    assert.match(await p.page.textContent('[data-testid="samples-head"]') ?? '', new RegExp(`After epoch ${lastEpoch.epoch}:`));
    const wrong = lastEpoch.samples.filter((s) => s.prediction !== s.reference).length;
    assert.equal(await p.page.locator('.sample-wrong').count(), wrong);
    if (wrong > 0) assert.ok(await p.page.locator('.sample-wrong .diff-del, .sample-wrong .diff-ins').count() > 0, 'differences are marked');
    assert.equal(await p.page.locator('.sample-ok .diff-del, .sample-ok .diff-ins').count(), 0);
    // The reference line still reads as the reference, marks included.
    const firstRef = await p.page.locator('.sample-reference .sample-text').first().textContent();
    assert.equal(firstRef?.replace(/\s+/g, ' '), lastEpoch.samples[0].reference.replace(/\s+/g, ' '));
  });

  test('the end event finishes the run', async () => {
    const end = events[events.length - 1];
    assert.equal(end.kind, 'end');
    await p.deliver(trainEvent(end));
    await p.settle();
    assert.match(await p.page.textContent('[data-testid="status"]') ?? '', /^(Finished|Stopped|Time budget reached|Failed)/);
    assert.equal(await p.page.textContent('[data-stat="eta"]'), 'done');
    assert.equal(await p.page.isVisible('[data-action="start"]'), true);
    assert.equal(await p.page.isVisible('[data-action="stop"]'), false);
  });

  test('malformed messages are dropped without breaking the panel', async () => {
    const before = await chartPoints(p.page, 'loss');
    await p.deliverAll([
      null, 42, 'state', { type: 'nope' }, { type: 'state', state: 'x' },
      trainEvent({ kind: 'step', step: 'ten' }), trainEvent({ kind: 'epoch', epoch: 9, samples: 'no' }),
      { type: 'models', models: 'none' }, { type: 'try-result', text: 1 }, { type: 'error' },
      { type: 'data-file', path: { evil: true } },
    ]);
    await p.settle();
    assert.deepEqual(await chartPoints(p.page, 'loss'), before);
    assert.equal(await p.page.locator('.model').count(), 2);
    // Text from messages is shown as text, never parsed as HTML.
    await p.deliver({ type: 'error', message: '<img src=x onerror="window.__pwned=1">bad' });
    await p.settle();
    assert.equal(await p.page.textContent('.error-text'), '<img src=x onerror="window.__pwned=1">bad');
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await p.page.locator('.error-banner img').count(), 0);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), []);
  });
});

describe('training panel, other situations', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  test('a text task shows BLEU and chrF (recorded eng-deu run)', async () => {
    const text = recordedEvents('train-events-text.jsonl');
    const start = startOf(text);
    assert.equal(start.devMetric, 'bleu');
    const p = await openPanel(browser, server.origin, { theme: 'light' });
    await p.deliver({ type: 'state', state: panelState({ training: { running: false, modelName: 'eng-deu-small', events: text } }) });
    await p.settle();
    const n = epochs(text).filter((e) => e.dev).length;
    assert.deepEqual(await chartPoints(p.page, 'metric'), { bleu: n, chrf: n, best: 1 });
    assert.match(await p.page.textContent('[data-chart="metric"] .chart-title') ?? '', /BLEU \/ chrF/);
    assert.match(await p.page.textContent('[data-stat="best"]') ?? '', /^BLEU \d/);
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });

  test('a run the extension reports before its start event shows as starting, with Stop', async () => {
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState({ training: { running: true, modelName: 'from-palette', events: [] } }) });
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Starting from-palette…');
    assert.equal(await p.page.isEnabled('[data-action="stop"]'), true);
    assert.match(await p.page.textContent('.now') ?? '', /Reading the data/);
    await p.deliver({ type: 'train-event', event: events[0] });
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Training from-palette');
    await p.page.context().close();
  });

  test('elapsed time and ETA tick between step events while the run is live', async () => {
    const p = await openPanel(browser, server.origin);
    const first = steps(events)[0];
    await p.deliverAll([events[0], first].map(trainEvent));
    await p.settle();
    const ms = async (stat: string) => Number(await p.page.getAttribute(`[data-stat="${stat}"]`, 'data-ms'));
    const sec = (t: string | null) => { const [m, s] = (t ?? '').split(':').map(Number); return m * 60 + s; };
    const elapsed0 = sec(await p.page.textContent('[data-stat="elapsed"]'));
    assert.equal(elapsed0, Math.round(first.elapsedMs / 1000));
    assert.ok(Math.abs((await ms('eta')) - first.etaMs) < 1000);
    const live = () => p.page.locator('[aria-live], [role="status"], [role="alert"]').allTextContents();
    const liveBefore = await live();
    await p.page.waitForTimeout(3300); // the clock is redrawn once a second
    const elapsed1 = sec(await p.page.textContent('[data-stat="elapsed"]'));
    assert.ok(elapsed1 >= elapsed0 + 2 && elapsed1 <= elapsed0 + 5, `elapsed went from ${elapsed0} s to ${elapsed1} s`);
    const etaGone = first.etaMs - (await ms('eta'));
    assert.ok(etaGone >= 2000 && etaGone <= 5000, `the ETA counted down ${etaGone} ms`);
    assert.deepEqual(await live(), liveBefore, 'screen readers are not told every tick');
    await p.page.context().close();
  });

  test('dragging across a chart zooms in and stays zoomed as data arrives; a double-click zooms out', async () => {
    const p = await openPanel(browser, server.origin);
    const half = Math.floor(events.length / 2);
    await p.deliverAll(events.slice(0, half).map(trainEvent));
    await p.settle();
    const range = async () => (await p.page.getAttribute('[data-chart="loss"]', 'data-x-range'))!.split(',').map(Number);
    const [fullMin, fullMax] = await range();
    const box = (await p.page.locator('[data-chart="loss"] .u-over').boundingBox())!;
    await p.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await p.page.mouse.down();
    await p.page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
    await p.page.mouse.up();
    await p.settle();
    assert.equal(await p.page.getAttribute('[data-chart="loss"]', 'data-zoomed'), 'true');
    const [zMin, zMax] = await range();
    assert.ok(zMin > fullMin + (fullMax - fullMin) * 0.3 && zMax < fullMax, `zoomed to ${zMin}..${zMax} of ${fullMin}..${fullMax}`);
    await p.deliverAll(events.slice(half, half + 20).map(trainEvent));
    await p.settle();
    assert.deepEqual(await range(), [zMin, zMax], 'new data keeps the zoom');
    await p.page.dblclick('[data-chart="loss"] .u-over');
    await p.settle();
    assert.equal(await p.page.getAttribute('[data-chart="loss"]', 'data-zoomed'), 'false');
    const [oMin, oMax] = await range();
    assert.ok(oMin <= fullMin && oMax > zMax, 'zoomed out over all the data');
    await p.page.context().close();
  });

  test('a run that fails before it starts says why', async () => {
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState({ training: { running: true, modelName: 'broken', events: [] } }) });
    await p.deliver({ type: 'train-event', event: { kind: 'end', reason: 'error', modelDir: '/m/broken', epochs: 0, steps: 0, elapsedMs: 120, samplesPerSec: 0, targetTokensPerSec: 0, bestDev: null, error: 'no usable pairs in data.tsv (12 lines skipped)' } });
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Failed: broken');
    assert.equal(await p.page.textContent('.status-detail'), 'no usable pairs in data.tsv (12 lines skipped)');
    assert.equal(await p.page.isVisible('[data-action="start"]'), true);
    await p.page.context().close();
  });

  test('switching the VS Code theme recolours the curves', async () => {
    const p = await openPanel(browser, server.origin, { theme: 'dark' });
    await p.deliverAll(events.slice(0, 12).map(trainEvent));
    await p.settle();
    const marker = () => p.page.evaluate(() => getComputedStyle(document.querySelector('[data-chart="loss"] .u-series:nth-child(2) .u-marker')!).borderColor);
    assert.equal(await marker(), 'rgb(55, 148, 255)'); // --vscode-charts-blue, Dark Modern
    await p.setTheme('light');
    await p.settle();
    assert.equal(await marker(), 'rgb(26, 133, 255)'); // --vscode-charts-blue, Light Modern
    assert.equal(await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(248, 248, 248)');
    assert.deepEqual(await chartPoints(p.page, 'loss'), { trainStep: steps(events.slice(0, 12)).length, trainEpoch: epochs(events.slice(0, 12)).length, devEpoch: epochs(events.slice(0, 12)).length });
    await p.page.context().close();
  });
});
