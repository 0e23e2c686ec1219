/**
 * The attention view in Try it, fed the try answers of two real models (fixtures/try-result-attention.json):
 * a heat map under the best hypothesis with a row per output token and a column per input token, each
 * cell's weight in its title and in hidden text, the strongest cell of each row marked; the Transformer's
 * head selector; colours from the theme, the strongest weights readable against the weakest in light,
 * dark and high contrast (screenshots); no CSP violation (the weights go through the CSSOM); malformed
 * maps dropped with the hypotheses kept; a note for a model without attention.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { AttentionMap } from '../../src/model/decoding/decodeOptions';
import { panelState, recordedAttention, recordedModels } from './fixtures';
import { launch, openPanel, SCREENSHOTS, skipReason, startServer, type Harness, type PanelPage } from './harness';
import type { ThemeName } from './themes';

const recorded = recordedAttention();
const [rnnModel, transformerModel] = recorded.models;

/** The rendered map: header tokens, row tokens, each cell's data-weight, title, hidden text and marks. */
async function readMap(p: PanelPage) {
  return p.page.evaluate(() => {
    const table = document.querySelector('.attention-map')!;
    const cells = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => ({
      weight: Number(td.getAttribute('data-weight')), title: td.getAttribute('title') ?? '', said: td.textContent ?? '',
      strongest: td.classList.contains('strongest'), background: getComputedStyle(td).backgroundColor,
    })));
    return {
      sources: [...table.querySelectorAll('thead th.attention-source')].map((th) => th.textContent),
      targets: [...table.querySelectorAll('tbody th')].map((th) => th.textContent),
      caption: table.querySelector('caption')?.textContent ?? '',
      cells,
    };
  });
}

