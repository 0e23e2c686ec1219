/**
 * The one definition of the messages between the extension host and the worker process.
 * Requests carry an id; every reply and progress message names it; cancellation is a message
 * (`cancel`), checked by the worker between batches. Both sides check what they receive: the worker
 * every request (`parseWorkerRequest`), the extension every message (`parseWorkerMessage`) and each
 * result against the request it answers (`parseWorkerResult`).
 */
import { BACKEND_PREFERENCES, backendPreference, type BackendPreference } from '../model/acceleration/backendPreference';
import type { DataProfile, TaskKind } from '../model/config';
import { MAX_GENERATE_LINES, MAX_GENERATE_TOKENS, MAX_PROMPT_CHARS, type DecodeOptions, type Hypothesis } from '../model/decoding/decodeOptions';
import type { GenerateStop } from '../model/generation/generate';
import type { TrainEndEvent, TrainEvent } from '../model/training/events';
import type { TrainOptions } from '../model/training/options';
import type { TuneOptions } from '../model/training/tune';
import type { TuneEndEvent, TuneEvent } from '../model/training/tuneEvents';
import type { ModelSummary } from '../model/storage/modelSummary';
import { dataProfile, decodeOverrides, path, reportChecks, TASK_KINDS, trainOptions, tuneOptions } from './records';
import { boolean, both, list, literal, members, nullable, number, oneOf, optional, shapeOf, string, union, type Check } from './validate';

/** Training: the engine's own options, passed through as they are. */
export type TrainRequest = { type: 'train'; id: string } & TrainOptions;
/** A tune: the engine's own options (its space, when given, is checked by the engine field by field). */
export type TuneRequest = { type: 'tune'; id: string } & TuneOptions;
export interface TranslateRequest { type: 'translate'; id: string; modelDir: string; inputs: string[]; decode?: Partial<DecodeOptions> }
export interface GenerateRequest {
  type: 'generate'; id: string; modelDir: string;
  /** The text to continue (its last window of tokens is what the model sees). */
  prompt: string;
  /** The prompt is the text from its very beginning (e.g. the cursor is within the first window of the document). */
  atStart?: boolean;
  decode?: Partial<DecodeOptions>;
  maxTokens: number;
  /** Stop after this many line ends (0 or absent: no line limit). */
  maxLines?: number;
  stopAtBlankLine?: boolean;
}
export interface InspectRequest { type: 'inspect'; id: string; modelDir: string }
export interface InfoRequest { type: 'info'; id: string }
/** Measures a data file as the presets do (pairs, vocabularies, lengths), so the panel can show the sizes a preset will pick. */
export interface ProfileRequest { type: 'profile'; id: string; dataFile: string; task?: TaskKind }
export interface CancelRequest { type: 'cancel'; id: string; target: string }

export type WorkerRequest = TrainRequest | TuneRequest | TranslateRequest | GenerateRequest | InspectRequest | InfoRequest | ProfileRequest | CancelRequest;

export interface WorkerInfo { backend: string; tfjsVersion: string; pid: number; node: string; nativeKernels?: string | null }

