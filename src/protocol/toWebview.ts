/**
 * The webview's side of the panel protocol: checks on messages from the extension. The extension is
 * trusted, but a version mismatch or a bug there must not break the panel: malformed messages are
 * dropped (the caller warns), malformed list items are skipped, and numbers that JSON turned into
 * null are accepted (drawn as gaps and shown as a dash).
 */
import { DEFAULT_SETTINGS, mergeSettings, type DataProfile, type PresetName } from '../model/config';
import type { TrainEvent } from '../model/training/events';
import type { ModelSummary } from '../model/storage/modelSummary';
import { MAX_COMPARE, type ExtensionToWebview, type PanelState, type TrainingSnapshot, type TuneSnapshot } from './webview';
import { attentionMap, dataProfile, PRESET_NAMES, reportChecks, settingsOverrides, TASK_KINDS } from './records';
import type { Hypothesis } from '../model/decoding/decodeOptions';
import { boolean, isObj, number, ProtocolError, shapeOf, string, validItems, type Check } from './validate';

const MAX_TEXT = 4000;
const MAX_LIST = 5000;

/** A measured value: a number, or null where JSON could not carry NaN or Infinity (the panel draws a gap). */
const jsonMetric: Check<number> = (v, field) => (v === null ? (null as unknown as number) : number({ finite: false })(v, field));
const reports = reportChecks(jsonMetric);

/** The value if it passes, else null. */
function attempt<T>(check: Check<T>, v: unknown, field: string): T | null {
  try {
    return check(v, field);
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
}

export function isTrainEvent(v: unknown): v is TrainEvent {
  return attempt(reports.trainEvent, v, 'event') !== null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A hypothesis whose attention map, if malformed, is dropped (the text and scores still show). */
const tryHypothesis: Check<Hypothesis> = (v, field) => {
  const { attention: _unchecked, ...rest } = isObj(v) ? v : { attention: undefined };
  const h = reports.hypothesis(isObj(v) ? rest : v, field);
  const attention = isObj(v) && v.attention !== undefined ? attempt(attentionMap, v.attention, `${field}.attention`) : null;
  return attention ? { ...h, attention } : h;
};
const models = (v: unknown): ModelSummary[] | null => attempt(validItems(reports.modelSummary, MAX_LIST), v, 'models');

const snapshot: Check<TrainingSnapshot> = shapeOf<TrainingSnapshot>()({
  running: boolean, modelName: string({ max: 200 }), events: validItems(reports.trainEvent, 100_000),
});

const tuneSnapshot: Check<TuneSnapshot> = shapeOf<TuneSnapshot>()({
  running: boolean, name: string({ max: 200 }), events: validItems(reports.tuneEvent, 20_000),
});

function panelState(v: unknown): PanelState | null {
  if (!isObj(v)) return null;
  const defaults = attempt(settingsOverrides, v.defaults, 'defaults');
  return {
    training: attempt(snapshot, v.training, 'training'),
    tune: attempt(tuneSnapshot, v.tune, 'tune'),
    models: models(v.models) ?? [],
    activeModel: str(v.activeModel),
    backend: str(v.backend),
    defaults: mergeSettings(DEFAULT_SETTINGS, defaults ?? undefined),
    defaultPreset: PRESET_NAMES.find((p) => p === v.defaultPreset) ?? ('balanced' satisfies PresetName),
    dataFile: str(v.dataFile),
    dataProfile: attempt(dataProfile, v.dataProfile, 'dataProfile'),
  };
}

/** The message, checked and cleaned, or null when it is not one the panel understands. */
export function parseExtensionMessage(msg: unknown): ExtensionToWebview | null {
  if (!isObj(msg) || typeof msg.type !== 'string') return null;
  switch (msg.type) {
    case 'state': {
      const state = panelState(msg.state);
      return state && { type: 'state', state };
    }
    case 'train-event': {
      const event = attempt(reports.trainEvent, msg.event, 'event');
      return event && { type: 'train-event', event };
    }
    case 'tune-event': {
      const event = attempt(reports.tuneEvent, msg.event, 'event');
      return event && { type: 'tune-event', event };
    }
    case 'models': {
      const list = models(msg.models);
      return list && { type: 'models', models: list, activeModel: str(msg.activeModel) };
    }
    case 'data-file': {
      const path = attempt(string({ max: MAX_TEXT }), msg.path, 'path');
      const profile: DataProfile | null = attempt(dataProfile, msg.profile, 'profile');
      const task = TASK_KINDS.find((k) => k === msg.task);
      return path === null ? null : { type: 'data-file', path, profile: profile ?? undefined, task };
    }
    case 'try-result': {
      const hypotheses = attempt(validItems(tryHypothesis, 64), msg.hypotheses, 'hypotheses');
      return typeof msg.text === 'string' && hypotheses ? { type: 'try-result', text: msg.text, hypotheses } : null;
    }
    case 'comparison': {
      const runs = attempt(validItems(reports.runRecord, MAX_COMPARE), msg.runs, 'runs');
      return runs && { type: 'comparison', runs };
    }
    case 'error':
      return typeof msg.message === 'string' ? { type: 'error', message: msg.message.slice(0, MAX_TEXT) } : null;
    default:
      return null;
  }
}
