/**
 * What a training run is asked to do: the engine's one definition of a training request. The CLI
 * builds it from flags; the extension and the worker pass it through as it is (src/protocol).
 */
import type { PresetName, SettingsOverrides, TaskKind } from '../config';

export interface TrainOptions {
  dataFile: string;
  devFile?: string;
  modelDir: string;
  preset?: PresetName;
  settings?: SettingsOverrides;
  resume: boolean;
  task?: TaskKind;
  /** Minutes between mid-epoch checkpoints (crash safety). */
  checkpointMinutes?: number;
  /** Dev pairs decoded for BLEU/PER after each epoch (all dev pairs are used for loss). */
  maxDevDecode?: number;
  /** Threads computing gradients (1 or 2); by default 2 where there are two cores and the backend is single-threaded. */
  threads?: number;
}

/**
 * A new run into a folder that already holds a model replaces it only with `overwrite: true` (the
 * CLI's --overwrite; the extension asks first); the old model stays whole until the new run's first
 * save. Apart from TrainOptions only until the protocol's check of the training request
 * (src/protocol/records.ts, which needs a check for every field) has one for it.
 */
export interface OverwriteOption { overwrite?: boolean }

/** What trainModel takes: the request and the overwrite choice. */
export type TrainRunOptions = TrainOptions & OverwriteOption;
