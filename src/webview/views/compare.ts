/**
 * Compare: the models ticked in Models, side by side. Loss and dev metric curves overlaid (one
 * colour per model; train dashed, dev solid) against steps or minutes, results and settings in one
 * table with the rows that differ marked, and each model's dev samples under the same source.
 */
import type { RunRecord } from '../../model/storage/runRecord';
import { LineChart, type SeriesSpec, type XAxis } from '../chart';
import { curve, metricGroups, resultRows, RUN_COLORS, sampleRows, settingRows, type CompareAxis, type CompareRow, type SampleRow } from '../compare';
import { diff, sides } from '../diff';
import { h, icon, replaceChildren } from '../dom';
import * as f from '../format';
import { metricsFor, metricValue } from '../metrics';
import type { PanelModel } from '../panelModel';
import { marked } from './samples';

export interface CompareActions { setAxis(axis: CompareAxis): void; setOnlyDifferences(on: boolean): void }

const AXES: Record<CompareAxis, { axis: XAxis; incrs: number[]; button: string }> = {
  step: {
    axis: { label: 'step', format: (v) => f.int(v) }, button: 'Steps',
    incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000],
  },
  minutes: {
    axis: { label: 'minutes', format: (v) => f.num(v, 2) }, button: 'Minutes',
    incrs: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 960, 1920],
  },
};

export class CompareView {
  readonly el: HTMLElement;
  private readonly empty: HTMLParagraphElement;
  private readonly body: HTMLDivElement;
  private readonly axisButtons: Record<CompareAxis, HTMLButtonElement>;
  private readonly onlyDiff: HTMLInputElement;
  private readonly charts: HTMLDivElement;
  private readonly legend: HTMLUListElement;
  private readonly table: HTMLDivElement;
  private readonly samples: HTMLDivElement;
  private plots: LineChart[] = [];
  private key = '';
  private readonly resizer: ResizeObserver;

  constructor(actions: CompareActions) {
    this.empty = h('p', { class: 'empty' });
    const axisButton = (axis: CompareAxis) => h('button', {
      type: 'button', class: 'btn secondary small', 'data-axis': axis, 'aria-pressed': 'false', onclick: () => actions.setAxis(axis),
    }, AXES[axis].button);
    this.axisButtons = { step: axisButton('step'), minutes: axisButton('minutes') };
    this.onlyDiff = h('input', { type: 'checkbox', id: 'compare-only-diff' });
    this.onlyDiff.addEventListener('change', () => actions.setOnlyDifferences(this.onlyDiff.checked));
    this.legend = h('ul', { class: 'compare-legend', 'aria-label': 'Compared models' });
    this.charts = h('div', { class: 'curves' });
    this.table = h('div', { class: 'table-scroll' });
    this.samples = h('div', { class: 'compare-samples' });
    this.body = h('div', { class: 'compare-body' },
      this.legend,
      h('div', { class: 'compare-axis', role: 'group', 'aria-label': 'Curves against' }, h('span', { class: 'field-label' }, 'Against'), this.axisButtons.step, this.axisButtons.minutes),
      this.charts,
      h('div', { class: 'compare-table-head' }, h('h3', { class: 'sub-title' }, 'Results and settings'),
        h('label', { class: 'check-row', for: 'compare-only-diff' }, this.onlyDiff, h('span', { class: 'field-label' }, 'Only differences'))),
      this.table,
      h('h3', { class: 'sub-title' }, 'Dev samples'),
      this.samples);
    this.el = h('div', { class: 'compare' }, this.empty, this.body);
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(this.charts);
  }

  private resize(): void {
    const w = this.charts.clientWidth;
    if (w > 0) for (const c of this.plots) c.resize(w);
  }

  render(m: PanelModel): void {
    const c = m.compare;
    const runs = c.runs && sameNames(c.runs, c.selected) ? c.runs : null;
    this.body.hidden = !runs;
    this.empty.hidden = !!runs;
    if (!runs) {
      this.empty.textContent = c.selected.length < 2
        ? `Tick two or more models in Models (up to ${RUN_COLORS.length}) to compare their curves, settings and dev samples.`
        : c.failed ? 'These models could not be read (see the message above).' : 'Reading the models…';
      this.key = '';
      return;
    }
    for (const a of Object.keys(this.axisButtons) as CompareAxis[]) this.axisButtons[a].setAttribute('aria-pressed', String(a === c.axis));
    this.onlyDiff.checked = c.onlyDifferences;
    const key = JSON.stringify([runs.map((r) => [r.name, r.steps, r.history.length, r.elapsedMs]), c.axis, c.onlyDifferences]);
    if (key === this.key) return;
    this.key = key;
    replaceChildren(this.legend, runs.map((r, i) => h('li', { class: 'compare-legend-item' }, swatch(i), h('span', { class: 'run-name' }, r.name))));
    this.drawCharts(runs, c.axis);
    this.drawTable(runs, c.onlyDifferences);
    this.drawSamples(runs);
  }

