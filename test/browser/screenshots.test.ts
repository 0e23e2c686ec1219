/**
 * Screenshots of the panel in the middle of the recorded run, in light, dark and high-contrast
 * themes and at a narrow sidebar width, written to test/browser/screenshots/ (not committed).
 * Also checks that nothing overflows sideways at 250 px and that the theme reaches the page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launch, openPanel, SCREENSHOTS, skipReason, startServer, type Harness } from './harness';
import { panelState, recordedEvents, recordedTryResult } from './fixtures';
import type { ThemeName } from './themes';

const events = recordedEvents();
const lastEpochAt = events.map((e) => e.kind).lastIndexOf('epoch');
/** The run as it looks during its last epoch: everything before the final epoch report. */
const midRunEvents = events.slice(0, lastEpochAt);

describe('screenshots', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startServer();
    browser = await launch();
  });
  after(async () => { await browser?.close(); await server?.close(); });

  const cases: { theme: ThemeName; width: number; bg: string }[] = [
    { theme: 'light', width: 320, bg: 'rgb(248, 248, 248)' },
    { theme: 'dark', width: 320, bg: 'rgb(24, 24, 24)' },
    { theme: 'hc', width: 320, bg: 'rgb(0, 0, 0)' },
    { theme: 'dark', width: 250, bg: 'rgb(24, 24, 24)' },
  ];
  test('idle, light, setup open: what a new user sees', async () => {
    const p = await openPanel(browser, server.origin, { theme: 'light', width: 320, height: 1000 });
    await p.deliver({ type: 'state', state: panelState({ models: [], activeModel: null }) });
    await p.settle();
    assert.equal(await p.page.isVisible('#f-preset'), true);
    assert.equal(await p.page.isVisible('[data-action="start"]'), true);
    await p.page.screenshot({ path: join(SCREENSHOTS, 'panel-idle-light-320.png'), fullPage: true });
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });

  for (const c of cases) {
    test(`${c.theme} at ${c.width} px`, async () => {
      const p = await openPanel(browser, server.origin, { theme: c.theme, width: c.width, height: 1000 });
      await p.deliver({ type: 'state', state: panelState({ training: { running: true, modelName: 'g2p-small', events: midRunEvents } }) });
      await p.page.fill('#try-input', recordedTryResult().text);
      await p.deliver(recordedTryResult());
      await p.settle();
      await p.page.evaluate(() => {
        (document.querySelector('#section-setup') as HTMLDetailsElement).open = true;
        (document.activeElement as HTMLElement | null)?.blur();
        window.scrollTo(0, 0);
      });
      await p.settle();
      assert.equal(await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor), c.bg);
      const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scrolling at ${c.width} px (overflow ${overflow} px)`);
      await p.page.screenshot({ path: join(SCREENSHOTS, `panel-${c.theme}-${c.width}.png`), fullPage: true });
      assert.deepEqual(p.errors, []);
      assert.deepEqual(await p.cspViolations(), []);
      await p.page.context().close();
    });
  }
});
