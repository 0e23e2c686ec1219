/**
 * Setup: data file, model name, preset or custom hyper-parameters, and the effective settings.
 * Inputs are built once and kept (so focus and typing survive redraws); problems are shown under
 * each field once it has been touched, or all of them after Start was pressed.
 */
import { SAMPLE_DATA } from '../../protocol/webview';
import { h, icon, replaceChildren, setText } from '../dom';
import { basename } from '../format';
import { describe, effectiveSettings, FIELDS, formProblems, type FieldKey, type PresetChoice } from '../formModel';
import { isBusy, type PanelModel } from '../panelModel';

export interface FormActions {
  pickData(): void;
  useSample(): void;
  setName(name: string): void;
  setPreset(p: PresetChoice): void;
  setField(key: FieldKey, raw: string): void;
}

const PRESETS: { value: PresetChoice; label: string; hint: string }[] = [
  { value: 'fast', label: 'Fast', hint: 'Small model, about 10 epochs: minutes.' },
  { value: 'balanced', label: 'Balanced', hint: 'Bidirectional encoder, 30 epochs: a good first choice.' },
  { value: 'accurate', label: 'Accurate', hint: 'Two layers, 60 epochs: can take hours.' },
  { value: 'custom', label: 'Custom', hint: 'Set every hyper-parameter yourself.' },
];

type Input = HTMLInputElement | HTMLSelectElement;

export class FormView {
  readonly el: HTMLElement;
  private readonly dataName: HTMLSpanElement;
  private readonly nameInput: HTMLInputElement;
  private readonly presetSelect: HTMLSelectElement;
  private readonly presetHint: HTMLParagraphElement;
  private readonly inputs = new Map<FieldKey, Input>();
  private readonly errors = new Map<string, HTMLElement>();
  private readonly summary: HTMLDListElement;
  private readonly summaryNote: HTMLParagraphElement;
  private readonly otherProblems: HTMLParagraphElement;
  private readonly fieldset: HTMLFieldSetElement;
  private readonly params: HTMLDetailsElement;
  private readonly paramsHint: HTMLSpanElement;
  private lastPreset: PresetChoice | null = null;
  private readonly touched = new Set<string>();

  constructor(private readonly actions: FormActions) {
    this.dataName = h('span', { class: 'data-name', 'data-testid': 'data-name' });
    const dataError = this.errorEl('dataFile');
    const dataRow = h('div', { class: 'field field-wide' },
      h('span', { class: 'field-label', id: 'lbl-data' }, 'Data'),
      h('div', { class: 'data-row' }, icon('file'), this.dataName,
        h('button', { type: 'button', class: 'btn secondary small', 'data-action': 'pick-data', onclick: () => actions.pickData(), 'aria-describedby': 'lbl-data' }, 'Choose…'),
        h('button', { type: 'button', class: 'btn secondary small', 'data-action': 'sample-data', title: 'Use the sample data shipped with the extension', onclick: () => actions.useSample() }, 'Sample')),
      dataError);

    this.nameInput = h('input', { type: 'text', id: 'f-name', name: 'name', maxlength: 120, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'err-name' });
    this.nameInput.addEventListener('input', () => { this.touched.add('name'); actions.setName(this.nameInput.value); });
    const nameRow = h('div', { class: 'field field-wide' }, h('label', { for: 'f-name', class: 'field-label' }, 'Model name'), this.nameInput, this.errorEl('name'));

    this.presetSelect = h('select', { id: 'f-preset', name: 'preset' }, PRESETS.map((p) => h('option', { value: p.value }, p.label)));
    this.presetSelect.addEventListener('change', () => actions.setPreset(this.presetSelect.value as PresetChoice));
    this.presetHint = h('p', { class: 'hint' });
    const presetRow = h('div', { class: 'field field-wide' }, h('label', { for: 'f-preset', class: 'field-label' }, 'Preset'), this.presetSelect, this.presetHint);

    const grid = h('div', { class: 'field-grid' });
    for (const f of FIELDS) {
      const id = `f-${f.key.replace('.', '-')}`;
      let input: Input;
      if (f.kind === 'select') {
        input = h('select', { id, name: f.key, 'aria-describedby': `err-${f.key}` }, (f.options ?? []).map((o) => h('option', { value: o.value }, o.label)));
        input.addEventListener('change', () => { this.touched.add(f.key); actions.setField(f.key, input.value); });
      } else if (f.kind === 'check') {
        const box = h('input', { type: 'checkbox', id, name: f.key, 'aria-describedby': `err-${f.key}` });
        box.addEventListener('change', () => { this.touched.add(f.key); actions.setField(f.key, String(box.checked)); });
        input = box;
      } else {
        const inp = h('input', { type: 'number', id, name: f.key, inputmode: f.kind === 'int' ? 'numeric' : 'decimal', step: f.step ?? (f.kind === 'int' ? '1' : 'any'), min: f.min, max: f.max, 'aria-describedby': `err-${f.key}` });
        inp.addEventListener('input', () => { this.touched.add(f.key); actions.setField(f.key, inp.value); });
        input = inp;
      }
      this.inputs.set(f.key, input);
      const label = h('label', { for: id, class: 'field-label' }, f.label);
      const cell = f.kind === 'check'
        ? h('div', { class: 'field field-check', 'data-field': f.key }, h('div', { class: 'check-row' }, input, label), this.errorEl(f.key))
        : h('div', { class: 'field', 'data-field': f.key }, label, input, this.errorEl(f.key));
      if (f.hint) { input.title = f.hint; if (input instanceof HTMLInputElement) input.placeholder = f.hint; }
      grid.append(cell);
    }
    this.fieldset = h('fieldset', { class: 'params-fields' }, h('legend', { class: 'visually-hidden' }, 'Hyper-parameters'), grid);
    this.paramsHint = h('span', { class: 'params-hint' });
    this.params = h('details', { class: 'params', 'data-testid': 'params' },
      h('summary', {}, icon('chevron-right', 'chevron'), h('span', { class: 'params-title' }, 'Hyper-parameters'), this.paramsHint), this.fieldset);
    this.summary = h('dl', { class: 'effective', 'data-testid': 'effective' });
    this.summaryNote = h('p', { class: 'hint' });
    this.otherProblems = h('p', { class: 'field-error', role: 'alert', hidden: true });
    this.el = h('form', { class: 'setup', novalidate: true, onsubmit: (e: Event) => e.preventDefault() },
      dataRow, nameRow, presetRow, this.params,
      h('div', { class: 'effective-box' }, h('h3', { class: 'sub-title' }, 'Effective settings'), this.summary, this.summaryNote, this.otherProblems));
  }

