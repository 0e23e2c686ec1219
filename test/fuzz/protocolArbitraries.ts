/**
 * fast-check generators for the protocol tests: hostile values of every kind, and valid messages
 * built from the same definitions the code uses (DEFAULT_SETTINGS for the settings, the lists of
 * presets, tasks and strategies), so a valid message must come back unchanged.
 */
import fc from 'fast-check';
import { DEFAULT_SETTINGS, type SettingsOverrides } from '../../src/model/config';
import { DECODE_STRATEGIES, PRESET_NAMES, TASK_KINDS } from '../../src/protocol/records';
import { ProtocolError } from '../../src/protocol/validate';

/** Fixed seed and a few thousand cases: the same cases on every run and machine. */
export const RUNS = { seed: 20261202, numRuns: 3000 } as const;

/** Anything a webview (JSON) or a worker (structured clone) could send, including prototype tricks. */
export const hostile = fc.oneof(
  fc.anything({ maxDepth: 4, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }),
  fc.dictionary(fc.constantFrom('type', 'kind', 'id', '__proto__', 'constructor', 'toString', 'model', 'event', 'result'), fc.anything({ maxDepth: 2 })),
);

/** Replaces the value at `path` (keys and indexes) of a copy of `value`. */
export function withAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1]] = replacement;
  return copy;
}

/** Runs `parse`; returns the result, or the ProtocolError; any other error fails the property. */
export function outcome<T>(parse: () => T): { ok: true; value: T } | { ok: false; error: ProtocolError } {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof ProtocolError) return { ok: false, error: e };
    throw new Error(`not a ProtocolError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

function sectionArb(defaults: object): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(Object.entries(defaults).map(([k, d]) => [
    k, typeof d === 'number' ? fc.oneof(finite, fc.integer()) : typeof d === 'boolean' ? fc.boolean() : fc.string({ maxLength: 200 }),
  ]));
  return fc.record(fields, { requiredKeys: [], noNullPrototype: true });
}

export const settingsOverrides: fc.Arbitrary<SettingsOverrides> = fc.record({
  model: sectionArb(DEFAULT_SETTINGS.model), train: sectionArb(DEFAULT_SETTINGS.train),
  source: sectionArb(DEFAULT_SETTINGS.source), target: sectionArb(DEFAULT_SETTINGS.target),
}, { requiredKeys: [], noNullPrototype: true }) as fc.Arbitrary<SettingsOverrides>;

/** Every numeric setting, as [section, key]. */
export const numericSettings = (['model', 'train', 'source', 'target'] as const).flatMap((section) =>
  Object.entries(DEFAULT_SETTINGS[section]).filter(([, d]) => typeof d === 'number').map(([key]) => [section, key] as const));

export const decodeOverrides = fc.record({
  strategy: fc.constantFrom(...DECODE_STRATEGIES), beamSize: fc.integer(), lengthPenalty: finite, nBest: fc.integer(),
  temperature: finite, topK: fc.integer(), topP: finite, seed: fc.integer(), maxLength: fc.integer(), repetitionPenalty: finite,
}, { requiredKeys: [], noNullPrototype: true });

export const preset = fc.constantFrom(...PRESET_NAMES);
export const task = fc.constantFrom(...TASK_KINDS);
export const path = fc.string({ minLength: 1, maxLength: 300 });
export const id = fc.string({ minLength: 1, maxLength: 200 });
