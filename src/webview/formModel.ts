/**
 * The training form's logic, without the DOM: the fields, the settings they produce, the effective
 * settings (defaults, then the preset, then the form), and the problems to show next to each field.
 * Validation is the engine's own `settingsErrors`, so the form refuses exactly what training would.
 */
import {
  chooseArchitecture, mergeSettings, presetOverrides, settingsErrors,
  type DataProfile, type PresetName, type Seq2SeqSettings, type SettingsOverrides, type TaskKind,
} from '../model/config';
import { isValidModelName, MODEL_NAME_RULE } from '../protocol/webview';

export type FieldKey =
  | 'model.arch' | 'model.cell' | 'model.layers' | 'model.bidirectional' | 'model.emb' | 'model.hidden' | 'model.attention' | 'model.dropout'
  | 'train.batch' | 'train.lr' | 'train.epochs' | 'train.minutes' | 'source.kind' | 'target.kind';

export interface FieldSpec {
  key: FieldKey;
  label: string;
  kind: 'int' | 'float' | 'select' | 'check';
  options?: { value: string; label: string }[];
  /** Set by the presets; editing it switches the form to custom. */
  preset: boolean;
  step?: string;
  min?: number;
  max?: number;
  hint?: string;
}

/** "auto" leaves the choice to the engine, which looks at the data (symbol sequences: words; sentences with 10,000+ pairs: subwords; else characters). */
export const AUTO = 'auto';
const TOKEN_OPTIONS = [{ value: AUTO, label: 'Auto' }, { value: 'char', label: 'Characters' }, { value: 'word', label: 'Words' }, { value: 'subword', label: 'Subwords (BPE)' }];

export const FIELDS: FieldSpec[] = [
  { key: 'model.arch', label: 'Architecture', kind: 'select', preset: false, options: [{ value: AUTO, label: 'Auto' }, { value: 'rnn', label: 'Recurrent (LSTM/GRU)' }, { value: 'transformer', label: 'Transformer' }],
    hint: 'Auto: the preset picks it from the data' },
  { key: 'model.cell', label: 'Cell', kind: 'select', preset: false, options: [{ value: 'lstm', label: 'LSTM' }, { value: 'gru', label: 'GRU' }] },
  { key: 'model.layers', label: 'Layers', kind: 'int', preset: true, min: 1, max: 4 },
  { key: 'model.emb', label: 'Embedding', kind: 'int', preset: true, min: 4, max: 2048, step: '16' },
  { key: 'model.hidden', label: 'Hidden', kind: 'int', preset: true, min: 4, max: 4096, step: '32' },
  { key: 'model.attention', label: 'Attention', kind: 'select', preset: true, options: [{ value: 'luong', label: 'Luong' }, { value: 'bahdanau', label: 'Bahdanau' }, { value: 'none', label: 'None' }] },
  { key: 'model.dropout', label: 'Dropout', kind: 'float', preset: true, min: 0, max: 0.9, step: '0.05' },
  { key: 'model.bidirectional', label: 'Bidirectional encoder', kind: 'check', preset: true },
  { key: 'train.batch', label: 'Batch', kind: 'int', preset: true, min: 1, max: 4096, step: '16' },
  { key: 'train.lr', label: 'Learning rate', kind: 'float', preset: true, min: 0, max: 1, step: 'any' },
  { key: 'train.epochs', label: 'Epochs', kind: 'int', preset: true, min: 1, max: 100000 },
  { key: 'train.minutes', label: 'Time limit (min)', kind: 'float', preset: false, min: 0, max: 100000, step: 'any', hint: '0 = no limit' },
  { key: 'source.kind', label: 'Source tokens', kind: 'select', preset: false, options: TOKEN_OPTIONS },
  { key: 'target.kind', label: 'Target tokens', kind: 'select', preset: false, options: TOKEN_OPTIONS },
];

export type FieldValues = Record<FieldKey, string>;
export type PresetChoice = PresetName | 'custom';

