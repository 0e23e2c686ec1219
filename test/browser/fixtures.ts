/** The recorded training runs, models and translations (real worker output), and messages built from them as the extension sends them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/model/config';
import type { TrainEvent, TrainEpochEvent, TrainStartEvent, TrainStepEvent } from '../../src/model/training/events';
import type { ModelSummary } from '../../src/model/storage/modelSummary';
import type { RunRecord } from '../../src/model/storage/runRecord';
import type { Hypothesis } from '../../src/model/decoding/decodeOptions';
import type { PanelState } from '../../src/protocol/webview';

export function recordedEvents(file = 'train-events.jsonl'): TrainEvent[] {
  return readFileSync(join(__dirname, 'fixtures', file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TrainEvent);
}

export const steps = (evs: TrainEvent[]) => evs.filter((e): e is TrainStepEvent => e.kind === 'step');
export const epochs = (evs: TrainEvent[]) => evs.filter((e): e is TrainEpochEvent => e.kind === 'epoch');
export const startOf = (evs: TrainEvent[]) => evs.find((e): e is TrainStartEvent => e.kind === 'start')!;

/** ModelSummary records the worker reported for the recorded models (see record.ts). */
export function recordedModels(): ModelSummary[] {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'models.json'), 'utf8')) as ModelSummary[];
}

/** The worker's n-best for "seq" with the recorded g2p model, as the extension sends it. */
export function recordedTryResult(): { type: 'try-result'; text: string; hypotheses: Hypothesis[] } {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'try-result.json'), 'utf8'));
}

export function panelState(over: Partial<PanelState> = {}): PanelState {
  const models = recordedModels();
  return {
    training: null, models, activeModel: models[0].name, backend: 'wasm', defaults: DEFAULT_SETTINGS, defaultPreset: 'balanced', dataFile: '<sample>',
    ...over,
  };
}

/** Reads `data-points` of a chart: points per series. */
export async function chartPoints(page: import('playwright-core').Page, chart: string): Promise<Record<string, number>> {
  return JSON.parse((await page.getAttribute(`[data-chart="${chart}"]`, 'data-points')) ?? '{}') as Record<string, number>;
}

/** Three g2p models and what Compare reads from their folders (see fixtures/README.md). */
export function recordedComparison(): { models: ModelSummary[]; runs: RunRecord[] } {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'compare-runs.json'), 'utf8')) as { models: ModelSummary[]; runs: RunRecord[] };
}

type TryResult = { type: 'try-result'; text: string; hypotheses: Hypothesis[] };

/** The try box's answers with attention maps from a recurrent model and a Transformer, and their summaries (see fixtures/README.md). */
export function recordedAttention(): { rnn: TryResult; transformer: TryResult; models: ModelSummary[] } {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', 'try-result-attention.json'), 'utf8')) as { rnn: TryResult; transformer: TryResult; models: ModelSummary[] };
}
