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
 * Whether a new run may replace a model already in modelDir. `false` refuses (the CLI without
 * --overwrite); `true` replaces it, the old model staying whole until the new run's first save.
 * Omitted counts as `true` for now, because the extension asks its modal question first and does not
 * send the field yet. Apart from TrainOptions only until the protocol's check of the training
 * request (src/protocol/records.ts, which needs a check for every field) has one for it; then the
 * extension sends `overwrite: true` after its question and omitted can mean `false`.
 */
export interface OverwriteOption { overwrite?: boolean }

/** What trainModel takes: the request and the overwrite choice. */
export type TrainRunOptions = TrainOptions & OverwriteOption;