export interface FormDraft {
  dataFile: string | null;
  name: string;
  /** False while the name is the suggested one (it then follows the data file). */
  nameEdited: boolean;
  preset: PresetChoice;
  values: FieldValues;
  /** True once the user changed anything; until then the draft follows the extension's defaults. */
  edited?: boolean;
}

/** Used for preset sizes until the extension tells us the data's profile. */
export const TYPICAL_PROFILE: DataProfile = { pairs: 10000, sourceVocab: 60, targetVocab: 60, sourceLen95: 20, targetLen95: 20 };

function read(s: Seq2SeqSettings, key: FieldKey): unknown {
  const [section, name] = key.split('.') as [keyof Seq2SeqSettings, string];
  return (s[section] as unknown as Record<string, unknown>)[name];
}

export function valuesFromSettings(s: Seq2SeqSettings): FieldValues {
  const out = {} as FieldValues;
  for (const f of FIELDS) out[f.key] = String(read(s, f.key));
  return out;
}

function parse(f: FieldSpec, raw: string): string | number | boolean {
  if (f.kind === 'check') return raw === 'true';
  if (f.kind === 'select') return raw;
  const t = raw.trim();
  return t === '' ? Number.NaN : Number(t);
}

/** Overrides from the given fields' values. */
export function overridesFrom(values: FieldValues, keys: FieldKey[]): SettingsOverrides {
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of FIELDS) {
    if (!keys.includes(f.key)) continue;
    if (f.kind === 'select' && values[f.key] === AUTO) continue;
    const [section, name] = f.key.split('.');
    (out[section] ??= {})[name] = parse(f, values[f.key]);
  }
  return out as SettingsOverrides;
}

/** What the start message carries: only the form's own fields for a preset, every field for custom. */
export function formOverrides(draft: FormDraft): SettingsOverrides {
  const keys = FIELDS.filter((f) => draft.preset === 'custom' || !f.preset).map((f) => f.key);
  return overridesFrom(draft.values, keys);
}

/** task: what the chosen data trains (a text folder generates), which the presets size differently. */
export function effectiveSettings(defaults: Seq2SeqSettings, draft: FormDraft, profile: DataProfile | null, task: TaskKind = 'pairs'): Seq2SeqSettings {
  const arch = draft.values['model.arch'];
  const data = profile ?? TYPICAL_PROFILE;
  const preset = draft.preset === 'custom' ? undefined
    : presetOverrides(draft.preset, data, arch === 'rnn' || arch === 'transformer' ? arch : chooseArchitecture(data, task), task);
  return mergeSettings(defaults, preset, formOverrides(draft));
}

/** Field values after choosing a preset: its values in the preset fields, the others unchanged. */
export function applyPreset(defaults: Seq2SeqSettings, draft: FormDraft, preset: PresetChoice, profile: DataProfile | null, task: TaskKind = 'pairs'): FieldValues {
  if (preset === 'custom') return draft.values;
  const eff = effectiveSettings(defaults, { ...draft, preset }, profile, task);
  const fromPreset = valuesFromSettings(eff);
  const out = { ...draft.values };
  for (const f of FIELDS) if (f.preset) out[f.key] = fromPreset[f.key];
  return out;
}

export interface FormProblems {
  /** Per field key, the message to show under it. */
  fields: Partial<Record<FieldKey | 'name' | 'dataFile', string>>;
  /** Problems with settings the form does not show (from the user's defaults). */
  other: string[];
}