  private errorEl(key: string): HTMLElement {
    const el = h('div', { class: 'field-error', id: `err-${key}`, 'data-error-for': key, 'aria-live': 'polite' });
    this.errors.set(key, el);
    return el;
  }

  /** The first input with a problem, to focus after a refused Start. */
  firstInvalid(): HTMLElement | null {
    for (const [key, el] of this.errors) {
      if (el.textContent) return key === 'dataFile' ? this.el.querySelector('[data-action="pick-data"]') : key === 'name' ? this.nameInput : this.inputs.get(key as FieldKey) ?? null;
    }
    return null;
  }

  render(m: PanelModel): void {
    const d = m.draft;
    const busy = isBusy(m);
    setText(this.dataName, d.dataFile === SAMPLE_DATA ? 'Sample data (built in)' : d.dataFile ? basename(d.dataFile) : 'No file chosen');
    this.dataName.title = d.dataFile && d.dataFile !== SAMPLE_DATA ? d.dataFile : '';
    this.dataName.classList.toggle('muted', !d.dataFile);
    if (document.activeElement !== this.nameInput && this.nameInput.value !== d.name) this.nameInput.value = d.name;
    if (this.presetSelect.value !== d.preset) this.presetSelect.value = d.preset;
    setText(this.presetHint, PRESETS.find((p) => p.value === d.preset)?.hint ?? '');
    for (const f of FIELDS) {
      const input = this.inputs.get(f.key)!;
      const v = d.values[f.key];
      if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = v === 'true';
      else if (document.activeElement !== input && input.value !== v) input.value = v;
    }
    this.fieldset.disabled = busy;
    // Choosing "custom" opens the hyper-parameters; a preset's values are summed up below anyway.
    if (d.preset !== this.lastPreset) {
      if (d.preset === 'custom' && this.lastPreset !== null) this.params.open = true;
      this.lastPreset = d.preset;
    }
    setText(this.paramsHint, d.preset === 'custom' ? 'custom' : `${d.preset} preset`);
    this.el.querySelectorAll<HTMLButtonElement>('.data-row button').forEach((b) => { b.disabled = busy; });
    (this.el.querySelector('[data-action="sample-data"]') as HTMLElement).hidden = d.dataFile === SAMPLE_DATA;
    this.nameInput.disabled = busy;
    this.presetSelect.disabled = busy;

    const problems = formProblems(m.panel.defaults, d, m.profile, m.task);
    if (m.showAllProblems && FIELDS.some((f) => problems.fields[f.key])) this.params.open = true;
    for (const [key, el] of this.errors) {
      const msg = (m.showAllProblems || this.touched.has(key)) ? problems.fields[key as FieldKey] ?? '' : '';
      setText(el, msg);
      const input = key === 'name' ? this.nameInput : this.inputs.get(key as FieldKey);
      if (input) { if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid'); }
    }
    this.otherProblems.hidden = problems.other.length === 0;
    setText(this.otherProblems, problems.other.length ? `Problems in your default settings: ${problems.other.join('; ')}` : '');

    const eff = effectiveSettings(m.panel.defaults, d, m.profile, m.task);
    replaceChildren(this.summary, describe(eff, d.values).flatMap((row) => [h('dt', {}, row.label), h('dd', {}, row.value)]));
    setText(this.summaryNote, d.preset !== 'custom' && !m.profile
      ? 'Sizes shown for typical data: the preset picks them from your data when training starts.'
      : d.preset !== 'custom' ? 'Sizes picked by the preset for this data.' : '');
  }
}
