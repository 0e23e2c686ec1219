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
  /**
   * Whether a new run may replace a model already in modelDir: only when true (the CLI's --overwrite;
   * the extension after its modal question), the old model staying whole until the new run's first
   * complete save. Otherwise such a run is refused.
   */
  overwrite?: boolean;
  /** Average the weights of the last K end-of-epoch checkpoints when training ends; kept only when better on dev (0 or 1: off). */
  averageLast?: number;
}
