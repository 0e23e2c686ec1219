/** Samples after each epoch: dev input, reference and prediction, with the differences marked. */
import { diff, sides, type DiffPart } from '../diff';
import { h, icon, replaceChildren } from '../dom';
import type { SamplePrediction } from '../../model/training/events';
import type { PanelModel } from '../panelModel';

export class SamplesView {
  readonly el: HTMLElement;
  private shownKey = '';

  constructor() {
    this.el = h('div', { class: 'samples' });
    this.renderEmpty();
  }

  private renderEmpty(): void {
    replaceChildren(this.el, h('p', { class: 'empty' }, 'Predictions on a few dev examples appear after each epoch.'));
  }

  render(m: PanelModel): void {
    const r = m.run;
    const epoch = r?.epochs.slice().reverse().find((e) => e.samples.length > 0) ?? null;
    const key = epoch && r?.start ? `${r.start.runId}:${epoch.epoch}` : '';
    if (key === this.shownKey) return;
    this.shownKey = key;
    if (!epoch || !r) { this.renderEmpty(); return; }
    // Subword output is text with spaces between words: compared word by word, like word level.
    const mode = (r.start?.settings.target.kind ?? 'char') === 'char' ? 'char' : 'word';
    const exact = epoch.samples.filter((s) => s.prediction === s.reference).length;
    replaceChildren(this.el,
      h('p', { class: 'samples-head', 'data-testid': 'samples-head' }, `After epoch ${epoch.epoch}: ${exact} of ${epoch.samples.length} exactly right`),
      h('ul', { class: 'sample-list' }, epoch.samples.map((s) => sampleItem(s, mode))));
  }
}

function sampleItem(s: SamplePrediction, mode: 'char' | 'word'): HTMLLIElement {
  const ok = s.prediction === s.reference;
  const d = sides(diff(s.reference, s.prediction, mode));
  const sep = mode === 'word' ? ' ' : '';
  return h('li', { class: `sample ${ok ? 'sample-ok' : 'sample-wrong'}` },
    h('div', { class: 'sample-row sample-source' }, h('span', { class: 'tag' }, 'in'), h('span', { class: 'sample-text' }, s.source)),
    h('div', { class: 'sample-row sample-reference' }, h('span', { class: 'tag' }, 'ref'), h('span', { class: 'sample-text' }, marked(d.reference, sep))),
    h('div', { class: 'sample-row sample-prediction' }, h('span', { class: 'tag' }, 'out'),
      h('span', { class: 'sample-text' }, marked(d.prediction, sep)),
      ok ? h('span', { class: 'sample-verdict ok', title: 'Exactly right', 'aria-label': 'exactly right' }, icon('pass')) : h('span', { class: 'sample-verdict wrong', title: 'Differs from the reference', 'aria-label': 'differs' }, icon('close'))));
}

/** The diff's parts as text with <del>/<ins> marks. */
export function marked(parts: DiffPart[], sep: string): Node[] {
  const out: Node[] = [];
  parts.forEach((p, i) => {
    if (i > 0 && sep) out.push(document.createTextNode(sep));
    if (p.op === 'same') out.push(document.createTextNode(p.text));
    else if (p.op === 'del') out.push(h('del', { class: 'diff-del', title: 'missing in the prediction' }, p.text));
    else out.push(h('ins', { class: 'diff-ins', title: 'not in the reference' }, p.text));
  });
  return out;
}
