/**
 * The one definition of the messages between the extension host and the worker process.
 * Requests carry an id; every reply and progress message names it; cancellation is a message
 * (`cancel`), checked by the worker between batches. Both sides validate what they receive.
 */
import type { DataProfile, PresetName, SettingsOverrides } from '../model/config';
import type { DecodeOptions, Hypothesis } from '../model/decoding/decodeOptions';
import type { TrainEndEvent, TrainEvent } from '../model/training/events';
import type { ModelSummary } from '../model/storage/modelSummary';
import * as v from './validate';

export interface TrainRequest {
  type: 'train'; id: string;
  dataFile: string; devFile?: string;
  /** Folder the model is written to (created; for resume, the existing folder). */
  modelDir: string;
  preset?: PresetName;
  settings?: SettingsOverrides;
  resume: boolean;
  /** For text generation: the data file is plain text and pairs are made from it. */
  task?: 'pairs' | 'generate';
}
export interface TranslateRequest { type: 'translate'; id: string; modelDir: string; inputs: string[]; decode?: Partial<DecodeOptions> }
export interface GenerateRequest { type: 'generate'; id: string; modelDir: string; prompt: string; decode?: Partial<DecodeOptions>; maxTokens: number }
export interface InspectRequest { type: 'inspect'; id: string; modelDir: string }
export interface InfoRequest { type: 'info'; id: string }
/** Measures a data file as the presets do (pairs, vocabularies, lengths), so the panel can show the sizes a preset will pick. */
export interface ProfileRequest { type: 'profile'; id: string; dataFile: string; task?: 'pairs' | 'generate' }
export interface CancelRequest { type: 'cancel'; id: string; target: string }

export type WorkerRequest = TrainRequest | TranslateRequest | GenerateRequest | InspectRequest | InfoRequest | ProfileRequest | CancelRequest;

export interface WorkerInfo { backend: string; tfjsVersion: string; pid: number; node: string }

/** The result each request resolves to. */
export interface WorkerResults {
  train: TrainEndEvent;
  translate: { outputs: Hypothesis[][] };
  generate: { text: string };
  inspect: ModelSummary;
  info: WorkerInfo;
  profile: DataProfile;
  cancel: { cancelled: boolean };
}

export type WorkerMessage =
  | { type: 'ready'; info: WorkerInfo }
  | { type: 'result'; id: string; result: unknown }
  | { type: 'error'; id: string; message: string; code?: string }
  | { type: 'train-event'; id: string; event: TrainEvent }
  | { type: 'translate-progress'; id: string; done: number; total: number }
  | { type: 'generate-chunk'; id: string; text: string }
  | { type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string };

const MAX_PATH = 4096;
const MAX_INPUTS = 1_000_000;

/** Validates a request arriving at the worker; throws ProtocolError naming the bad field. */
export function parseWorkerRequest(msg: unknown): WorkerRequest {
  if (!v.isObj(msg)) throw new v.ProtocolError('request must be an object');
  v.str(msg, 'id', { max: 200 });
  switch (msg.type) {
    case 'train':
      v.str(msg, 'dataFile', { max: MAX_PATH });
      v.str(msg, 'devFile', { optional: true, max: MAX_PATH });
      v.str(msg, 'modelDir', { max: MAX_PATH });
      v.oneOf(msg, 'preset', ['fast', 'balanced', 'accurate'], { optional: true });
      v.settingsOverrides(msg, 'settings');
      v.bool(msg, 'resume');
      v.oneOf(msg, 'task', ['pairs', 'generate'], { optional: true });
      break;
    case 'translate':
      v.str(msg, 'modelDir', { max: MAX_PATH });
      v.strArray(msg, 'inputs', { maxItems: MAX_INPUTS });
      v.obj(msg, 'decode', { optional: true });
      break;
    case 'generate':
      v.str(msg, 'modelDir', { max: MAX_PATH });
      v.str(msg, 'prompt', { max: 1_000_000 });
      v.obj(msg, 'decode', { optional: true });
      v.num(msg, 'maxTokens', { min: 1, max: 100000 });
      break;
    case 'inspect':
      v.str(msg, 'modelDir', { max: MAX_PATH });
      break;
    case 'info':
      break;
    case 'profile':
      v.str(msg, 'dataFile', { max: MAX_PATH });
      v.oneOf(msg, 'task', ['pairs', 'generate'], { optional: true });
      break;
    case 'cancel':
      v.str(msg, 'target', { max: 200 });
      break;
    default:
      throw new v.ProtocolError(`unknown request type "${String(msg.type)}"`);
  }
  return msg as unknown as WorkerRequest;
}

/** Validates a message arriving at the extension host from the worker. */
export function parseWorkerMessage(msg: unknown): WorkerMessage {
  if (!v.isObj(msg)) throw new v.ProtocolError('worker message must be an object');
  switch (msg.type) {
    case 'ready': v.obj(msg, 'info'); break;
    case 'result': v.str(msg, 'id'); break;
    case 'error': v.str(msg, 'id'); v.str(msg, 'message'); v.str(msg, 'code', { optional: true }); break;
    case 'train-event':
      v.str(msg, 'id'); v.obj(msg, 'event');
      v.oneOf(msg.event as v.Obj, 'kind', ['start', 'step', 'epoch', 'end']);
      break;
    case 'translate-progress': v.str(msg, 'id'); v.num(msg, 'done'); v.num(msg, 'total'); break;
    case 'generate-chunk': v.str(msg, 'id'); v.str(msg, 'text'); break;
    case 'log': v.oneOf(msg, 'level', ['trace', 'debug', 'info', 'warn', 'error']); v.str(msg, 'message'); break;
    default: throw new v.ProtocolError(`unknown worker message type "${String(msg.type)}"`);
  }
  return msg as unknown as WorkerMessage;
}
