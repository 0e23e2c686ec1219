/** Saved models: task, size, best dev metric, date; make active, resume, export, delete. */
import type { ModelSummary } from '../../model/storage/modelSummary';
import { MAX_COMPARE, type WebviewToExtension } from '../../protocol/webview';
import { h, icon, iconButton, replaceChildren } from '../dom';
import * as f from '../format';
import { metricText } from '../metrics';
import { isBusy, type PanelModel } from '../panelModel';

export class ModelsView {
  readonly el: HTMLElement;
  private key = '';

  constructor(private readonly send: (msg: WebviewToExtension) => void, private readonly onResume: (model: string) => void,
    private readonly onCompare: (model: string, on: boolean) => void) {
    this.el = h('div', { class: 'models' });
  }

  render(m: PanelModel): void {
    const busy = isBusy(m);
    const key = JSON.stringify([m.panel.models, m.panel.activeModel, busy, m.run?.modelName, m.compare.selected]);
    if (key === this.key) return;
    this.key = key;
    if (m.panel.models.length === 0) {
      replaceChildren(this.el, h('p', { class: 'empty' }, 'No saved models yet. Models appear here when training saves them.'));
      return;
    }
    const sorted = m.panel.models.slice().sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    replaceChildren(this.el, h('ul', { class: 'model-list', 'aria-label': 'Saved models' },
      sorted.map((s) => this.item(s, s.name === m.panel.activeModel, busy, busy && m.run?.modelName === s.name, m.compare.selected))));
  }

  private item(s: ModelSummary, active: boolean, busy: boolean, training: boolean, compared: string[]): HTMLLIElement {
    const ticked = compared.includes(s.name);
    const check = h('input', {
      type: 'checkbox', class: 'compare-check', 'data-compare': s.name, 'aria-label': `Compare ${s.name}`,
      title: ticked ? 'In the comparison' : `Compare with other models (up to ${MAX_COMPARE})`, checked: ticked,
      disabled: !ticked && compared.length >= MAX_COMPARE,
    });
    check.addEventListener('change', () => this.onCompare(s.name, check.checked));
    const actions = h('div', { class: 'model-actions' });
    if (!active && s.complete) actions.append(iconButton({ icon: 'pass', label: `Make ${s.name} the active model`, onClick: () => this.send({ type: 'set-active-model', model: s.name }) }));
    if (s.resumable && !busy) actions.append(iconButton({ icon: 'debug-continue', label: `Resume training ${s.name}`, onClick: () => this.onResume(s.name) }));
    if (s.complete) actions.append(iconButton({ icon: 'export', label: `Export ${s.name}`, onClick: () => this.send({ type: 'export-model', model: s.name }) }));
    const del = iconButton({ icon: 'trash', label: `Delete ${s.name}`, onClick: () => this.send({ type: 'delete-model', model: s.name }) });
    del.disabled = training;
    actions.append(del);
    actions.querySelectorAll("button").forEach((b) => { b.dataset.model = s.name; });
    return h('li', { class: `model ${active ? 'model-active' : ''}`, 'data-model': s.name },
      h('div', { class: 'model-head' },
        check,
        icon(active ? 'circle-filled' : 'circle-outline', 'model-dot'),
        h('span', { class: 'model-name', title: s.dir }, s.name),
        active ? h('span', { class: 'badge' }, 'active') : null,
        !s.complete ? h('span', { class: 'badge badge-muted' }, training ? 'training' : 'checkpoint') : null),
      h('div', { class: 'model-meta' }, `${s.task} · ${s.architecture} · ${f.compact(s.parameters)} params · ${f.bytes(s.sizeBytes)}`),
      h('div', { class: 'model-meta' }, h('span', { class: 'model-metric' }, metricText(s.devMetric, s.bestDev)), ` · ${f.int(s.epochs)} epochs · ${f.date(s.updatedAt)}`),
      actions);
  }
}
