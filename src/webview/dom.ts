/** A tiny element builder: text always goes in as text nodes, never as HTML, and no style attributes (CSP). */

export type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined;
type Handler = (ev: Event) => void;
export type Attrs = Record<string, AttrValue | Handler>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === 'function') {
      el.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    } else if (key === 'style') {
      throw new Error('style attributes are blocked by the webview CSP; use a class');
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children of `el`. */
export function replaceChildren(el: Element, ...children: (Child | Child[])[]): void {
  el.textContent = '';
  append(el, children);
}

/** A codicon glyph (decorative: hidden from screen readers). */
export function icon(name: string, extraClass = ''): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name} ${extraClass}`.trim(), 'aria-hidden': 'true' });
}

/** A button with a codicon and an accessible label; `text` is shown next to the icon when given. */
export function iconButton(opts: { icon: string; label: string; text?: string; cls?: string; onClick: () => void }): HTMLButtonElement {
  const b = h('button', { type: 'button', class: opts.cls ?? (opts.text ? 'btn secondary' : 'icon-btn'), title: opts.label, 'aria-label': opts.label },
    icon(opts.icon), opts.text ? h('span', {}, opts.text) : null);
  b.addEventListener('click', () => opts.onClick());
  return b;
}

export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
