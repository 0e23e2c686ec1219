/** The recorded training run and protocol messages built from it, as the extension would send them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/model/config';
import type { TrainEvent, TrainEpochEvent, TrainStartEvent, TrainStepEvent } from '../../src/model/events';
import type { ModelSummary } from '../../src/model/modelSummary';
import type { PanelState } from '../../src/protocol/webview';

export function recordedEvents(file = 'train-events.jsonl'): TrainEvent[] {
  return readFileSync(join(__dirname, 'fixtures', file), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TrainEvent);
}

export const steps = (evs: TrainEvent[]) => evs.filter((e): e is TrainStepEvent => e.kind === 'step');
export const epochs = (evs: TrainEvent[]) => evs.filter((e): e is TrainEpochEvent => e.kind === 'epoch');
export const startOf = (evs: TrainEvent[]) => evs.find((e): e is TrainStartEvent => e.kind === 'start')!;

export function modelSummary(name: string, over: Partial<ModelSummary> = {}): ModelSummary {
  return {
    name, dir: `/models/${name}`, task: 'char → word', sourceKind: 'char', targetKind: 'word', cell: 'lstm', attention: 'luong',
    parameters: 151211, sizeBytes: 605000, trainPairs: 1900, epochs: 4, steps: 120,
    bestDev: { loss: 1.2, accuracy: 71.5, perplexity: 3.3, bleu: 0, chrf: 0, per: 18.4, wer: 52.1 }, devMetric: 'per',
    createdAt: '2026-11-27T10:00:00.000Z', updatedAt: '2026-11-27T10:20:00.000Z', complete: true, resumable: true, ...over,
  };
}

export function panelState(over: Partial<PanelState> = {}): PanelState {
  return {
    training: null,
    models: [modelSummary('g2p-base'), modelSummary('eng-deu', { task: 'word → word', devMetric: 'bleu', sourceKind: 'word', bestDev: { loss: 2.1, accuracy: 48, perplexity: 8.2, bleu: 14.2, chrf: 38.9, per: 0, wer: 0 }, updatedAt: '2026-11-26T09:00:00.000Z' })],
    activeModel: 'g2p-base', backend: 'wasm', defaults: DEFAULT_SETTINGS, defaultPreset: 'balanced', dataFile: '<sample>',
    ...over,
  };
}

/** Reads `data-points` of a chart: points per series. */
export async function chartPoints(page: import('playwright-core').Page, chart: string): Promise<Record<string, number>> {
  return JSON.parse((await page.getAttribute(`[data-chart="${chart}"]`, 'data-points')) ?? '{}') as Record<string, number>;
}
