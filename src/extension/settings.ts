/**
 * Typed getters over the `seq2seq.*` settings. Each call reads the current value, so a change in
 * the Settings editor applies to the next action without a reload.
 */
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BackendPreference } from '../model/acceleration/backend';
import type { PresetName, SettingsOverrides } from '../model/config';
import { DEFAULT_DECODE, DEFAULT_GENERATE, MAX_GENERATE_LINES, type DecodeOptions, type GenerateLimits } from '../model/decoding/decodeOptions';
import { DECODE_STRATEGIES, PRESET_NAMES, settingsOverrides } from '../protocol/records';
import { ProtocolError } from '../protocol/validate';
import { BACKEND_PREFERENCES, MAX_GENERATE_TOKENS } from '../protocol/worker';

export type OutputPlacement = 'replace' | 'below' | 'newDocument';

function cfg(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('seq2seq');
}

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function number(value: unknown, fallback: number, lo: number, hi: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  const v = Math.min(hi, Math.max(lo, value));
  return integer ? Math.round(v) : v;
}

/** Decoding for Translate Selection and the panel's try box. */
export function decodeOptions(): Partial<DecodeOptions> {
  const c = cfg();
  return {
    strategy: pick(c.get('decoding.strategy'), DECODE_STRATEGIES, DEFAULT_DECODE.strategy),
    beamSize: number(c.get('decoding.beamSize'), DEFAULT_DECODE.beamSize, 1, 64, true),
    lengthPenalty: number(c.get('decoding.lengthPenalty'), DEFAULT_DECODE.lengthPenalty, 0, 5),
    temperature: number(c.get('decoding.temperature'), DEFAULT_DECODE.temperature, 0, 100),
    topK: number(c.get('decoding.topK'), DEFAULT_DECODE.topK, 0, 100000, true),
    topP: number(c.get('decoding.topP'), DEFAULT_DECODE.topP, 0.01, 1),
    maxLength: number(c.get('decoding.maxLength'), DEFAULT_DECODE.maxLength, 1, 10000, true),
    repetitionPenalty: number(c.get('decoding.repetitionPenalty'), DEFAULT_DECODE.repetitionPenalty, 1, 10),
  };
}

/**
 * Generate Text: always samples, with the temperature / top-k / top-p / repetition-penalty settings,
 * and stops by the `seq2seq.generate.*` limits (a bad value means the default; numbers are kept in range).
 */
export function generateOptions(): { decode: Partial<DecodeOptions>; limits: GenerateLimits } {
  const d = decodeOptions();
  const c = cfg();
  const blank = c.get('generate.stopAtBlankLine');
  return {
    decode: { strategy: 'sample', temperature: d.temperature, topK: d.topK, topP: d.topP, repetitionPenalty: d.repetitionPenalty, seed: Date.now() % 2 ** 31 },
    limits: {
      maxTokens: number(c.get('generate.maxTokens'), DEFAULT_GENERATE.maxTokens, 1, MAX_GENERATE_TOKENS, true),
      maxLines: number(c.get('generate.maxLines'), DEFAULT_GENERATE.maxLines, 0, MAX_GENERATE_LINES, true),
      stopAtBlankLine: typeof blank === 'boolean' ? blank : DEFAULT_GENERATE.stopAtBlankLine,
    },
  };
}

export function outputPlacement(): OutputPlacement {
  return pick<OutputPlacement>(cfg().get('translation.output'), ['replace', 'below', 'newDocument'], 'replace');
}

/** The configured models folder, or undefined for the default (global storage). */
export function modelsDirectory(): string | undefined {
  const v = cfg().get<string>('modelsDirectory');
  if (typeof v !== 'string' || !v.trim()) return undefined;
  const dir = v.trim();
  return dir === '~' || dir.startsWith('~/') ? join(homedir(), dir.slice(1)) : dir;
}

/** The setting's values are the engine's own preferences (`tfjs-node` is one of its names for native TensorFlow). */
export function backend(): BackendPreference {
  return pick(cfg().get('backend'), BACKEND_PREFERENCES, 'auto');
}

export function defaultPreset(): PresetName {
  return pick<PresetName>(cfg().get('training.defaultPreset'), PRESET_NAMES, 'fast');
}

/**
 * Extra training settings applied on top of the preset (advanced; e.g. `{"train": {"epochs": 5}}`),
 * checked as the worker checks them, so a mistake is reported with the setting's name.
 */
export function trainingOverrides(): SettingsOverrides {
  const v = cfg().get<unknown>('training.overrides') ?? {};
  try {
    return settingsOverrides(v, 'seq2seq.training.overrides');
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new Error(`the setting ${e.message.replace(/^field /, '')}`);
  }
}

/** Inputs above this many lines show a cancellable progress notification. */
export function progressNotificationLines(): number {
  return number(cfg().get('translation.progressNotificationLines'), 20, 0, 1e9, true);
}
