/**
 * The one definition of the messages between the extension host and the training panel (webview).
 * Messages are `{ type, ... }`; each side handles them with a switch. The extension checks every
 * message from the webview with `parseWebviewMessage` before acting on it; the webview checks the
 * extension's with `parseExtensionMessage` (toWebview.ts).
 */
import type { DataProfile, PresetName, Seq2SeqSettings, SettingsOverrides, TaskKind } from '../model/config';
import type { Hypothesis } from '../model/decoding/decodeOptions';
import type { TrainEvent } from '../model/training/events';
import type { TuneEvent } from '../model/training/tuneEvents';
import type { ModelSummary } from '../model/storage/modelSummary';
import type { RunRecord } from '../model/storage/runRecord';
import { MAX_PATH, PRESET_NAMES, settingsOverrides } from './records';
import { describe, fail, list, literal, number, oneOf, ProtocolError, shapeOf, string, union, type Check } from './validate';

/** A special data-file value meaning "the sample data shipped with the extension". */
export const SAMPLE_DATA = '<sample>';

export type WebviewToExtension =
  | { type: 'ready' }
  | { type: 'start-training'; dataFile: string; name: string; preset: PresetName | 'custom'; settings: SettingsOverrides }
  | { type: 'stop-training' }
  | { type: 'stop-tuning' }
  | { type: 'resume-training'; model: string }
  | { type: 'pick-data-file' }
  | { type: 'set-active-model'; model: string }
  | { type: 'export-model'; model: string }
  | { type: 'delete-model'; model: string }
  | { type: 'try-translate'; text: string; nBest: number }
  /** Two to MAX_COMPARE different models, to see side by side. */
  | { type: 'compare-models'; models: string[] };

/** The most models compared at once: one colour each in the charts. */
export const MAX_COMPARE = 6;

export interface TrainingSnapshot {
  running: boolean;
  modelName: string;
  /** start, every epoch, the end if any, and step events thinned to a few hundred. */
  events: TrainEvent[];
}

export interface TuneSnapshot {
  running: boolean;
  /** The tune's name: also the name its best model gets. */
  name: string;
  /** tune-start, the latest event of each trial, the rounds, tune-end. */
  events: TuneEvent[];
}

export interface PanelState {
  training: TrainingSnapshot | null;
  /** The tune in progress, or the last one (until the next starts). */
  tune?: TuneSnapshot | null;
  models: ModelSummary[];
  activeModel: string | null;
  backend: string | null;
  defaults: Seq2SeqSettings;
  defaultPreset: PresetName;
  dataFile: string | null;
  /** The chosen data file's profile, when known, so the panel shows the sizes a preset will pick. */
  dataProfile?: DataProfile | null;
}

export type ExtensionToWebview =
  | { type: 'state'; state: PanelState }
  | { type: 'train-event'; event: TrainEvent }
  | { type: 'tune-event'; event: TuneEvent }
  | { type: 'models'; models: ModelSummary[]; activeModel: string | null }
  /** profile and task, once the worker has read the file: what the form's preset sizes depend on. */
  | { type: 'data-file'; path: string; profile?: DataProfile; task?: TaskKind }
  | { type: 'try-result'; text: string; hypotheses: Hypothesis[] }
  | { type: 'comparison'; runs: RunRecord[] }
  | { type: 'error'; message: string };

const NAME_MAX = 120;

/** The rule for model names, in words, for messages. */
export const MODEL_NAME_RULE = 'letters, digits, spaces, dots, dashes or underscores (up to 120), starting with a letter or digit';

/** A model name that is safe as a folder name. */
export function isValidModelName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$/.test(name) && !name.includes('..');
}

/**
 * What the extension knows that a message from the webview may refer to. The webview is untrusted
 * content: it may name only models that are in the models folder and data files the user chose.
 */
export interface WebviewReferences {
  hasModel(name: string): boolean;
  /** SAMPLE_DATA, or a file the user picked (file dialog, editor, Explorer). */
  hasDataFile(ref: string): boolean;
}

const modelName: Check<string> = (v, field) => {
  const name = string({ max: NAME_MAX })(v, field);
  if (!isValidModelName(name)) fail(field, `a model name (${MODEL_NAME_RULE})`, v);
  return name;
};

function existingModel(refs: WebviewReferences): Check<string> {
  return (v, field) => {
    const name = modelName(v, field);
    if (!refs.hasModel(name)) throw new ProtocolError(`field "${field}": there is no model named ${JSON.stringify(name)} in the models folder`);
    return name;
  };
}

function chosenDataFile(refs: WebviewReferences): Check<string> {
  return (v, field) => {
    const ref = string({ max: MAX_PATH })(v, field);
    if (!refs.hasDataFile(ref)) {
      throw new ProtocolError(`field "${field}" must be the sample data or a file chosen with "Choose a file…" (got ${describe(ref)})`);
    }
    return ref;
  };
}

/** Two or more different existing models, at most MAX_COMPARE. */
function modelsToCompare(refs: WebviewReferences): Check<string[]> {
  const names = list(existingModel(refs), { max: MAX_COMPARE });
  return (v, field) => {
    const models = names(v, field);
    if (models.length < 2) fail(field, `a list of 2 to ${MAX_COMPARE} model names`, v);
    const twice = models.find((m, i) => models.indexOf(m) !== i);
    if (twice !== undefined) throw new ProtocolError(`field "${field}" names the model ${JSON.stringify(twice)} twice`);
    return models;
  };
}

type Of<T extends WebviewToExtension['type']> = Extract<WebviewToExtension, { type: T }>;

function messageCheck(refs: WebviewReferences): Check<WebviewToExtension> {
  const model = existingModel(refs);
  return union<WebviewToExtension, 'type'>('type', {
    ready: shapeOf<Of<'ready'>>()({ type: literal('ready') }),
    'stop-training': shapeOf<Of<'stop-training'>>()({ type: literal('stop-training') }),
    'stop-tuning': shapeOf<Of<'stop-tuning'>>()({ type: literal('stop-tuning') }),
    'pick-data-file': shapeOf<Of<'pick-data-file'>>()({ type: literal('pick-data-file') }),
    'start-training': shapeOf<Of<'start-training'>>()({
      type: literal('start-training'), dataFile: chosenDataFile(refs), name: modelName,
      preset: oneOf([...PRESET_NAMES, 'custom'] as const), settings: settingsOverrides,
    }),
    'resume-training': shapeOf<Of<'resume-training'>>()({ type: literal('resume-training'), model }),
    'set-active-model': shapeOf<Of<'set-active-model'>>()({ type: literal('set-active-model'), model }),
    'export-model': shapeOf<Of<'export-model'>>()({ type: literal('export-model'), model }),
    'delete-model': shapeOf<Of<'delete-model'>>()({ type: literal('delete-model'), model }),
    'try-translate': shapeOf<Of<'try-translate'>>()({
      type: literal('try-translate'), text: string({ max: 10000 }), nBest: number({ min: 1, max: 16, integer: true }),
    }),
    'compare-models': shapeOf<Of<'compare-models'>>()({ type: literal('compare-models'), models: modelsToCompare(refs) }),
  });
}

/** Checks a message from the webview against what it may refer to; throws ProtocolError naming the bad field. */
export function parseWebviewMessage(msg: unknown, refs: WebviewReferences): WebviewToExtension {
  return messageCheck(refs)(msg, '');
}
