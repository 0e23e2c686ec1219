/**
 * What `tune` searches: a search space as data. Each group is one family of models (the recurrent
 * encoder-decoder today; a Transformer group is one more entry in DEFAULT_SPACE once the
 * architecture exists), with a list of choices or a range for each setting it varies, named by its
 * path in the settings record (`model.hidden`, `train.lr`). A trial draws a group (by weight), then
 * one value per setting, from a seeded generator. A space file is JSON of the same shape, checked
 * field by field.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS, mergeSettings, settingsErrors, type ArchKind, type PresetName, type SettingsOverrides } from '../config';
import { rng } from '../data/data';

export type SettingValue = number | string | boolean;
/** A number drawn uniformly (or log-uniformly) between min and max, rounded to a whole number when `integer`. */
export interface RangeChoice { min: number; max: number; log?: boolean; integer?: boolean }
export type Choice = SettingValue[] | RangeChoice;

export interface SpaceGroup {
  name: string;
  /** Relative chance of drawing this group (default 1). */
  weight?: number;
  settings: Record<string, Choice>;
}

export interface SearchSpace {
  /** The preset every trial starts from (sizes the rest from the data), before the drawn settings. */
  preset: PresetName;
  /** Settings every trial has (`train.batch`: 64 …), applied before the drawn ones. */
  fixed: Record<string, SettingValue>;
  groups: SpaceGroup[];
  /** Trial 0 is the preset itself, unchanged: the search starts from a known-good model. */
  includePreset: boolean;
  /** Trials of the first round; 0: chosen from the time given (see successiveHalving.ts). */
  trials: number;
  /** Of each round, one in `keep` goes on to the next. */
  keep: number;
  /** Each round gives the trials it continues this many times the training time of the round before. */
  growth: number;
}

/** The default search: recurrent encoder-decoders around the presets' sizes. */
export const DEFAULT_SPACE: SearchSpace = {
  preset: 'balanced',
  fixed: {},
  groups: [
    {
      name: 'rnn',
      settings: {
        'model.cell': ['lstm', 'gru'],
        'model.layers': [1, 2],
        'model.emb': [32, 64, 128, 256],
        'model.hidden': [128, 192, 256, 384, 512],
        'model.attention': ['luong', 'bahdanau'],
        // Up to the small-data presets' regularisation: on a few thousand pairs the best trials need it.
        'model.dropout': [0, 0.1, 0.2, 0.3, 0.4],
        'train.labelSmoothing': [0, 0.1],
        'train.lr': { min: 0.0007, max: 0.005, log: true },
      },
    },
  ],
  includePreset: true,
  trials: 0,
  keep: 3,
  growth: 4,
};

export class SpaceError extends Error {
  constructor(message: string) { super(message); this.name = 'SpaceError'; }
}

const SECTIONS = ['model', 'train', 'source', 'target'] as const;
type Section = (typeof SECTIONS)[number];

/** `model.hidden` -> ['model', 'hidden'], when it names a setting. */
function settingPath(path: string): [Section, string] | null {
  const [section, key, ...rest] = path.split('.');
  if (rest.length || !SECTIONS.includes(section as Section)) return null;
  const defaults = DEFAULT_SETTINGS[section as Section] as unknown as Record<string, unknown>;
  return Object.prototype.hasOwnProperty.call(defaults, key) ? [section as Section, key] : null;
}

/** Overrides setting each `section.key` to its value. */
export function overridesOf(values: Record<string, SettingValue>): SettingsOverrides {
  const out: Record<string, Record<string, SettingValue>> = {};
  for (const [path, v] of Object.entries(values)) {
    const p = settingPath(path);
    if (!p) throw new SpaceError(`"${path}" is not a setting`);
    (out[p[0]] ??= {})[p[1]] = v;
  }
  return out as SettingsOverrides;
}

/**
 * The problem with setting `path` to `value` alone (the engine's own rule), or null. A value valid
 * for either architecture passes (`model.sharedVocab` is one of the Transformer's): a trial's whole
 * settings are checked again when it is built.
 */
