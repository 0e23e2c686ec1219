/**
 * A long run stays cheap: an hour of fast training (20,000 step events, 50 epochs with samples)
 * arrives in bursts; the curves keep a bounded number of points, handling an event stays well
 * under a millisecond, the page answers an animation frame promptly afterwards, and the saved
 * webview state stays small. Step events are the recorded run's, continued with the same shape.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { TrainEvent, TrainEpochEvent, TrainStepEvent } from '../../src/model/training/events';
import { launch, openPanel, skipReason, startServer, type Harness } from './harness';
import { chartPoints, epochs, panelState, recordedEvents, startOf, steps } from './fixtures';

const STEP_EVENTS = 20000;
const EPOCHS = 50;
const STEPS_PER_EPOCH = (STEP_EVENTS * 10) / EPOCHS;

function hourOfEvents(): TrainEvent[] {
  const rec = recordedEvents();
  const start = { ...startOf(rec), stepsPerEpoch: STEPS_PER_EPOCH, settings: { ...startOf(rec).settings, train: { ...startOf(rec).settings.train, epochs: EPOCHS } } };
  const stepTemplate = steps(rec)[0];
  const epochTemplate = epochs(rec).at(-1)!;
  const out: TrainEvent[] = [start];
  for (let i = 1; i <= STEP_EVENTS; i++) {
    const step = i * 10;
    const epoch = Math.floor((step - 1) / start.stepsPerEpoch) + 1;
    const s: TrainStepEvent = { ...stepTemplate, epoch, step, stepInEpoch: step - (epoch - 1) * start.stepsPerEpoch, stepsPerEpoch: start.stepsPerEpoch,
      loss: 3 * Math.exp(-i / 4000) + 0.5 + 0.05 * Math.sin(i), accuracy: 90 - 60 * Math.exp(-i / 4000), elapsedMs: i * 180, etaMs: (STEP_EVENTS - i) * 180 };
    out.push(s);
    if (step % STEPS_PER_EPOCH === 0) {
      const e: TrainEpochEvent = { ...epochTemplate, epoch, epochs: EPOCHS, step, elapsedMs: i * 180 };
      out.push(e);
    }
  }
  return out;
}

describe('a one-hour run', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  test('keeps the panel responsive and its data bounded', async (t) => {
    const all = hourOfEvents();
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState() });
    const msgs = all.map((event) => ({ type: 'train-event', event }));
    const handlingMs: number[] = [];
    const BURST = 250;
    for (let i = 0; i < msgs.length; i += BURST) {
      // Each burst is handled in the page, timed there, then the page gets to draw.
      handlingMs.push(await p.page.evaluate((batch) => {
        const t0 = performance.now();
        for (const m of batch) (window as unknown as { __deliver(x: unknown): void }).__deliver(m);
        return performance.now() - t0;
      }, msgs.slice(i, i + BURST)));
      if ((i / BURST) % 10 === 0) await p.page.evaluate(() => new Promise((ok) => requestAnimationFrame(ok)));
    }
    await p.settle();
    const perEvent = handlingMs.reduce((a, b) => a + b, 0) / msgs.length;
    assert.ok(perEvent < 0.5, `handling an event takes ${perEvent.toFixed(3)} ms on average`);

    const points = await chartPoints(p.page, 'loss');
    assert.ok(points.trainStep <= 601 && points.trainStep >= 300, `step curve thinned to ${points.trainStep} points`);
    assert.equal(points.trainEpoch, EPOCHS);
    assert.equal(await p.page.textContent('[data-stat="step"]'), (STEP_EVENTS * 10).toLocaleString('en-US'));

    // A frame comes promptly, including a full chart redraw.
    const frameMs = await p.page.evaluate(() => new Promise<number>((ok) => {
      const t0 = performance.now();
      requestAnimationFrame(() => ok(performance.now() - t0));
    }));
    assert.ok(frameMs < 250, `next frame after ${frameMs.toFixed(0)} ms`);

    await p.page.waitForTimeout(1200);
    const savedBytes = await p.page.evaluate(() => (sessionStorage.getItem('vscode-webview-state') ?? '').length);
    assert.ok(savedBytes > 1000 && savedBytes < 1_000_000, `saved state is ${savedBytes} bytes`);
    t.diagnostic(`${perEvent.toFixed(3)} ms per event, ${points.trainStep} step points, next frame ${frameMs.toFixed(0)} ms, saved state ${savedBytes} bytes`);
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });
});
