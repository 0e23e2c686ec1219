/**
 * Runtime checks for what crosses a process or webview boundary. A check takes a value and the name
 * of the field it came in, and returns the value rebuilt with only the fields it knows, or throws a
 * ProtocolError that names the field, says what was expected and what came instead:
 * `field "settings.train.epochs" must be a number (got the string "32")`.
 */

export class ProtocolError extends Error {
  constructor(message: string) { super(message); this.name = 'ProtocolError'; }
}

export type Check<T> = (value: unknown, field: string) => T;
/** A check for a field that may be left out. */
export type OptionalCheck<T> = Check<T | undefined> & { readonly optional: true };

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What came, in words: `the string "32"`, `the number 32`, `null`, `a list of 3`, `an object`. */
export function describe(v: unknown): string {
  switch (typeof v) {
    case 'undefined': return 'nothing';
    case 'string': return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
    case 'number': return `the number ${v}`;
    case 'boolean': return String(v);
    case 'bigint': return `the bigint ${v}`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    default: return v === null ? 'null' : Array.isArray(v) ? `a list of ${v.length}` : 'an object';
  }
}

function subject(field: string): string {
  return field ? `field "${field}"` : 'the message';
}

export function fail(field: string, expected: string, got: unknown): never {
  throw new ProtocolError(`${subject(field)} must be ${expected} (got ${describe(got)})`);
}

export function child(field: string, key: string | number): string {
  if (typeof key === 'number') return `${field}[${key}]`;
  return field ? `${field}.${key}` : key;
}

/** The own property only: a message cannot reach `toString` or `__proto__` through its prototype. */
function own(o: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function string(opts: { max?: number; nonEmpty?: boolean } = {}): Check<string> {
  return (v, field) => {
    if (typeof v !== 'string') fail(field, 'a string', v);
    if (opts.nonEmpty && v.length === 0) fail(field, 'a non-empty string', v);
    if (opts.max !== undefined && v.length > opts.max) {
      throw new ProtocolError(`${subject(field)} must be a string of at most ${opts.max} characters (got ${v.length})`);
    }
    return v;
  };
}

/**
 * A number. `finite: false` also lets NaN and ±Infinity through (metrics of a diverging run are
 * reported as they are); ranges and integers are checked where the engine's rules say so.
 */
export function number(opts: { min?: number; max?: number; integer?: boolean; finite?: boolean } = {}): Check<number> {
  const { min, max, integer = false, finite = true } = opts;
  const kind = integer ? 'a whole number' : 'a number';
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  return (v, field) => {
    if (typeof v !== 'number') fail(field, kind + range, v);
    if (finite && !Number.isFinite(v)) fail(field, `a finite number${range}`, v);
    if (integer && !Number.isInteger(v)) fail(field, kind + range, v);
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) fail(field, kind + range, v);
    return v;
  };
}

export const boolean: Check<boolean> = (v, field) => (typeof v === 'boolean' ? v : fail(field, 'true or false', v));

export function oneOf<const T extends readonly string[]>(values: T): Check<T[number]> {
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return (v, field) => (typeof v === 'string' && values.includes(v) ? v : fail(field, expected, v));
}

export function literal<const T extends string>(value: T): Check<T> {
  return (v, field) => (v === value ? value : fail(field, JSON.stringify(value), v));
}

export function optional<T>(check: Check<T>): OptionalCheck<T> {
  return Object.assign((v: unknown, field: string) => (v === undefined ? undefined : check(v, field)), { optional: true as const });
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, field) => (v === null ? null : check(v, field));
}

export function list<T>(item: Check<T>, opts: { max?: number } = {}): Check<T[]> {
  return (v, field) => {
    if (!Array.isArray(v)) fail(field, opts.max !== undefined ? `a list of at most ${opts.max} items` : 'a list', v);
    if (opts.max !== undefined && v.length > opts.max) fail(field, `a list of at most ${opts.max} items`, v);
    return v.map((x, i) => item(x, child(field, i)));
  };
}

/** Lenient: the items that pass, up to `max`; the others are dropped. For a reader that must keep going. */
export function validItems<T>(item: Check<T>, max: number): Check<T[]> {
  return (v, field) => {
    if (!Array.isArray(v)) fail(field, 'a list', v);
    const out: T[] = [];
    for (let i = 0; i < v.length && out.length < max; i++) {
      try { out.push(item(v[i], child(field, i))); } catch (e) { if (!(e instanceof ProtocolError)) throw e; }
    }
    return out;
  };
}

type Shape = Record<string, Check<unknown>>;

function checkShape(shape: Shape, v: unknown, field: string, strict: boolean): Obj {
  if (!isObj(v)) fail(field, 'an object', v);
  if (strict) {
    const unknown = Object.keys(v).find((k) => !Object.prototype.hasOwnProperty.call(shape, k));
    if (unknown !== undefined) throw new ProtocolError(`${subject(child(field, unknown))} is not known here (expected only ${Object.keys(shape).join(', ')})`);
  }
  const out: Obj = {};
  for (const [key, check] of Object.entries(shape)) {
    const value = check(own(v, key), child(field, key));
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The check of an object of type T: one check per key of T, so a field added to T is a type error
 * here until it is checked. Unknown fields are dropped, or refused with `strict`.
 */
export function shapeOf<T extends object>(opts: { strict?: boolean } = {}) {
  return (shape: { [K in keyof T]-?: Check<T[K]> }): Check<T> =>
    (v, field) => checkShape(shape as Shape, v, field, opts.strict ?? false) as T;
}

/** An object whose checks are built at run time (e.g. one per key of a defaults record). */
export function dynamicShape<T extends object>(shape: Record<string, Check<unknown>>, opts: { strict: boolean }): Check<T> {
  return (v, field) => checkShape(shape, v, field, opts.strict) as T;
}

/** One of several object types told apart by a tag field (`type`, `kind`); one check for each tag. */
export function union<T extends Record<K, string>, K extends string>(
  key: K, variants: { [V in T[K]]: Check<Extract<T, Record<K, V>>> },
): Check<T> {
  const byTag = variants as Record<string, Check<T>>;
  const expected = `one of ${Object.keys(byTag).map((t) => JSON.stringify(t)).join(', ')}`;
  return (v, field) => {
    if (!isObj(v)) fail(field, 'an object', v);
    const tag = own(v, key);
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(byTag, tag)) fail(child(field, key), expected, tag);
    return byTag[tag](v, field);
  };
}

/** Every member of a string union, listed once; the compiler refuses a missing or extra member. */
export function members<T extends string>(all: Record<T, true>): readonly T[] {
  return Object.keys(all) as T[];
}

/** Both checks on the same object, their results merged: e.g. a request's tag and id, and its body. */
export function both<A extends object, B extends object>(a: Check<A>, b: Check<B>): Check<A & B> {
  return (v, field) => ({ ...a(v, field), ...b(v, field) });
}
