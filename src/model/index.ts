/** The engine's public surface for the worker process (the CLI imports the modules it needs on demand, to start fast). */
export { initBackend, backendName, type BackendPreference } from './acceleration/backend';
export { trainModel, resolveSettings, profileDataFile, type TrainOptions } from './training/train';
export { loadModel, saveModel } from './storage/store';
export { translate, CancelledError, resolveDecodeOptions } from './decoding/translate';
export { generate, type GenerateOptions, type GenerateOutcome, type GenerateStop } from './generation/generate';
export { readModelSummary, listModels, ModelFolderError } from './storage/modelFolder';
export { DataError, readPairs } from './data/data';
export { evaluatePairs } from './training/evaluate';
export { Seq2SeqModel } from './network/seq2seq';
export { SettingsError } from './config';
