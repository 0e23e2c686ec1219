/** Which TF.js backend a process asks for: the one list (no TF.js import, so the extension can use it). */
export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

/** `value` if it names a backend preference, else 'auto'. */
export function backendPreference(value: unknown): BackendPreference {
  return BACKEND_PREFERENCES.find((p) => p === value) ?? 'auto';
}
