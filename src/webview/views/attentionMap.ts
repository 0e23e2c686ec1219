/**
 * The attention view under the best hypothesis: a heat map table, one row per output token and one
 * column per input token, each cell's colour its weight (mixed from theme colours in CSS; the weight
 * is set as a custom property through the CSSOM, which the CSP allows, unlike style attributes).
 * Each cell also says its weight in words (title, and hidden text for screen readers); each row's
 * strongest cell is outlined. For the Transformer a select picks the heads shown.
 */
import type { AttentionMap } from '../../model/decoding/decodeOptions';
import { attentionChoices, DEFAULT_CHOICE, percent, strongest, tokenLabel, type AttentionChoice } from '../attention';
import { h, replaceChildren } from '../dom';

export class AttentionMapView {
  readonly el: HTMLDivElement;
  private map: AttentionMap | null = null;
  private choices: AttentionChoice[] = [];
  private choice = DEFAULT_CHOICE;

  constructor() {
    this.el = h('div', { class: 'attention', 'data-view': 'attention' });
  }

  /** Shows the map (a new map starts from the default choice), or the note, or nothing. */
  show(map: AttentionMap | undefined, note: string | null): void {
    if (!map) {
      this.map = null;
      replaceChildren(this.el, note ? h('p', { class: 'hint attention-note' }, note) : null);
      return;
    }
    if (map !== this.map) this.choice = DEFAULT_CHOICE;
    this.map = map;
    this.choices = attentionChoices(map);
    this.draw();
  }

  private draw(): void {
    const map = this.map!;
    const current = this.choices.find((c) => c.id === this.choice) ?? this.choices[0];
    const head = h('div', { class: 'attention-head' }, h('p', { class: 'sub-title', id: 'attention-title' }, 'Attention'));
    if (this.choices.length > 1) head.appendChild(this.selector(current));
    replaceChildren(this.el, head, h('div', { class: 'table-scroll attention-scroll' }, this.table(map, current)));
  }

  private selector(current: AttentionChoice): HTMLSelectElement {
    const options = (cs: AttentionChoice[]) => cs.map((c) => h('option', { value: c.id, selected: c.id === current.id }, c.label));
    const groups = [...new Set(this.choices.map((c) => c.group))];
    const select = h('select', { class: 'attention-heads', 'aria-label': 'Attention heads shown' },
      groups.flatMap((g) => (g === null ? options(this.choices.filter((c) => c.group === null))
        : [h('optgroup', { label: g }, options(this.choices.filter((c) => c.group === g)))])));
    select.addEventListener('change', () => { this.choice = select.value; this.draw(); });
    return select;
  }

  private table(map: AttentionMap, choice: AttentionChoice): HTMLTableElement {
    const sources = map.source.map(tokenLabel);
    const targets = map.target.map(tokenLabel);
    const vertical = sources.some((s) => [...s].length > 2);
    const best = strongest(choice.weights);
    const head = h('tr', {}, h('th', { scope: 'col', class: 'attention-corner' }, h('span', { class: 'visually-hidden' }, 'Output token')),
      sources.map((s) => h('th', { scope: 'col', class: vertical ? 'attention-source vertical' : 'attention-source', title: s }, h('span', {}, s))));
    const rows = choice.weights.map((row, t) => h('tr', {},
      h('th', { scope: 'row', class: 'attention-target', title: targets[t] }, targets[t]),
      row.map((w, s) => {
        const says = `${targets[t]} → ${sources[s]}: ${percent(w)}`;
        const cell = h('td', { class: s === best[t] ? 'attention-cell strongest' : 'attention-cell', title: says, 'data-weight': w.toFixed(4) },
          h('span', { class: 'visually-hidden' }, percent(w)));
        cell.style.setProperty('--weight', String(Math.min(1, Math.max(0, w))));
        return cell;
      })));
    return h('table', { class: 'attention-map', 'aria-labelledby': 'attention-title' },
      h('caption', { class: 'attention-caption' }, `${choice.group === null && this.choices.length === 1 ? '' : `${choice.label}. `}Each output token (row) over the input tokens (columns): the stronger the colour, the more attention.`),
      h('thead', {}, head), h('tbody', {}, rows));
  }
}
