/**
 * The one definition of the messages between the extension host and the training panel (webview).
 * Messages are `{ type, ... }`; each side handles them with a switch. The extension validates every
 * message from the webview with `parseWebviewMessage` before acting on it.
 */
import type { DataProfile, PresetName, Seq2SeqSettings, SettingsOverrides } from '../model/config';
import type { Hypothesis } from '../model/decoding/decodeOptions';
import type { TrainEvent } from '../model/training/events';
import type { ModelSummary } from '../model/storage/modelSummary';
import * as v from './validate';

/** A special data-file value meaning "the sample data shipped with the extension". */
export const SAMPLE_DATA = '<sample>';

export type WebviewToExtension =
  | { type: 'ready' }
  | { type: 'start-training'; dataFile: string; name: string; preset: PresetName | 'custom'; settings: SettingsOverrides }
  | { type: 'stop-training' }
  | { type: 'resume-training'; model: string }
  | { type: 'pick-data-file' }
  | { type: 'set-active-model'; model: string }
  | { type: 'export-model'; model: string }
  | { type: 'delete-model'; model: string }
  | { type: 'try-translate'; text: string; nBest: number };

export interface TrainingSnapshot {
  running: boolean;
  modelName: string;
  /** start, every epoch, the end if any, and step events thinned to a few hundred. */
  events: TrainEvent[];
}

export interface PanelState {
  training: TrainingSnapshot | null;
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
  | { type: 'models'; models: ModelSummary[]; activeModel: string | null }
  | { type: 'data-file'; path: string; profile?: DataProfile }
  | { type: 'try-result'; text: string; hypotheses: Hypothesis[] }
  | { type: 'error'; message: string };

const NAME_MAX = 120;

/** Validates a message from the webview; throws ProtocolError naming the bad field. */
export function parseWebviewMessage(msg: unknown): WebviewToExtension {
  if (!v.isObj(msg)) throw new v.ProtocolError('message must be an object');
  switch (msg.type) {
    case 'ready': case 'stop-training': case 'pick-data-file': break;
    case 'start-training':
      v.str(msg, 'dataFile', { max: 4096 });
      v.str(msg, 'name', { max: NAME_MAX });
      v.oneOf(msg, 'preset', ['fast', 'balanced', 'accurate', 'custom']);
      v.settingsOverrides(msg, 'settings');
      break;
    case 'resume-training': case 'set-active-model': case 'export-model': case 'delete-model':
      v.str(msg, 'model', { max: NAME_MAX });
      break;
    case 'try-translate':
      v.str(msg, 'text', { max: 10000 });
      v.num(msg, 'nBest', { min: 1, max: 16 });
      break;
    default:
      throw new v.ProtocolError(`unknown message type "${String(msg.type)}"`);
  }
  return msg as unknown as WebviewToExtension;
}

/** A model name that is safe as a folder name. */
export function isValidModelName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$/.test(name) && !name.includes('..');
}
