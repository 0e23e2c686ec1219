/**
 * The Tune section fed a recorded tune (fixtures/tune-events.jsonl, real worker output): trials
 * arrive as their events come, the round's losers are dropped, the best is starred, Stop asks the
 * extension with a message it accepts; a reload and the extension's state rebuild the table;
 * malformed events are dropped; screenshots in light, dark and high contrast.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { TuneEndEvent, TuneEvent, TuneStartEvent } from '../../src/model/training/tuneEvents';
import { parseWebviewMessage } from '../../src/protocol/webview';
import { panelState } from './fixtures';
import { launch, openPanel, SCREENSHOTS, skipReason, startServer, type Harness, type PanelPage } from './harness';
import type { ThemeName } from './themes';

const events = readFileSync(join(__dirname, 'fixtures', 'tune-events.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TuneEvent);
const start = events[0] as TuneStartEvent;
const end = events[events.length - 1] as TuneEndEvent;
const name = start.dir.split('/').pop()!;
const tuneEvent = (event: unknown) => ({ type: 'tune-event', event });
const firstEnd = events.findIndex((e) => e.kind === 'trial' && e.change === 'end');
const roundAt = events.findIndex((e) => e.kind === 'round');

describe('tune section', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { mkdirSync(SCREENSHOTS, { recursive: true }); server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  async function fresh(theme: ThemeName = 'dark'): Promise<PanelPage> {
    const p = await openPanel(browser, server.origin, { theme, width: 320, height: 1100 });
    await p.deliver({ type: 'state', state: panelState() });
    await p.settle();
    return p;
  }
  const statusOf = (p: PanelPage, id: string) => p.page.getAttribute(`[data-trial="${id}"]`, 'data-status');

  test('trials arrive as the tune reports them; the round drops the others; the end stars the best', async () => {
    const p = await fresh();
    assert.match(await p.page.textContent('#section-tune') ?? '', /Tune Model…/);
    await p.deliverAll(events.slice(0, firstEnd + 1).map(tuneEvent));
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="tune-status"]'), `Tuning ${name}`);
    assert.match(await p.page.textContent('[data-testid="tune-detail"]') ?? '', new RegExp(`Round 1 of ${start.rounds.length} · ${start.rounds.join(' → ')} trials · \\d+:\\d\\d left`));
    assert.equal(await p.page.locator('.trial').count(), start.trials.length);
    assert.equal(await statusOf(p, 't00'), 'trained');
    assert.equal(await statusOf(p, 't01'), 'waiting');
    assert.match(await p.page.textContent('[data-trial="t00"] .trial-settings') ?? '', /the balanced preset/);
    assert.equal(await p.page.isVisible('[data-action="stop-tuning"]'), true);

    // The next trial, live: it is shown training, its steps growing with each epoch.
    const nextStart = events.findIndex((e, i) => i > firstEnd && e.kind === 'trial' && e.change === 'epoch');
    await p.deliverAll(events.slice(firstEnd + 1, nextStart + 1).map(tuneEvent));
    await p.settle();
    const live = events[nextStart] as Extract<TuneEvent, { kind: 'trial' }>;
    assert.equal(await statusOf(p, live.trial.id), 'running');
    assert.match(await p.page.textContent(`[data-trial="${live.trial.id}"] .trial-result`) ?? '', new RegExp(`^${live.trial.steps.toLocaleString('en-US')} steps`));

    await p.deliverAll(events.slice(nextStart + 1, roundAt + 1).map(tuneEvent));
    await p.settle();
    const promoted = (events[roundAt] as Extract<TuneEvent, { kind: 'round' }>).promoted;
    for (const t of start.trials) {
      assert.equal(await statusOf(p, t.id), promoted.includes(t.id) ? 'waiting' : 'dropped', t.id);
      if (promoted.includes(t.id)) assert.match(await p.page.textContent(`[data-trial="${t.id}"] .trial-round`) ?? '', /round 2/);
    }
    await p.deliverAll(events.slice(roundAt + 1).map(tuneEvent));
    await p.settle();
    assert.match(await p.page.textContent('[data-testid="tune-status"]') ?? '', new RegExp(`^Tune ${name}: (finished|out of time)$`));
    assert.equal(await p.page.isVisible('[data-action="stop-tuning"]'), false);
    assert.equal(await p.page.locator('.trial-best').count(), 1);
    assert.equal(await p.page.getAttribute('.trial-best', 'data-trial'), end.best!.id);
    assert.match(await p.page.textContent('[data-testid="tune-detail"]') ?? '', new RegExp(`best ${end.best!.id} \\(PER \\d`));
    for (const t of end.trials) assert.equal(await statusOf(p, t.id), t.status);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), []);
    await p.page.context().close();
  });

  test('Stop sends a message the extension accepts; a reload and the extension\'s state rebuild the table', async () => {
    const p = await fresh();
    await p.deliverAll(events.slice(0, roundAt).map(tuneEvent));
    await p.settle();
    await p.page.click('[data-action="stop-tuning"]');
    await p.settle();
    const stop = (await p.posted()).filter((m) => m.type === 'stop-tuning');
    assert.equal(stop.length, 1);
    assert.deepEqual(parseWebviewMessage(stop[0], { hasModel: () => false, hasDataFile: () => false }), { type: 'stop-tuning' });
    assert.equal(await p.page.isDisabled('[data-action="stop-tuning"]'), true, 'one stop at a time');
    const rows = await p.page.locator('.trial').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-trial')}:${e.getAttribute('data-status')}`));
    await p.page.waitForTimeout(1200);
    await p.page.reload();
    await p.page.waitForSelector('.toolbar');
    await p.settle();
    assert.deepEqual(await p.page.locator('.trial').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-trial')}:${e.getAttribute('data-status')}`)), rows, 'the saved picture');
    // The extension's state alone: the snapshot of the finished tune.
    await p.deliver({ type: 'state', state: panelState({ tune: { running: false, name, events } }) });
    await p.settle();
    assert.match(await p.page.textContent('[data-testid="tune-status"]') ?? '', new RegExp(`^Tune ${name}: `));
    assert.equal(await p.page.getAttribute('.trial-best', 'data-trial'), end.best!.id);
    await p.page.context().close();
  });

  test('malformed tune events are dropped without breaking the section', async () => {
    const p = await fresh();
    await p.deliverAll(events.slice(0, firstEnd + 1).map(tuneEvent));
    await p.settle();
    const before = await p.page.locator('.trial').evaluateAll((els) => els.map((e) => e.textContent));
    const t = (events[firstEnd] as Extract<TuneEvent, { kind: 'trial' }>).trial;
    await p.deliverAll([
      tuneEvent(null), tuneEvent({ kind: 'trial' }), tuneEvent({ kind: 'trial', change: 'end', trial: { ...t, status: 'exploded' }, devMetric: 'per', elapsedMs: 1, remainingMs: 1 }),
      tuneEvent({ kind: 'trial', change: 'end', trial: { ...t, values: { 'model.hidden': { evil: 1 } } }, devMetric: 'per', elapsedMs: 1, remainingMs: 1 }),
      tuneEvent({ kind: 'round', round: 0, promoted: 't01' }), { type: 'tune-event' },
      tuneEvent({ kind: 'trial', change: 'end', trial: { ...t, id: 't99', error: '<img src=x onerror="window.__pwned=1">' }, devMetric: 'per', elapsedMs: 1, remainingMs: 1 }),
    ]);
    await p.settle();
    const afterRows = await p.page.locator('.trial').evaluateAll((els) => els.map((e) => e.textContent));
    assert.deepEqual(afterRows.slice(0, before.length), before);
    assert.match(afterRows.at(-1) ?? '', /<img src=x/, 'text from a message stays text');
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });

  for (const theme of ['light', 'dark', 'hc'] as ThemeName[]) {
    test(`screenshot: ${theme}`, async () => {
      const p = await fresh(theme);
      await p.deliverAll(events.slice(0, roundAt + 3).map(tuneEvent));
      await p.settle();
      await p.page.evaluate(() => {
        for (const id of ['setup', 'now', 'curves', 'samples', 'models', 'compare', 'try']) (document.querySelector(`#section-${id}`) as HTMLDetailsElement).open = false;
      });
      await p.settle();
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow} px)`);
      await p.page.screenshot({ path: join(SCREENSHOTS, `tune-${theme}-320.png`), fullPage: true });
      assert.deepEqual(p.errors, []);
      assert.deepEqual(await p.cspViolations(), []);
      await p.page.context().close();
    });
  }
});
