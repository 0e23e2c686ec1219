/**
 * The panel fed by a real training run as it happens: the engine's CLI trains a tiny model on the
 * bundled sample data and writes each TrainEvent as a JSON line; the test forwards the lines to the
 * panel while the run goes on, as the extension forwards the worker's events. Catches any drift
 * between the engine's events and what the panel understands.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DIST, launch, openPanel, ROOT, skipReason, startServer, type Harness } from './harness';
import { chartPoints, panelState } from './fixtures';
import { isTrainEvent } from '../../src/protocol/toWebview';

const CLI = join(DIST, 'cli.js');
const SAMPLE = join(ROOT, 'samples', 'g2p-sample.tsv');

function reason(): string | false {
  const browser = skipReason();
  if (browser) return browser;
  if (!existsSync(CLI)) return 'dist/cli.js is missing: run `node esbuild.mjs` first';
  if (!existsSync(SAMPLE)) return 'samples/g2p-sample.tsv is missing';
  return false;
}

describe('a live training run', { skip: reason() }, () => {
  let browser: Browser;
  let server: Harness;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seq2seq-panel-live-'));
    server = await startServer();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the curves grow while the engine trains, and the run ends finished', { timeout: 180_000 }, async (t) => {
    const data = join(dir, 'data.tsv');
    writeFileSync(data, readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 800).join('\n') + '\n');
    const eventsFile = join(dir, 'events.jsonl');
    writeFileSync(eventsFile, '');
    const p = await openPanel(browser, server.origin);
    await p.deliver({ type: 'state', state: panelState({ models: [], activeModel: null }) });

    const child = spawn(process.execPath, [CLI, 'train', '--data', data, '--out', join(dir, 'model'), '--preset', 'fast',
      '--epochs', '2', '--batch', '16', '--target-tokens', 'word', '--events-jsonl', eventsFile, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    let done = false;
    void exited.then(() => { done = true; });

    let delivered = 0;
    let stepEvents = 0;
    const seen: number[] = [];
    let sawLive = false;
    for (;;) {
      const finished = done;
      const lines = readFileSync(eventsFile, 'utf8').split('\n');
      const complete = lines.slice(0, -1); // the last piece may be a line still being written
      const fresh = complete.slice(delivered).map((l) => JSON.parse(l) as unknown);
      for (const ev of fresh) {
        assert.ok(isTrainEvent(ev), `the panel understands the engine's event: ${JSON.stringify(ev).slice(0, 200)}`);
        if ((ev as { kind: string }).kind === 'step') stepEvents++;
      }
      if (fresh.length) {
        await p.deliverAll(fresh.map((event) => ({ type: 'train-event', event })));
        delivered += fresh.length;
        await p.settle();
        seen.push((await chartPoints(p.page, 'loss')).trainStep ?? 0);
        if ((await p.page.getAttribute('.toolbar', 'data-status')) === 'running') sawLive = true;
      }
      if (finished && fresh.length === 0) break;
      await new Promise((ok) => setTimeout(ok, 150));
    }
    assert.equal(await exited, 0, `the CLI run failed: ${stderr}`);
    t.diagnostic(`step points after each delivery: ${seen.join(', ')}`);
    assert.ok(sawLive, 'the panel showed the run as running');
    assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]), `the step curve only grows: ${seen.join(', ')}`);
    assert.ok(stepEvents > 0);
    assert.equal(seen.at(-1), stepEvents);
    assert.match(await p.page.textContent('[data-testid="status"]') ?? '', /^Finished/);
    assert.ok((await p.page.locator('.sample').count()) > 0, 'samples are shown');
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });
});
