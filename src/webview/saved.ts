/**
 * What the panel keeps with `setState` so that hiding and showing it (or a reload) redraws at once,
 * before the extension's `state` message arrives and replaces the picture with the authoritative one.
 * Saving is throttled: at most once a second, and right away for epoch and end events.
 */
import { MAX_COMPARE, type PanelState } from '../protocol/webview';
import type { CompareAxis } from './compare';
import type { FieldKey, FormDraft } from './formModel';
import { FIELDS } from './formModel';
import { parseExtensionMessage } from '../protocol/toWebview';
import { isObj } from '../protocol/validate';

export interface SavedState {
  v: 1;
  panel: PanelState | null;
  draft: FormDraft | null;
  /** Which sections are open, by id. */
  open: Record<string, boolean>;
  tryText: string;
  /** The models ticked for comparison and how they are shown (the runs are read again from the extension). */
  compare: { selected: string[]; axis: CompareAxis; onlyDifferences: boolean };
}

export function readSaved(raw: unknown): SavedState | null {
  if (!isObj(raw) || raw.v !== 1) return null;
  const parsed = parseExtensionMessage({ type: 'state', state: raw.panel });
  const panel = parsed && parsed.type === 'state' ? parsed.state : null;
  const open: Record<string, boolean> = {};
  if (isObj(raw.open)) for (const [k, v] of Object.entries(raw.open)) if (typeof v === 'boolean') open[k] = v;
  return { v: 1, panel, draft: readDraft(raw.draft), open, tryText: typeof raw.tryText === 'string' ? raw.tryText : '', compare: readCompare(raw.compare) };
}

function readCompare(v: unknown): SavedState['compare'] {
  const c = isObj(v) ? v : {};
  const selected = Array.isArray(c.selected) ? c.selected.filter((x): x is string => typeof x === 'string').slice(0, MAX_COMPARE) : [];
  return { selected, axis: c.axis === 'minutes' ? 'minutes' : 'step', onlyDifferences: c.onlyDifferences === true };
}

function readDraft(v: unknown): FormDraft | null {
  if (!isObj(v) || !isObj(v.values) || typeof v.name !== 'string') return null;
  const values = {} as Record<FieldKey, string>;
  for (const f of FIELDS) {
    const x = v.values[f.key];
    if (typeof x !== 'string') return null;
    values[f.key] = x;
  }
  const presets = ['fast', 'balanced', 'accurate', 'custom'];
  return {
    dataFile: typeof v.dataFile === 'string' ? v.dataFile : null,
    name: v.name,
    nameEdited: v.nameEdited === true,
    preset: presets.includes(String(v.preset)) ? v.preset as FormDraft['preset'] : 'custom',
    values,
    edited: v.edited === true,
  };
}

export class ThrottledSaver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  constructor(private readonly collect: () => SavedState, private readonly write: (s: SavedState) => void, private readonly intervalMs = 1000) {}

  /** Saves soon (within the interval). */
  soon(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.now(), this.intervalMs);
  }

  now(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.write(this.collect());
  }
}
