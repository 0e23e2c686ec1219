/** The controls: the form refuses bad values with a message; Start, Stop, Resume, models and "try it" send the right messages. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { parseWebviewMessage, SAMPLE_DATA, type WebviewReferences } from '../../src/protocol/webview';
import { launch, openPanel, skipReason, startServer, type Harness, type PanelPage } from './harness';
import { panelState, recordedEvents, recordedTryResult, startOf } from './fixtures';

const events = recordedEvents();
/** What the extension would accept: the sample data (these tests train on it). */
const refs: WebviewReferences = { hasModel: () => false, hasDataFile: (f) => f === SAMPLE_DATA };

describe('training panel controls', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  async function fresh(): Promise<PanelPage> {
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState() });
    await p.settle();
    return p;
  }
  const sent = async (p: PanelPage, type: string) => (await p.posted()).filter((m) => m.type === type);

  test('invalid values are refused with a message next to the field, and Start sends nothing', async () => {
    const p = await fresh();
    assert.equal(await p.page.isVisible('#f-model-hidden'), false, 'a preset keeps the hyper-parameters folded');
    await p.page.click('[data-testid="params"] > summary');
    await p.page.fill('#f-model-hidden', '-5');
    await p.page.fill('#f-train-lr', '0');
    await p.page.fill('#f-name', '../escape');
    await p.page.click('[data-action="start"]');
    await p.settle();
    assert.equal((await sent(p, 'start-training')).length, 0);
    assert.match(await p.page.textContent('[data-error-for="model.hidden"]') ?? '', /whole number from 4 to 4096/);
    assert.match(await p.page.textContent('[data-error-for="train.lr"]') ?? '', /above 0/);
    assert.match(await p.page.textContent('[data-error-for="name"]') ?? '', /letters, digits/);
    assert.equal(await p.page.getAttribute('#f-model-hidden', 'aria-invalid'), 'true');
    assert.match(await p.page.textContent('.status-detail') ?? '', /Fix 3 settings/);
    // Focus moves to the first field with a problem (the name comes first in the form).
    assert.equal(await p.page.evaluate(() => document.activeElement?.id), 'f-name');
    // Editing a preset's field turned the preset into "custom".
    assert.equal(await p.page.inputValue('#f-preset'), 'custom');
    // An empty field says so.
    await p.page.fill('#f-train-epochs', '');
    await p.settle();
    assert.equal(await p.page.textContent('[data-error-for="train.epochs"]'), 'Enter a value.');
    await p.page.context().close();
  });

  test('valid custom settings start training with a message the extension accepts', async () => {
    const p = await fresh();
    await p.page.selectOption('#f-preset', 'custom');
    await p.settle();
    assert.equal(await p.page.isVisible('#f-model-hidden'), true, 'choosing custom unfolds the hyper-parameters');
    await p.page.fill('#f-name', 'g2p-test');
    await p.page.fill('#f-model-hidden', '96');
    await p.page.selectOption('#f-model-cell', 'gru');
    await p.page.fill('#f-train-epochs', '3');
    await p.page.selectOption('#f-target-kind', 'word');
    await p.settle();
    const effective = await p.page.textContent('[data-testid="effective"]') ?? '';
    assert.match(effective, /GRU × 1/);
    assert.match(effective, /hidden 96/);
    assert.match(effective, /3 epochs/);
    assert.match(effective, /auto → word/);
    await p.page.click('[data-action="start"]');
    await p.settle();
    const [msg] = await sent(p, 'start-training');
    assert.ok(msg, 'start-training was posted');
    assert.deepEqual(parseWebviewMessage(msg, refs), msg);
    assert.equal(msg.dataFile, '<sample>');
    assert.equal(msg.name, 'g2p-test');
    assert.equal(msg.preset, 'custom');
    const settings = msg.settings as { model: Record<string, unknown>; train: Record<string, unknown>; target: Record<string, unknown> };
    assert.equal(settings.model.hidden, 96);
    assert.equal(settings.model.cell, 'gru');
    assert.equal(settings.train.epochs, 3);
    assert.equal(settings.target.kind, 'word');
    assert.equal((msg.settings as Record<string, unknown>).source, undefined, 'source tokens on auto are not sent');
    assert.equal(await p.page.textContent('[data-testid="status"]'), 'Starting g2p-test…');
    assert.equal(await p.page.isVisible('[data-action="start"]'), false);
    await p.page.context().close();
  });

  test('a preset sends only the settings the preset does not choose', async () => {
    const p = await fresh();
    await p.page.selectOption('#f-preset', 'fast');
    await p.page.click('[data-testid="params"] > summary');
    await p.page.fill('#f-train-minutes', '15');
    await p.settle();
    assert.match(await p.page.textContent('[data-testid="effective"]') ?? '', /after 15 min/);
    await p.page.click('[data-action="start"]');
    await p.settle();
    const [msg] = await sent(p, 'start-training');
    assert.equal(msg.preset, 'fast');
    // Tokenisers on "auto" are left to the engine, which looks at the data.
    assert.deepEqual(msg.settings, { model: { cell: 'lstm' }, train: { minutes: 15 } });
    assert.deepEqual(parseWebviewMessage(msg, refs), msg);
    await p.page.context().close();
  });

  test('Stop sends stop-training; a stopped run offers Resume, which sends resume-training', async () => {
    const p = await fresh();
    const start = startOf(events);
    await p.deliverAll(events.slice(0, 8).map((event) => ({ type: 'train-event', event })));
    await p.settle();
    assert.equal(await p.page.isVisible('[data-action="stop"]'), true);
    assert.equal(await p.page.isVisible('[data-action="start"]'), false);
    assert.equal(await p.page.isDisabled('#f-model-hidden'), true, 'the form is locked while training');
    await p.page.click('[data-action="stop"]');
    await p.settle();
    assert.deepEqual(await sent(p, 'stop-training'), [{ type: 'stop-training' }]);
    assert.match(await p.page.textContent('[data-testid="status"]') ?? '', /^Stopping/);
    assert.equal(await p.page.isDisabled('[data-action="stop"]'), true);
    await p.deliver({ type: 'train-event', event: { kind: 'end', reason: 'stopped', modelDir: start.modelDir, epochs: 0, steps: 70, elapsedMs: 5000, samplesPerSec: 600, targetTokensPerSec: 4000, bestDev: null } });
    await p.settle();
    const name = start.modelDir.split('/').pop()!;
    assert.equal(await p.page.textContent('[data-testid="status"]'), `Stopped: ${name}`);
    assert.equal(await p.page.textContent('.status-detail'), 'In epoch 1 at step 70, after 0:05');
    const progress = Number(await p.page.getAttribute('.run-progress', 'value'));
    assert.ok(Math.abs(progress - 70 / (start.stepsPerEpoch * start.settings.train.epochs)) < 1e-9, `a stopped run is not shown complete (${progress})`);
    assert.equal(await p.page.isVisible('[data-action="resume"]'), true);
    await p.page.click('[data-action="resume"]');
    await p.settle();
    assert.deepEqual(await sent(p, 'resume-training'), [{ type: 'resume-training', model: name }]);
    await p.page.context().close();
  });

  test('choosing data asks the extension, and the answer fills the form', async () => {
    const p = await fresh();
    await p.page.click('[data-action="pick-data"]');
    assert.deepEqual(await sent(p, 'pick-data-file'), [{ type: 'pick-data-file' }]);
    await p.deliver({ type: 'data-file', path: '/home/u/data/eng-deu.tsv', profile: { pairs: 50000, sourceVocab: 9000, targetVocab: 12000, sourceLen95: 9, targetLen95: 10 } });
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="data-name"]'), 'eng-deu.tsv');
    assert.match(await p.page.inputValue('#f-name'), /^eng-deu-\d{4}-\d{4}$/);
    // The preset's sizes now come from this data (large vocabulary: wider embedding than the default 64).
    assert.ok(Number(await p.page.inputValue('#f-model-emb')) > 64);
    await p.page.click('[data-action="sample-data"]');
    await p.settle();
    assert.equal(await p.page.textContent('[data-testid="data-name"]'), 'Sample data (built in)');
    assert.equal(await p.page.isVisible('[data-action="sample-data"]'), false, 'no need to offer the sample data once chosen');
    await p.page.context().close();
  });

  test('model actions and "try it" send their messages; results show n-best with scores', async () => {
    const p = await fresh();
    await p.page.click('[data-model="eng-deu-small"] button[aria-label="Make eng-deu-small the active model"]');
    await p.page.click('[data-model="eng-deu-small"] button[aria-label="Export eng-deu-small"]');
    await p.page.click('[data-model="g2p-small"] button[aria-label="Delete g2p-small"]');
    const posted = await p.posted();
    assert.deepEqual(posted.filter((m) => ['set-active-model', 'export-model', 'delete-model'].includes(m.type)), [
      { type: 'set-active-model', model: 'eng-deu-small' },
      { type: 'export-model', model: 'eng-deu-small' },
      { type: 'delete-model', model: 'g2p-small' },
    ]);
    const result = recordedTryResult();
    await p.page.fill('#try-input', result.text);
    await p.page.press('#try-input', 'Enter');
    await p.settle();
    assert.deepEqual(await sent(p, 'try-translate'), [{ type: 'try-translate', text: result.text, nBest: 3 }]);
    assert.match(await p.page.textContent('.try-results') ?? '', /Translating/);
    await p.deliver(result);
    await p.settle();
    assert.deepEqual(await p.page.locator('.hyp-text').allTextContents(), result.hypotheses.map((h) => h.text));
    const top = result.hypotheses[0];
    assert.equal(await p.page.locator('.hyp-score').first().textContent(),
      `${Number(top.score.toPrecision(3))} · p ${Number((Math.exp(top.logProb) * 100).toPrecision(2))} %`);
    await p.page.context().close();
  });

  test('every control can be reached with the keyboard and has a name', async () => {
    const p = await fresh();
    const unnamed = await p.page.evaluate(() => Array.from(document.querySelectorAll('button, input, select, textarea, summary'))
      .filter((el) => {
        const e = el as HTMLElement;
        if (e.closest('[hidden]') || e.tabIndex < 0) return false;
        const label = e.getAttribute('aria-label') || e.textContent?.trim() || (e.id && document.querySelector(`label[for="${e.id}"]`)?.textContent);
        return !label;
      }).map((el) => el.outerHTML.slice(0, 80)));
    assert.deepEqual(unnamed, []);
    // Tab from the top reaches Start, and Enter on it tries to start (here: the form is valid).
    await p.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let reached = false;
    for (let i = 0; i < 5 && !reached; i++) {
      await p.page.keyboard.press('Tab');
      reached = await p.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.action === 'start');
    }
    assert.ok(reached, 'Start is among the first stops of the tab order');
    await p.page.keyboard.press('Enter');
    await p.settle();
    assert.equal((await sent(p, 'start-training')).length, 1);
    await p.page.context().close();
  });
});