  private drawCharts(runs: RunRecord[], axis: CompareAxis): void {
    const { axis: xAxis, incrs } = AXES[axis];
    const chart = (id: string, title: string, specs: SeriesSpec[], empty: string) => new LineChart(id, title, specs, (v) => f.num(v), empty, 150, incrs, xAxis);
    const loss = chart('compare-loss', 'Loss (train dashed, dev solid)', runs.flatMap((r, i): SeriesSpec[] => [
      { id: `${r.name} train`, label: `${r.name} train`, color: RUN_COLORS[i], points: false, dash: [4, 3] },
      { id: `${r.name} dev`, label: `${r.name} dev`, color: RUN_COLORS[i], points: true, width: 2 },
    ]), 'No epochs finished yet.');
    loss.setData(runs.flatMap((r) => [curve(r, axis, (p) => p.trainLoss), curve(r, axis, (p) => p.dev?.loss)]));
    const metricCharts = metricGroups(runs).map((g) => {
      const mm = metricsFor(g.kind);
      const c = chart(`compare-${mm.main.key}`, `Dev ${mm.main.label} (%${mm.lowerIsBetter ? ', lower is better' : ''})`,
        g.runs.map((i) => ({ id: runs[i].name, label: runs[i].name, color: RUN_COLORS[i], points: true, width: 2 })), 'No dev scores yet.');
      c.setData(g.runs.map((i) => curve(runs[i], axis, (p) => metricValue(p.dev, mm.main.key))));
      return c;
    });
    this.plots = [loss, ...metricCharts];
    replaceChildren(this.charts, this.plots.map((p) => p.el));
    this.resize();
  }

  private drawTable(runs: RunRecord[], onlyDifferences: boolean): void {
    const settings = settingRows(runs);
    const shown = onlyDifferences ? settings.filter((r) => r.differs) : settings;
    const differing = settings.filter((r) => r.differs).length;
    const group = (title: string) => h('tr', { class: 'compare-group' }, h('th', { colspan: runs.length + 1, scope: 'colgroup' }, title));
    replaceChildren(this.table, h('table', { class: 'compare-table', 'data-testid': 'compare-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Setting')),
        runs.map((r, i) => h('th', { scope: 'col' }, swatch(i), h('span', { class: 'run-name' }, r.name))))),
      h('tbody', {},
        group('Results'),
        resultRows(runs).map((r) => tableRow(r)),
        group(`Settings · ${differing} of ${settings.length} differ`),
        shown.map((r) => tableRow(r)))));
  }

  private drawSamples(runs: RunRecord[]): void {
    const rows = sampleRows(runs);
    if (rows.length === 0) { replaceChildren(this.samples, h('p', { class: 'empty' }, 'These models have no dev samples yet.')); return; }
    const epochs = runs.map((r) => `${r.name}: epoch ${r.samplesEpoch ?? f.DASH}`).join(' · ');
    replaceChildren(this.samples,
      h('p', { class: 'hint' }, `From each model's best epoch (${epochs}).`),
      h('ul', { class: 'sample-list' }, rows.map((s) => sampleItem(s, runs))));
  }
}

function sameNames(runs: RunRecord[], names: string[]): boolean {
  return runs.length === names.length && runs.every((r, i) => r.name === names[i]);
}

function swatch(i: number): HTMLSpanElement {
  return h('span', { class: `swatch swatch-${RUN_COLORS[i]}`, 'aria-hidden': 'true' });
}

function tableRow(r: CompareRow): HTMLTableRowElement {
  return h('tr', { class: r.differs ? 'differs' : 'same', 'data-row': r.key },
    h('th', { scope: 'row', title: r.label }, r.differs ? h('span', { class: 'differs-mark', title: 'differs between the models' }, '≠') : null, r.label,
      r.differs ? h('span', { class: 'visually-hidden' }, ' (differs)') : null),
    r.values.map((v, i) => h('td', { class: r.best === i ? 'best' : '' }, v,
      r.best === i ? h('span', { class: 'best-mark', title: 'best of these models' }, icon('star-full'), h('span', { class: 'visually-hidden' }, ' (best)')) : null)));
}

function sampleItem(s: SampleRow, runs: RunRecord[]): HTMLLIElement {
  return h('li', { class: 'sample compare-sample' },
    h('div', { class: 'sample-row sample-source' }, h('span', { class: 'tag' }, 'in'), h('span', { class: 'sample-text' }, s.source)),
    h('div', { class: 'sample-row sample-reference' }, h('span', { class: 'tag' }, 'ref'), h('span', { class: 'sample-text' }, s.reference)),
    runs.map((r, i) => {
      const p = s.predictions[i];
      const mode = r.settings.target.kind === 'char' ? 'char' : 'word';
      const ok = p === s.reference;
      return h('div', { class: `sample-row compare-prediction ${p === null ? '' : ok ? 'sample-ok' : 'sample-wrong'}`, 'data-run': r.name },
        h('span', { class: 'tag', title: r.name }, swatch(i), h('span', { class: 'visually-hidden' }, r.name)),
        h('span', { class: 'sample-text' }, p === null ? f.DASH : marked(sides(diff(s.reference, p, mode)).prediction, mode === 'word' ? ' ' : '')),
        p === null ? null : ok
          ? h('span', { class: 'sample-verdict ok', title: 'Exactly right', 'aria-label': 'exactly right' }, icon('pass'))
          : h('span', { class: 'sample-verdict wrong', title: 'Differs from the reference', 'aria-label': 'differs' }, icon('close')));
    }));
}
