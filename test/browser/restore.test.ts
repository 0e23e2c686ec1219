/**
 * Surviving hide/show and reload: the panel redraws from its saved webview state at once, and the
 * extension's `state` message (the authoritative snapshot) rebuilds the picture, also when the
 * webview state is gone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launch, openPanel, skipReason, startServer, type Harness, type PanelPage } from './harness';
import { chartPoints, epochs, panelState, recordedEvents, steps } from './fixtures';

const events = recordedEvents();
const midAt = events.findIndex((e) => e.kind === 'epoch' && e.epoch === 4);
const mid = events.slice(0, midAt + 3);

async function picture(p: PanelPage) {
  return {
    status: await p.page.textContent('[data-testid="status"]'),
    epoch: await p.page.textContent('[data-stat="epoch"]'),
    step: await p.page.textContent('[data-stat="step"]'),
    best: await p.page.textContent('[data-stat="best"]'),
    loss: await chartPoints(p.page, 'loss'),
    metric: await chartPoints(p.page, 'metric'),
    samples: await p.page.locator('.sample').count(),
    samplesHead: await p.page.textContent('[data-testid="samples-head"]'),
  };
}

describe('restoring the panel', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  test('after a reload the saved state redraws the run in progress before the extension answers', async () => {
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState() });
    await p.page.fill('#f-name', 'my-next-model');
    await p.deliverAll(mid.map((event) => ({ type: 'train-event', event })));
    await p.settle(); // no wait for the once-a-second saver: leaving the page saves at once
    const before = await picture(p);
    assert.equal(before.loss.trainStep, steps(mid).length);
    assert.equal(before.loss.devEpoch, epochs(mid).length);

    await p.page.reload();
    await p.page.waitForSelector('.toolbar');
    await p.settle();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }], 'the reloaded panel asks for the state');
    assert.deepEqual(await picture(p), before);
    assert.equal(await p.page.inputValue('#f-name'), 'my-next-model', 'the form draft survives too');
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });

  test('the extension state rebuilds the picture without any saved webview state', async () => {
    const p = await openPanel(browser, server.origin);
    // As the extension sends it: step events thinned, the run still going.
    const snapshot = mid.filter((e, i) => e.kind !== 'step' || i % 2 === 0);
    await p.deliver({ type: 'state', state: panelState({ training: { running: true, modelName: 'g2p-live', events: snapshot } }) });
    await p.settle();
    const shownSteps = steps(snapshot);
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Training g2p-live');
    assert.deepEqual(await chartPoints(p.page, 'loss'), { trainStep: shownSteps.length, trainEpoch: epochs(mid).length, devEpoch: epochs(mid).length });
    assert.equal(await p.page.textContent('[data-stat="step"]'), shownSteps.at(-1)!.step.toLocaleString('en-US'));
    assert.equal(await p.page.isVisible('[data-action="stop"]'), true);
    // Live events continue the same picture; ones already in the snapshot are not counted twice.
    const live = [...mid.slice(-2), ...events.slice(midAt + 3, midAt + 8)];
    await p.deliverAll(live.map((event) => ({ type: 'train-event', event })));
    await p.settle();
    const newSteps = steps(live).filter((s) => s.step > shownSteps.at(-1)!.step).length;
    assert.ok(newSteps > 0 && newSteps < steps(live).length, 'the live events overlap the snapshot');
    assert.equal((await chartPoints(p.page, 'loss')).trainStep, shownSteps.length + newSteps);
    await p.page.context().close();
  });

  test('a state without training clears a finished run; a later snapshot replaces an earlier one', async () => {
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState({ training: { running: false, modelName: 'old', events } }) });
    await p.settle();
    assert.match(await p.page.textContent('[data-testid="status"]') ?? '', /^Finished: old/);
    await p.deliver({ type: 'state', state: panelState({ training: null }) });
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Ready');
    assert.deepEqual(await chartPoints(p.page, 'loss'), { trainStep: 0, trainEpoch: 0, devEpoch: 0 });
    await p.page.context().close();
  });
});