/** The result each request resolves to. */
export interface WorkerResults {
  train: TrainEndEvent;
  tune: TuneEndEvent;
  translate: { outputs: Hypothesis[][] };
  generate: { text: string; stopped: GenerateStop; tokens: number };
  inspect: ModelSummary;
  info: WorkerInfo;
  profile: DataProfile;
  cancel: { cancelled: boolean };
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export type WorkerMessage =
  | { type: 'ready'; info: WorkerInfo }
  | { type: 'result'; id: string; result: unknown }
  | { type: 'error'; id: string; message: string; code?: string }
  | { type: 'train-event'; id: string; event: TrainEvent }
  | { type: 'tune-event'; id: string; event: TuneEvent }
  | { type: 'translate-progress'; id: string; done: number; total: number }
  | { type: 'generate-chunk'; id: string; text: string }
  | { type: 'log'; level: LogLevel; message: string };

/** The worker is started with `--backend=<preference>`; an unknown value means `auto`. */
export { BACKEND_PREFERENCES };

export function backendArg(preference: BackendPreference): string {
  return `--backend=${preference}`;
}

export function backendFromArgv(argv: readonly string[]): BackendPreference {
  return backendPreference(argv.find((a) => a.startsWith('--backend='))?.slice('--backend='.length));
}

const MAX_INPUTS = 1_000_000;
export { MAX_GENERATE_TOKENS };
const GENERATE_STOPS = members<GenerateStop>({ 'max-tokens': true, 'max-lines': true, 'blank-line': true, 'end-of-text': true });

const id = string({ max: 200, nonEmpty: true });
const text = string({ max: 1_000_000 });
const decode = optional(decodeOverrides);
const reports = reportChecks(number({ finite: false }));

const request: Check<WorkerRequest> = union<WorkerRequest, 'type'>('type', {
  train: both(shapeOf<{ type: 'train'; id: string }>()({ type: literal('train'), id }), trainOptions),
  tune: both(shapeOf<{ type: 'tune'; id: string }>()({ type: literal('tune'), id }), tuneOptions),
  translate: shapeOf<TranslateRequest>()({ type: literal('translate'), id, modelDir: path, inputs: list(text, { max: MAX_INPUTS }), decode }),
  generate: shapeOf<GenerateRequest>()({
    type: literal('generate'), id, modelDir: path, prompt: string({ max: MAX_PROMPT_CHARS }), atStart: optional(boolean), decode,
    maxTokens: number({ min: 1, max: MAX_GENERATE_TOKENS, integer: true }),
    maxLines: optional(number({ min: 0, max: MAX_GENERATE_LINES, integer: true })), stopAtBlankLine: optional(boolean),
  }),
  inspect: shapeOf<InspectRequest>()({ type: literal('inspect'), id, modelDir: path }),
  info: shapeOf<InfoRequest>()({ type: literal('info'), id }),
  profile: shapeOf<ProfileRequest>()({ type: literal('profile'), id, dataFile: path, task: optional(oneOf(TASK_KINDS)) }),
  cancel: shapeOf<CancelRequest>()({ type: literal('cancel'), id, target: id }),
});

const workerInfo: Check<WorkerInfo> = shapeOf<WorkerInfo>()({
  backend: string({ max: 100 }), tfjsVersion: string({ max: 100 }), pid: number({ min: 0, integer: true }), node: string({ max: 100 }),
  nativeKernels: optional(nullable(string({ max: 1000 }))),
});
const count = number({ min: 0 });

const message: Check<WorkerMessage> = union<WorkerMessage, 'type'>('type', {
  ready: shapeOf<Extract<WorkerMessage, { type: 'ready' }>>()({ type: literal('ready'), info: workerInfo }),
  // The result is checked by parseWorkerResult, against the request it answers.
  result: shapeOf<Extract<WorkerMessage, { type: 'result' }>>()({ type: literal('result'), id, result: (v) => v }),
  error: shapeOf<Extract<WorkerMessage, { type: 'error' }>>()({
    type: literal('error'), id: string({ max: 200 }), message: text, code: optional(string({ max: 200 })),
  }),
  'train-event': shapeOf<Extract<WorkerMessage, { type: 'train-event' }>>()({ type: literal('train-event'), id, event: reports.trainEvent }),
  'tune-event': shapeOf<Extract<WorkerMessage, { type: 'tune-event' }>>()({ type: literal('tune-event'), id, event: reports.tuneEvent }),
  'translate-progress': shapeOf<Extract<WorkerMessage, { type: 'translate-progress' }>>()({
    type: literal('translate-progress'), id, done: count, total: count,
  }),
  'generate-chunk': shapeOf<Extract<WorkerMessage, { type: 'generate-chunk' }>>()({ type: literal('generate-chunk'), id, text }),
  log: shapeOf<Extract<WorkerMessage, { type: 'log' }>>()({
    type: literal('log'), level: oneOf(members<LogLevel>({ trace: true, debug: true, info: true, warn: true, error: true })), message: text,
  }),
});

const results: { [K in keyof WorkerResults]: Check<WorkerResults[K]> } = {
  train: reports.end,
  tune: reports.tuneEnd,
  translate: shapeOf<WorkerResults['translate']>()({ outputs: list(list(reports.hypothesis, { max: 64 }), { max: MAX_INPUTS }) }),
  generate: shapeOf<WorkerResults['generate']>()({
    text: string({ max: 10_000_000 }), stopped: oneOf(GENERATE_STOPS), tokens: number({ min: 0, max: MAX_GENERATE_TOKENS, integer: true }),
  }),
  inspect: reports.modelSummary,
  info: workerInfo,
  profile: dataProfile,
  cancel: shapeOf<WorkerResults['cancel']>()({ cancelled: boolean }),
};

/** Checks a request arriving at the worker; throws ProtocolError naming the bad field. */
export function parseWorkerRequest(msg: unknown): WorkerRequest {
  return request(msg, '');
}

/** Checks a message arriving at the extension host from the worker; throws ProtocolError naming the bad field. */
export function parseWorkerMessage(msg: unknown): WorkerMessage {
  return message(msg, '');
}

/** Checks the result of a request of type `type`; throws ProtocolError naming the bad field. */
export function parseWorkerResult<T extends keyof WorkerResults>(type: T, result: unknown): WorkerResults[T] {
  return results[type](result, 'result');
}
