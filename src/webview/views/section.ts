/** A collapsible section (native <details>: keyboard and screen-reader friendly) that remembers being open. */
import { h, icon } from '../dom';

export class Section {
  readonly el: HTMLDetailsElement;
  readonly body: HTMLDivElement;
  readonly badge: HTMLSpanElement;

  constructor(readonly id: string, title: string, iconName: string, open: boolean, onToggle: () => void) {
    this.badge = h('span', { class: 'section-badge' });
    this.body = h('div', { class: 'section-body' });
    this.el = h('details', { class: 'section', id: `section-${id}`, 'data-section': id },
      h('summary', { class: 'section-title' }, icon('chevron-right', 'chevron'), icon(iconName), h('span', { class: 'section-name' }, title), this.badge),
      this.body);
    this.el.open = open;
    this.el.addEventListener('toggle', onToggle);
  }

  get open(): boolean { return this.el.open; }
  set open(v: boolean) { this.el.open = v; }
}