export function formProblems(defaults: Seq2SeqSettings, draft: FormDraft, profile: DataProfile | null, task: TaskKind = 'pairs'): FormProblems {
  const problems: FormProblems = { fields: {}, other: [] };
  if (!draft.dataFile) problems.fields.dataFile = 'Choose a data file or use the sample data.';
  if (!draft.name.trim()) problems.fields.name = 'Give the model a name.';
  else if (!isValidModelName(draft.name.trim())) problems.fields.name = `Use ${MODEL_NAME_RULE}.`;
  const shown = new Set<string>(FIELDS.map((f) => f.key));
  for (const e of settingsErrors(effectiveSettings(defaults, draft, profile, task))) {
    const spec = FIELDS.find((f) => f.key === e.field);
    const raw = spec ? draft.values[spec.key] : undefined;
    const msg = raw !== undefined && raw.trim() === '' ? 'Enter a value.' : `Must ${e.message.replace(/^must /, '').replace(/ \(got [^)]*\)$/, '')}.`;
    if (shown.has(e.field)) problems.fields[e.field as FieldKey] ??= msg;
    else problems.other.push(`${e.field}: ${e.message}`);
  }
  return problems;
}

export function problemCount(p: FormProblems): number {
  return Object.keys(p.fields).length + p.other.length;
}

/** "g2p-1205" from "/data/g2p.tsv" at 12:05: a name that is valid and unlikely to clash. */
export function suggestName(dataFile: string | null, now = new Date()): string {
  const base = !dataFile || dataFile === '<sample>' ? 'sample' : (dataFile.split(/[\\/]/).pop() ?? 'model').replace(/\.[^.]*$/, '');
  const clean = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 80) || 'model';
  const stamp = `${String(now.getMonth() + 1).padStart(2, '0')}${String(now.getDate()).padStart(2, '0')}-${String(now.getHours()).padStart(2, '0')}${String(now.getMinutes()).padStart(2, '0')}`;
  return `${clean}-${stamp}`;
}

export function newDraft(defaults: Seq2SeqSettings, preset: PresetChoice, dataFile: string | null, profile: DataProfile | null): FormDraft {
  const values = { ...valuesFromSettings(defaults), 'model.arch': AUTO, 'source.kind': AUTO, 'target.kind': AUTO };
  const draft: FormDraft = { dataFile, name: suggestName(dataFile), nameEdited: false, preset, values };
  draft.values = applyPreset(defaults, draft, preset, profile);
  return draft;
}

/** A one-line description of settings, for the summary before Start and the run header. */
export function describe(s: Seq2SeqSettings, values?: FieldValues): { label: string; value: string }[] {
  const kind = (side: 'source' | 'target') => (values?.[`${side}.kind`] === AUTO ? 'auto' : s[side].kind);
  const attention = s.model.attention === 'none' ? 'no attention' : `${s.model.attention === 'luong' ? 'Luong' : 'Bahdanau'} attention`;
  const m = s.model;
  const model = m.arch === 'transformer'
    ? [{ label: 'Model', value: `Transformer, ${m.encLayers} + ${m.decLayers} layers, ${m.heads} heads, ${m.positions} positions${m.tieEmbeddings ? ', tied output' : ''}${m.sharedVocab ? ', shared vocabulary' : ''}` },
      { label: 'Sizes', value: `d ${m.dModel}, feed-forward ${m.ff} (${m.activation}), dropout ${m.dropout}` }]
    : [{ label: 'Model', value: `${m.cell.toUpperCase()} × ${m.layers}${m.bidirectional ? ', bidirectional' : ''}, ${attention}` },
      { label: 'Sizes', value: `embedding ${m.emb}, hidden ${m.hidden}, dropout ${m.dropout}` }];
  return [
    ...model,
    { label: 'Training', value: `${s.train.epochs} epochs, batch ${s.train.batch}, lr ${s.train.lr}` },
    { label: 'Stops', value: `${s.train.minutes > 0 ? `after ${s.train.minutes} min or ` : ''}${s.train.patience > 0 ? `after ${s.train.patience} epochs without dev gain` : 'at the last epoch'}` },
    { label: 'Tokens', value: kind('source') === 'auto' && kind('target') === 'auto' ? 'characters or words, chosen from the data' : `${kind('source')} → ${kind('target')}` },
  ];
}
