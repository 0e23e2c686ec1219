/** The engine's public surface, used by the worker and the CLI. */
export { initBackend, backendName, type BackendPreference } from './backend';
export { trainModel, resolveSettings, profileDataFile, type TrainOptions } from './train';
export { loadModel, saveModel } from './store';
export { translate, generate, CancelledError, resolveDecodeOptions } from './translate';
export { readModelSummary, listModels, ModelFolderError } from './modelFolder';
export { DataError, readPairs } from './data';
export { evaluatePairs } from './evaluate';
export { Seq2SeqModel } from './seq2seq';
export { SettingsError } from './config';
