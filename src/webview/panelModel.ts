/** Everything the panel shows, in one record; views read it, the app changes it. */
import type { DataProfile, TaskKind } from '../model/config';
import type { Hypothesis } from '../model/decoding/decodeOptions';
import type { RunRecord } from '../model/storage/runRecord';
import type { PanelState } from '../protocol/webview';
import type { CompareAxis } from './compare';
import type { TuneRun } from './tuneRun';
import type { FormDraft } from './formModel';
import type { Run } from './run';

export type Pending = null | 'start' | 'stop' | 'resume';

export interface TryState {
  text: string;
  nBest: number;
  pending: boolean;
  result: { text: string; hypotheses: Hypothesis[] } | null;
}

export interface CompareState {
  /** The models ticked for comparison, in the order they were ticked. */
  selected: string[];
  /** What the extension read from their folders, for `selected` at the time it was asked. */
  runs: RunRecord[] | null;
  pending: boolean;
  /** The extension could not read them (its error is shown in the toolbar). */
  failed: boolean;
  axis: CompareAxis;
  onlyDifferences: boolean;
}

export interface PanelModel {
  /** The latest state from the extension (its `training` is replaced by `run`). */
  panel: PanelState;
  run: Run | null;
  /** True while the extension says this run is in progress (no end event yet). */
  live: boolean;
  pending: Pending;
  error: string | null;
  draft: FormDraft;
  profile: DataProfile | null;
  /** What the chosen data trains: a text folder generates, and the presets size that differently. */
  task: TaskKind;
  /** Set when Start was pressed with problems in the form: every problem is then shown. */
  showAllProblems: boolean;
  tryIt: TryState;
  compare: CompareState;
  /** The tune in progress or the last one, and whether the extension says it is running. */
  tune: TuneRun | null;
  tuneLive: boolean;
  tuneStopping: boolean;
}

export type RunStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'ended' | 'interrupted';

export function runStatus(m: PanelModel): RunStatus {
  if (m.pending === 'start' || m.pending === 'resume') return 'starting';
  const r = m.run;
  if (!r) return 'idle';
  // The extension says a run began but its start event (data read, model built) has not come yet.
  if (!r.start) return r.end ? 'ended' : m.live ? 'starting' : 'idle';
  if (r.end) return 'ended';
  if (!m.live) return 'interrupted';
  return m.pending === 'stop' ? 'stopping' : 'running';
}

export function isBusy(m: PanelModel): boolean {
  const s = runStatus(m);
  return s === 'starting' || s === 'running' || s === 'stopping';
}
