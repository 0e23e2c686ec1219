/** Small runtime checks for messages that cross a process or webview boundary. */

export class ProtocolError extends Error {
  constructor(message: string) { super(message); this.name = 'ProtocolError'; }
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(o: Obj, key: string, opts: { optional?: boolean; max?: number } = {}): void {
  const v = o[key];
  if (v === undefined && opts.optional) return;
  if (typeof v !== 'string') throw new ProtocolError(`field "${key}" must be a string`);
  if (opts.max !== undefined && v.length > opts.max) throw new ProtocolError(`field "${key}" is longer than ${opts.max} characters`);
}

export function num(o: Obj, key: string, opts: { optional?: boolean; min?: number; max?: number } = {}): void {
  const v = o[key];
  if (v === undefined && opts.optional) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(`field "${key}" must be a finite number`);
  if (opts.min !== undefined && v < opts.min) throw new ProtocolError(`field "${key}" must be at least ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw new ProtocolError(`field "${key}" must be at most ${opts.max}`);
}

export function bool(o: Obj, key: string, opts: { optional?: boolean } = {}): void {
  const v = o[key];
  if (v === undefined && opts.optional) return;
  if (typeof v !== 'boolean') throw new ProtocolError(`field "${key}" must be true or false`);
}

export function oneOf(o: Obj, key: string, allowed: readonly string[], opts: { optional?: boolean } = {}): void {
  const v = o[key];
  if (v === undefined && opts.optional) return;
  if (typeof v !== 'string' || !allowed.includes(v)) throw new ProtocolError(`field "${key}" must be one of ${allowed.join(', ')}`);
}

export function strArray(o: Obj, key: string, opts: { maxItems?: number } = {}): void {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ProtocolError(`field "${key}" must be a list of strings`);
  if (opts.maxItems !== undefined && v.length > opts.maxItems) throw new ProtocolError(`field "${key}" has more than ${opts.maxItems} items`);
}

export function obj(o: Obj, key: string, opts: { optional?: boolean } = {}): void {
  const v = o[key];
  if (v === undefined && opts.optional) return;
  if (!isObj(v)) throw new ProtocolError(`field "${key}" must be an object`);
}

/** Checks the overrides record: only known sections, only primitive values. */
export function settingsOverrides(o: Obj, key: string): void {
  const v = o[key];
  if (v === undefined) return;
  if (!isObj(v)) throw new ProtocolError(`field "${key}" must be an object`);
  for (const [section, inner] of Object.entries(v)) {
    if (!['model', 'train', 'source', 'target'].includes(section)) throw new ProtocolError(`unknown settings section "${section}"`);
    if (inner === undefined) continue;
    if (!isObj(inner)) throw new ProtocolError(`settings section "${section}" must be an object`);
    for (const [k, x] of Object.entries(inner)) {
      if (!['number', 'string', 'boolean', 'undefined'].includes(typeof x)) throw new ProtocolError(`setting "${section}.${k}" must be a number, string or boolean`);
    }
  }
}
