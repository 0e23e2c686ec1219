/** "Try it": translate typed text with the active model and show the n-best list with scores, and the best one's attention map. */
import { h, icon, replaceChildren, setText } from '../dom';
import { num } from '../format';
import type { PanelModel } from '../panelModel';
import { MAX_ATTENTION_TOKENS } from '../../protocol/records';
import { AttentionMapView } from './attentionMap';

export interface TryActions { setText(text: string): void; setNBest(n: number): void; translate(): void }

export class TryView {
  readonly el: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly nBest: HTMLSelectElement;
  private readonly button: HTMLButtonElement;
  private readonly hint: HTMLParagraphElement;
  private readonly results: HTMLDivElement;
  private readonly attention = new AttentionMapView();
  private resultKey: unknown = undefined;

  constructor(actions: TryActions) {
    this.input = h('textarea', { id: 'try-input', rows: 2, placeholder: 'Type a word or sentence…', spellcheck: 'false', 'aria-label': 'Text to translate' });
    this.input.addEventListener('input', () => actions.setText(this.input.value));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); actions.translate(); }
    });
    this.nBest = h('select', { id: 'try-nbest', 'aria-label': 'Number of results' }, [1, 3, 5, 10].map((n) => h('option', { value: n }, `${n} best`)));
    this.nBest.addEventListener('change', () => actions.setNBest(Number(this.nBest.value)));
    this.button = h('button', { type: 'button', class: 'btn primary', 'data-action': 'translate' }, icon('arrow-right'), h('span', {}, 'Translate'));
    this.button.addEventListener('click', () => actions.translate());
    this.hint = h('p', { class: 'hint' });
    this.results = h('div', { class: 'try-results', 'aria-live': 'polite' });
    this.el = h('div', { class: 'try' }, this.input, h('div', { class: 'try-row' }, this.nBest, this.button), this.hint, this.results, this.attention.el);
  }

  render(m: PanelModel): void {
    const t = m.tryIt;
    const active = m.panel.activeModel;
    if (document.activeElement !== this.input && this.input.value !== t.text) this.input.value = t.text;
    if (this.nBest.value !== String(t.nBest)) this.nBest.value = String(t.nBest);
    this.button.disabled = !active || t.pending || !t.text.trim();
    this.input.disabled = !active;
    setText(this.hint, active ? `With ${active}. Enter translates, Shift+Enter starts a new line.` : 'Make a model active (in Models) to try it.');
    const key = t.pending ? 'pending' : t.result;
    if (key === this.resultKey) return;
    this.resultKey = key;
    if (t.pending) { replaceChildren(this.results, h('p', { class: 'hint' }, icon('loading', 'codicon-modifier-spin'), ' Translating…')); this.attention.show(undefined, null); return; }
    if (!t.result) { replaceChildren(this.results); this.attention.show(undefined, null); return; }
    const hyps = t.result.hypotheses;
    const summary = m.panel.models.find((x) => x.name === active);
    const noAttention = summary && summary.arch !== 'transformer' && summary.attention === 'none';
    // The worker leaves out maps over the message bounds, and this panel drops malformed ones: say so rather than show nothing.
    const note = !hyps.length ? null
      : noAttention ? 'No attention map: this model has no attention.'
        : `No attention map for this translation: maps are shown for up to ${MAX_ATTENTION_TOKENS.toLocaleString('en')} tokens a side.`;
    this.attention.show(hyps[0]?.attention, note);
    replaceChildren(this.results, hyps.length === 0
      ? h('p', { class: 'empty' }, 'No output.')
      : h('ol', { class: 'nbest', 'aria-label': `Results for ${t.result.text}` }, hyps.map((hy, i) => h('li', { class: 'hyp' },
        h('span', { class: 'hyp-rank' }, `${i + 1}`),
        h('span', { class: 'hyp-text' }, hy.text || '∅'),
        h('span', { class: 'hyp-score', title: `score ${hy.score} · log-probability ${hy.logProb}` },
          `${num(hy.score)}${Number.isFinite(hy.logProb) ? ` · p ${num(Math.exp(hy.logProb) * 100, 2)} %` : ''}`)))));
  }
}
