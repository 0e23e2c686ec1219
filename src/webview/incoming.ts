/**
 * Defensive checks on messages from the extension. The extension is trusted, but a version
 * mismatch or a bug there must not break the panel: malformed messages are dropped (with a console
 * warning), malformed list items are skipped, and numbers that JSON turned into null are accepted
 * (drawn as gaps and shown as a dash).
 */
import { DEFAULT_SETTINGS, mergeSettings, type DataProfile, type PresetName, type Seq2SeqSettings } from '../model/config';
import type { Hypothesis } from '../model/decoding/decodeOptions';
import type { TrainEvent } from '../model/training/events';
import type { ModelSummary } from '../model/storage/modelSummary';
import type { ExtensionToWebview, PanelState, TrainingSnapshot } from '../protocol/webview';
import { isObj, type Obj } from '../protocol/validate';

const MAX_TEXT = 4000;
const MAX_LIST = 5000;

const isStr = (v: unknown): v is string => typeof v === 'string';
/** A number, or null where JSON could not carry NaN/Infinity. */
const isNum = (v: unknown): boolean => v === null || typeof v === 'number';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const has = (o: Obj, keys: string[], test: (v: unknown) => boolean) => keys.every((k) => test(o[k]));

function devMetricsOk(v: unknown): boolean {
  return v === null || (isObj(v) && has(v, ['loss', 'accuracy', 'bleu', 'chrf', 'per', 'wer'], isNum));
}

export function isTrainEvent(v: unknown): v is TrainEvent {
  if (!isObj(v)) return false;
  switch (v.kind) {
    case 'start':
      return isStr(v.runId) && isStr(v.modelDir) && isStr(v.backend) && isSettings(v.settings) && isObj(v.data)
        && has(v, ['sourceVocab', 'targetVocab', 'parameters', 'stepsPerEpoch'], isNum)
        && (v.devMetric === 'bleu' || v.devMetric === 'per') && isObj(v.dev);
    case 'step':
      return has(v, ['epoch', 'step', 'stepInEpoch', 'stepsPerEpoch', 'loss', 'accuracy', 'lr', 'samplesPerSec',
        'targetTokensPerSec', 'elapsedMs', 'etaMs', 'memoryMB'], isNum) && typeof v.step === 'number';
    case 'epoch':
      return has(v, ['epoch', 'epochs', 'step', 'trainLoss', 'trainAccuracy', 'lr', 'elapsedMs'], isNum)
        && typeof v.epoch === 'number' && devMetricsOk(v.dev) && Array.isArray(v.samples)
        && v.samples.every((s) => isObj(s) && has(s, ['source', 'reference', 'prediction'], isStr))
        && isBool(v.isBest) && isBool(v.checkpointSaved);
    case 'end':
      return ['completed', 'stopped', 'time-budget', 'early-stopping', 'error'].includes(String(v.reason))
        && isStr(v.modelDir) && has(v, ['epochs', 'steps', 'elapsedMs'], isNum) && devMetricsOk(v.bestDev)
        && (v.error === undefined || isStr(v.error));
    default:
      return false;
  }
}

function isSettings(v: unknown): v is Seq2SeqSettings {
  return isObj(v) && isObj(v.model) && isObj(v.train) && isObj(v.source) && isObj(v.target);
}

export function isModelSummary(v: unknown): v is ModelSummary {
  return isObj(v) && has(v, ['name', 'dir', 'task', 'createdAt', 'updatedAt'], isStr)
    && has(v, ['parameters', 'sizeBytes', 'epochs', 'steps'], isNum)
    && devMetricsOk(v.bestDev) && (v.devMetric === 'bleu' || v.devMetric === 'per')
    && isBool(v.complete) && isBool(v.resumable);
}

function isHypothesis(v: unknown): v is Hypothesis {
  return isObj(v) && isStr(v.text) && isNum(v.score) && isNum(v.logProb);
}

export function isDataProfile(v: unknown): v is DataProfile {
  return isObj(v) && has(v, ['pairs', 'sourceVocab', 'targetVocab', 'sourceLen95', 'targetLen95'], (x) => typeof x === 'number' && Number.isFinite(x));
}

function models(v: unknown): ModelSummary[] | null {
  return Array.isArray(v) ? v.slice(0, MAX_LIST).filter(isModelSummary) : null;
}

function snapshot(v: unknown): TrainingSnapshot | null {
  if (!isObj(v) || !isBool(v.running) || !isStr(v.modelName) || !Array.isArray(v.events)) return null;
  return { running: v.running, modelName: v.modelName, events: v.events.filter(isTrainEvent) };
}

function panelState(v: unknown): PanelState | null {
  if (!isObj(v)) return null;
  const defaults = isSettings(v.defaults) ? mergeSettings(DEFAULT_SETTINGS, v.defaults) : DEFAULT_SETTINGS;
  const presets: PresetName[] = ['fast', 'balanced', 'accurate'];
  return {
    training: snapshot(v.training),
    models: models(v.models) ?? [],
    activeModel: isStr(v.activeModel) ? v.activeModel : null,
    backend: isStr(v.backend) ? v.backend : null,
    defaults,
    defaultPreset: presets.includes(v.defaultPreset as PresetName) ? v.defaultPreset as PresetName : 'balanced',
    dataFile: isStr(v.dataFile) ? v.dataFile : null,
    dataProfile: isDataProfile(v.dataProfile) ? v.dataProfile : null,
  };
}

/** The message, checked and cleaned, or null when it is not one the panel understands. */
export function parseExtensionMessage(msg: unknown): ExtensionToWebview | null {
  if (!isObj(msg) || !isStr(msg.type)) return null;
  switch (msg.type) {
    case 'state': {
      const state = panelState(msg.state);
      return state && { type: 'state', state };
    }
    case 'train-event':
      return isTrainEvent(msg.event) ? { type: 'train-event', event: msg.event } : null;
    case 'models': {
      const list = models(msg.models);
      if (!list) return null;
      return { type: 'models', models: list, activeModel: isStr(msg.activeModel) ? msg.activeModel : null };
    }
    case 'data-file':
      if (!isStr(msg.path) || msg.path.length > MAX_TEXT) return null;
      return { type: 'data-file', path: msg.path, profile: isDataProfile(msg.profile) ? msg.profile : undefined };
    case 'try-result':
      if (!isStr(msg.text) || !Array.isArray(msg.hypotheses)) return null;
      return { type: 'try-result', text: msg.text, hypotheses: msg.hypotheses.slice(0, 64).filter(isHypothesis) };
    case 'error':
      return isStr(msg.message) ? { type: 'error', message: msg.message.slice(0, MAX_TEXT) } : null;
    default:
      return null;
  }
}
