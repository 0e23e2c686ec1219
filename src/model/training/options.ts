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
  /**
   * A new run into a folder that already holds a model replaces it only when this is true (the CLI's
   * --overwrite; the extension asks first). The old model stays whole until the new run's first save.
   */
  overwrite?: boolean;
  task?: TaskKind;
  /** Minutes between mid-epoch checkpoints (crash safety). */
  checkpointMinutes?: number;
  /** Dev pairs decoded for BLEU/PER after each epoch (all dev pairs are used for loss). */
  maxDevDecode?: number;
  /** Threads computing gradients (1 or 2); by default 2 where there are two cores and the backend is single-threaded. */
  threads?: number;
}