/** WCAG contrast ratio of two computed colours: `rgb(0-255 ...)` or, from color-mix, `color(srgb 0-1 ...)`. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const unit = c.startsWith('color(srgb') ? 1 : 255;
    const [r, g, bl] = (c.replace(/^color\(srgb/, '').match(/[\d.e-]+/g) ?? []).slice(0, 3).map((x) => {
      const v = Number(x) / unit;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

function hexToRgb(hex: string): string {
  const x = hex.replace('#', '');
  return `rgb(${[0, 2, 4].map((i) => parseInt(x.slice(i, i + 2), 16)).join(', ')})`;
}

describe('attention view', { skip: skipReason() }, () => {
  let browser: Browser;
  let server: Harness;

  before(async () => { mkdirSync(SCREENSHOTS, { recursive: true }); server = await startServer(); browser = await launch(); });
  after(async () => { await browser?.close(); await server?.close(); });

  async function tried(which: 'rnn' | 'transformer', theme: ThemeName = 'dark', width = 320): Promise<PanelPage> {
    const p = await openPanel(browser, server.origin, { theme, width, height: 1200 });
    const active = which === 'rnn' ? rnnModel : transformerModel;
    await p.deliver({ type: 'state', state: panelState({ models: recorded.models, activeModel: active.name }) });
    await p.page.fill('#try-input', recorded[which].text);
    await p.deliver(recorded[which]);
    await p.settle();
    return p;
  }

  test('a recurrent model: one row per output token over the input tokens, each cell saying its weight, the strongest marked', async () => {
    const p = await tried('rnn');
    const best = recorded.rnn.hypotheses[0].attention!;
    const map = await readMap(p);
    assert.deepEqual(map.sources, best.source);
    assert.deepEqual(map.targets, best.target);
    assert.equal(map.caption, 'Each output token (row) over the input tokens (columns): the stronger the colour, the more attention.');
    map.cells.forEach((row, t) => {
      assert.equal(row.length, best.source.length);
      row.forEach((c, s) => {
        assert.ok(Math.abs(c.weight - best.weights[t][s]) < 1e-4, `cell ${t},${s} shows weight ${c.weight}`);
        assert.match(c.title, new RegExp(`^${best.target[t].replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')} → ${best.source[s]}: (< )?[\\d.]+ %$`));
        assert.ok(c.title.endsWith(c.said), 'screen readers hear the weight');
      });
      const strongest = best.weights[t].indexOf(Math.max(...best.weights[t]));
      assert.deepEqual(row.map((c) => c.strongest), row.map((_, s) => s === strongest), `row ${t}: its strongest cell is marked`);
    });
    assert.equal(await p.page.locator('.attention-heads').count(), 0, 'no head selector for one attention');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), [], 'the weights reach the cells without a style attribute');
    await p.page.context().close();
  });

  test('a Transformer: the last layer\'s average by default, then any layer\'s average or any head from the select', async () => {
    const p = await tried('transformer');
    const best: AttentionMap = recorded.transformer.hypotheses[0].attention!;
    const weightsShown = async () => (await readMap(p)).cells.map((row) => row.map((c) => c.weight));
    const close = (a: number[][], b: number[][]) => a.every((row, t) => row.every((w, s) => Math.abs(w - b[t][s]) < 1e-4));
    assert.ok(close(await weightsShown(), best.weights), 'the default is the last layer\'s heads averaged');
    const options = await p.page.locator('.attention-heads option').allTextContents();
    const layers = new Set(best.heads.map((x) => x.layer)).size;
    assert.equal(options.length, 1 + (layers - 1) + best.heads.length, `options: ${options.join(' | ')}`);
    assert.match(options[0], new RegExp(`Average of layer ${layers}'s heads`));
    for (const x of [best.heads[0], best.heads[best.heads.length - 1]]) {
      await p.page.selectOption('.attention-heads', `l${x.layer}h${x.head}`);
      await p.settle();
      assert.ok(close(await weightsShown(), x.weights), `layer ${x.layer + 1} head ${x.head + 1} shown`);
      assert.match((await readMap(p)).caption, new RegExp(`^Layer ${x.layer + 1}, head ${x.head + 1}\\. Each output token`));
    }
    await p.page.selectOption('.attention-heads', 'l0');
    await p.settle();
    const first = best.heads.filter((x) => x.layer === 0);
    const mean = best.weights.map((row, t) => row.map((_, s) => first.reduce((sum, x) => sum + x.weights[t][s], 0) / first.length));
    assert.ok(close(await weightsShown(), mean), 'layer 1\'s heads averaged');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), []);
    await p.page.context().close();
  });

  for (const theme of ['light', 'dark', 'hc'] as ThemeName[]) {
    test(`readable in ${theme}: weak cells are the editor background, strong ones stand out from them (screenshots)`, async () => {
      for (const which of ['rnn', 'transformer'] as const) {
        const p = await tried(which, theme);
        const map = await readMap(p);
        const cells = map.cells.flat();
        const weakest = cells.reduce((a, b) => (b.weight < a.weight ? b : a));
        const strongest = cells.reduce((a, b) => (b.weight > a.weight ? b : a));
        const editor = await p.page.evaluate(() => {
          const c = getComputedStyle(document.querySelector('.attention-map')!).getPropertyValue('--attention-paper');
          return { paper: c.trim(), editor: getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim() };
        });
        assert.ok(weakest.weight < 0.01 && strongest.weight > 0.9, `${which}: the map has weak and strong cells`);
        assert.ok(contrast(strongest.background, weakest.background) >= 3, `${which}: strongest ${strongest.background} against weakest ${weakest.background}: contrast ${contrast(strongest.background, weakest.background).toFixed(2)}`);
        assert.equal(editor.paper, editor.editor, 'cells mix into the editor background');
        assert.ok(contrast(weakest.background, hexToRgb(editor.editor)) < 1.05, `${which}: the weakest cell ${weakest.background} is the editor background ${editor.editor}`);
        const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow} px)`);
        await p.page.locator('#section-try').screenshot({ path: join(SCREENSHOTS, `attention-${which}-${theme}.png`) });
        assert.deepEqual(p.errors, []);
        assert.deepEqual(await p.cspViolations(), []);
        await p.page.context().close();
      }
    });
  }

  test('in a 250 px sidebar the map scrolls inside its box, the page does not', async () => {
    const p = await tried('transformer', 'dark', 250);
    const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 250 px (overflow ${overflow} px)`);
    await p.page.context().close();
  });

  test('malformed maps are dropped with a note and their hypotheses kept; a model without attention gets a one-line note', async () => {
    const p = await tried('rnn');
    const [first, ...rest] = recorded.rnn.hypotheses;
    const bad = (edit: (a: AttentionMap) => unknown) => ({ ...first, attention: edit(structuredClone(first.attention!)) });
    for (const [what, hyp] of [
      ['a weight above 1', bad((a) => { a.weights[0][0] = 2; return a; })],
      ['a weight that was NaN (null in JSON)', bad((a) => { a.weights[1][1] = null as unknown as number; return a; })],
      ['a row too short', bad((a) => { a.weights[2].pop(); return a; })],
      ['a row not summing to 1', bad((a) => { a.weights[0] = a.weights[0].map(() => 0); return a; })],
      ['too many tokens', bad((a) => ({ ...a, source: Array(5000).fill('a') }))],
      ['not an object', bad(() => 'map')],
    ] as const) {
      await p.deliver({ ...recorded.rnn, hypotheses: [hyp, ...rest] });
      await p.settle();
      assert.equal(await p.page.locator('.attention-map').count(), 0, `${what}: no map`);
      assert.equal(await p.page.locator('.hyp').count(), recorded.rnn.hypotheses.length, `${what}: every hypothesis still listed`);
      assert.match(await p.page.textContent('.attention-note') ?? '', /No attention map for this translation/, `${what}: the panel says why there is no map`);
    }
    await p.deliver(recorded.rnn);
    await p.settle();
    assert.equal(await p.page.locator('.attention-map').count(), 1, 'a good map again');
    // A model without attention: its answer carries no map, and the panel says why.
    const plain = recordedModels()[0];
    await p.deliver({ type: 'state', state: panelState({ models: [{ ...plain, attention: 'none' }], activeModel: plain.name }) });
    await p.deliver({ ...recorded.rnn, hypotheses: recorded.rnn.hypotheses.map(({ attention: _a, ...h }) => h) });
    await p.settle();
    assert.equal(await p.page.locator('.attention-map').count(), 0);
    assert.match(await p.page.textContent('.attention-note') ?? '', /this model has no attention/);
    assert.deepEqual(p.errors, []);
    await p.page.context().close();
  });
});