function valueProblem(path: string, value: unknown): string | null {
  const p = settingPath(path);
  if (!p) return `"${path}" is not a setting (settings are named like model.hidden, train.lr)`;
  const def = (DEFAULT_SETTINGS[p[0]] as unknown as Record<string, unknown>)[p[1]];
  if (typeof value !== typeof def) return `must be a ${typeof def} (got ${JSON.stringify(value)})`;
  const problemFor = (arch: ArchKind) => settingsErrors(mergeSettings(DEFAULT_SETTINGS, { model: { arch } }, { [p[0]]: { [p[1]]: value } })).find((e) => e.field === path);
  const errs = (['rnn', 'transformer'] as const).map(problemFor);
  return errs.every(Boolean) ? errs[0]!.message : null;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkChoice(path: string, v: unknown, field: string): Choice {
  if (Array.isArray(v)) {
    if (v.length === 0) throw new SpaceError(`${field}: needs at least one value`);
    v.forEach((x, i) => {
      const problem = valueProblem(path, x);
      if (problem) throw new SpaceError(`${field}[${i}]: ${problem}`);
    });
    return v as SettingValue[];
  }
  if (!isObj(v)) throw new SpaceError(`${field}: must be a list of values or a range {"min": …, "max": …}`);
  const { min, max, log, integer } = v;
  if (typeof min !== 'number' || typeof max !== 'number' || !(min <= max)) throw new SpaceError(`${field}: a range needs numbers "min" <= "max"`);
  if (log !== undefined && typeof log !== 'boolean') throw new SpaceError(`${field}.log: must be true or false`);
  if (integer !== undefined && typeof integer !== 'boolean') throw new SpaceError(`${field}.integer: must be true or false`);
  if (log && min <= 0) throw new SpaceError(`${field}: a log range needs "min" above 0`);
  for (const [end, x] of [['min', min], ['max', max]] as const) {
    const problem = valueProblem(path, x);
    if (problem) throw new SpaceError(`${field}.${end}: ${problem}`);
  }
  const unknown = Object.keys(v).find((k) => !['min', 'max', 'log', 'integer'].includes(k));
  if (unknown) throw new SpaceError(`${field}.${unknown}: is not known here (expected min, max, log, integer)`);
  return { min, max, ...(log ? { log } : {}), ...(integer ? { integer } : {}) };
}

/** Checks a space (from a file or code); throws SpaceError naming the field. */
export function checkSpace(raw: unknown, where = 'space'): SearchSpace {
  if (!isObj(raw)) throw new SpaceError(`${where}: must be a JSON object`);
  const known = ['preset', 'fixed', 'groups', 'includePreset', 'trials', 'keep', 'growth'];
  const unknown = Object.keys(raw).find((k) => !known.includes(k));
  if (unknown) throw new SpaceError(`${where}.${unknown}: is not known here (expected ${known.join(', ')})`);
  const d = DEFAULT_SPACE;
  const preset = raw.preset ?? d.preset;
  if (!['fast', 'balanced', 'accurate'].includes(preset as string)) throw new SpaceError(`${where}.preset: must be fast, balanced or accurate (got ${JSON.stringify(preset)})`);
  const int = (k: 'trials' | 'keep' | 'growth', lo: number, hi: number): number => {
    const v = raw[k] ?? d[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new SpaceError(`${where}.${k}: must be a whole number from ${lo} to ${hi} (got ${JSON.stringify(v)})`);
    return v;
  };
  const fixedRaw = raw.fixed ?? {};
  if (!isObj(fixedRaw)) throw new SpaceError(`${where}.fixed: must be an object of settings`);
  const fixed: Record<string, SettingValue> = {};
  for (const [path, v] of Object.entries(fixedRaw)) {
    const problem = valueProblem(path, v);
    if (problem) throw new SpaceError(`${where}.fixed.${path}: ${problem}`);
    fixed[path] = v as SettingValue;
  }
  const groupsRaw = raw.groups ?? d.groups;
  if (!Array.isArray(groupsRaw) || groupsRaw.length === 0) throw new SpaceError(`${where}.groups: must be a list of at least one group`);
  const groups = groupsRaw.map((g, i): SpaceGroup => {
    const field = `${where}.groups[${i}]`;
    if (!isObj(g)) throw new SpaceError(`${field}: must be an object with "name" and "settings"`);
    if (typeof g.name !== 'string' || !g.name) throw new SpaceError(`${field}.name: must be a non-empty string`);
    if (g.weight !== undefined && (typeof g.weight !== 'number' || !(g.weight > 0))) throw new SpaceError(`${field}.weight: must be a number above 0`);
    if (!isObj(g.settings)) throw new SpaceError(`${field}.settings: must be an object of settings`);
    const settings: Record<string, Choice> = {};
    for (const [path, c] of Object.entries(g.settings)) settings[path] = checkChoice(path, c, `${field}.settings.${path}`);
    return { name: g.name, ...(g.weight !== undefined ? { weight: g.weight } : {}), settings };
  });
  const includePreset = raw.includePreset ?? d.includePreset;
  if (typeof includePreset !== 'boolean') throw new SpaceError(`${where}.includePreset: must be true or false`);
  return { preset: preset as PresetName, fixed, groups, includePreset, trials: int('trials', 0, 1000), keep: int('keep', 2, 10), growth: int('growth', 1, 100) };
}

/** `default`, or a JSON file of a space. */
export function loadSpace(arg: string | undefined): SearchSpace {
  if (arg === undefined || arg === 'default') return DEFAULT_SPACE;
  let text: string;
  try { text = readFileSync(arg, 'utf8'); } catch (e) {
    throw new SpaceError(`${arg}: cannot read the search space (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) {
    throw new SpaceError(`${arg}: the search space is not valid JSON (${(e as Error).message})`);
  }
  return checkSpace(raw, arg);
}

/** One drawn configuration: the group and its values, `section.key` -> value. */
export interface TrialDraw { group: string; values: Record<string, SettingValue> }

function draw(choice: Choice, random: () => number): SettingValue {
  if (Array.isArray(choice)) return choice[Math.min(choice.length - 1, Math.floor(random() * choice.length))];
  const u = random();
  const x = choice.log ? Math.exp(Math.log(choice.min) + u * (Math.log(choice.max) - Math.log(choice.min))) : choice.min + u * (choice.max - choice.min);
  // Learning rates and the like read better with 3 significant digits; the draw stays in range.
  return choice.integer ? Math.round(x) : Math.min(choice.max, Math.max(choice.min, Number(x.toPrecision(3))));
}

/**
 * `n` configurations from the space, the same for the same seed: the preset itself first (when
 * asked for), then draws; a draw equal to one before is drawn again (a few times).
 */
export function drawTrials(space: SearchSpace, n: number, seed: number): TrialDraw[] {
  const random = rng(seed * 7919 + 17);
  const out: TrialDraw[] = [];
  const seen = new Set<string>();
  if (space.includePreset && n > 0) { out.push({ group: space.preset, values: {} }); seen.add(JSON.stringify(out[0])); }
  const total = space.groups.reduce((s, g) => s + (g.weight ?? 1), 0);
  while (out.length < n) {
    let candidate: TrialDraw | null = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      let pick = random() * total;
      const group = space.groups.find((g) => (pick -= g.weight ?? 1) < 0) ?? space.groups[space.groups.length - 1];
      const values: Record<string, SettingValue> = {};
      for (const [path, choice] of Object.entries(group.settings)) values[path] = draw(choice, random);
      candidate = { group: group.name, values };
      if (!seen.has(JSON.stringify(candidate))) break;
    }
    seen.add(JSON.stringify(candidate));
    out.push(candidate!);
  }
  return out;
}

/** The settings every trial varies, for the table's columns: every setting named by a group, in order. */
export function variedSettings(space: SearchSpace): string[] {
  const out: string[] = [];
  for (const g of space.groups) for (const p of Object.keys(g.settings)) if (!out.includes(p)) out.push(p);
  return out;
}
