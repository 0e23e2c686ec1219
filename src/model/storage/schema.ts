/**
 * Checking what a JSON file holds before the engine uses it, with one message format for every
 * file: `FILE: FIELD: must be WHAT (got VALUE)`. A schema is a function from unknown to the typed
 * value; the small combinators below build them. Extra fields are allowed (newer writers may add
 * some); missing or mistyped ones are not.
 */

/** A value at `field` that is not what the schema needs. */
export class SchemaIssue extends Error {
  constructor(readonly field: string, readonly expected: string, readonly got: unknown) {
    super(`${field ? `${field}: ` : ''}must be ${expected} (got ${describe(got)})`);
    this.name = 'SchemaIssue';
  }
}

export type Schema<T> = (value: unknown, field: string) => T;

/** A short, safe rendering of a wrong value for a message. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

const at = (field: string, key: string | number) => (typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${key}` : key);

export const str = (opts: { nonEmpty?: boolean; max?: number } = {}): Schema<string> => (v, field) => {
  if (typeof v !== 'string' || (opts.nonEmpty && !v) || (opts.max !== undefined && v.length > opts.max)) {
    throw new SchemaIssue(field, `${opts.nonEmpty ? 'a non-empty ' : 'a '}string${opts.max !== undefined ? ` of at most ${opts.max} characters` : ''}`, v);
  }
  return v;
};

export const bool: Schema<boolean> = (v, field) => {
  if (typeof v !== 'boolean') throw new SchemaIssue(field, 'true or false', v);
  return v;
};

export const num = (opts: { int?: boolean; min?: number; max?: number; above?: number } = {}): Schema<number> => (v, field) => {
  const ok = typeof v === 'number' && Number.isFinite(v) && (!opts.int || Number.isInteger(v)) &&
    (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max) && (opts.above === undefined || v > opts.above);
  if (!ok) {
    const range = opts.above !== undefined ? ` above ${opts.above}` : opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` :
      opts.min !== undefined ? ` of at least ${opts.min}` : opts.max !== undefined ? ` of at most ${opts.max}` : '';
    throw new SchemaIssue(field, `${opts.int ? 'a whole number' : 'a finite number'}${range}`, v);
  }
  return v as number;
};

export const oneOf = <T extends string>(allowed: readonly T[]): Schema<T> => (v, field) => {
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new SchemaIssue(field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, v);
  return v as T;
};

export const list = <T>(item: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> => (v, field) => {
  if (!Array.isArray(v)) throw new SchemaIssue(field, 'a list', v);
  if (opts.min !== undefined && v.length < opts.min) throw new SchemaIssue(field, `a list of at least ${opts.min}`, v);
  if (opts.max !== undefined && v.length > opts.max) throw new SchemaIssue(field, `a list of at most ${opts.max}`, v);
  return v.map((x, i) => item(x, at(field, i)));
};

export const tuple = <A, B>(a: Schema<A>, b: Schema<B>): Schema<[A, B]> => (v, field) => {
  if (!Array.isArray(v) || v.length !== 2) throw new SchemaIssue(field, 'a list of 2', v);
  return [a(v[0], at(field, 0)), b(v[1], at(field, 1))];
};

export const optional = <T>(s: Schema<T>): Schema<T | undefined> => (v, field) => (v === undefined ? undefined : s(v, field));
export const nullable = <T>(s: Schema<T>): Schema<T | null> => (v, field) => (v === null ? null : s(v, field));
/** Any JSON value, taken as it is (for parts the engine only passes along). */
export const anything: Schema<unknown> = (v) => v;

type Shape = Record<string, Schema<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** An object with these fields (each checked; fields not listed are kept as they are). */
export const obj = <S extends Shape>(shape: S): Schema<Out<S> & Record<string, unknown>> => (v, field) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaIssue(field, 'an object', v);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const [k, s] of Object.entries(shape)) {
    const x = s(Object.prototype.hasOwnProperty.call(src, k) ? src[k] : undefined, at(field, k));
    if (x === undefined) delete out[k]; else out[k] = x;
  }
  return out as Out<S> & Record<string, unknown>;
};

/** Checks `value` (read from `file`) against `schema`; a mismatch becomes `makeError` with the one message format. */
export function check<T>(file: string, value: unknown, schema: Schema<T>, makeError: (message: string) => Error): T {
  try {
    return schema(value, '');
  } catch (e) {
    if (e instanceof SchemaIssue) throw makeError(`${file}: ${e.message}`);
    throw e;
  }
}
