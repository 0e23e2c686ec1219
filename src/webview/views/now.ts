/** "Now": where the run is (epoch, step, speed, time, learning rate, backend, memory) and what it trains on. */
import { describeArchitecture } from '../../model/config';
import { h, setText } from '../dom';
import * as f from '../format';
import { metricText } from '../metrics';
import { runStatus, type PanelModel } from '../panelModel';

interface Stat { value: HTMLElement; sub: HTMLElement }

const STATS: { id: string; label: string }[] = [
  { id: 'epoch', label: 'Epoch' },
  { id: 'step', label: 'Step' },
  { id: 'speed', label: 'Target tokens/s' },
  { id: 'elapsed', label: 'Elapsed' },
  { id: 'eta', label: 'ETA' },
  { id: 'lr', label: 'Learning rate' },
  { id: 'loss', label: 'Loss' },
  { id: 'best', label: 'Best dev' },
  { id: 'backend', label: 'Backend' },
  { id: 'memory', label: 'Memory' },
];

export class NowView {
  readonly el: HTMLElement;
  private readonly stats = new Map<string, Stat>();
  private readonly progress: HTMLProgressElement;
  private readonly progressText: HTMLSpanElement;
  private readonly dataLine: HTMLParagraphElement;
  private readonly modelLine: HTMLParagraphElement;
  private readonly settingsLine: HTMLParagraphElement;
  private readonly empty: HTMLParagraphElement;
  private readonly body: HTMLDivElement;

  constructor() {
    const grid = h('dl', { class: 'stats' });
    for (const s of STATS) {
      const value = h('dd', { class: 'stat-value', 'data-stat': s.id }, f.DASH);
      const sub = h('span', { class: 'stat-sub' });
      grid.append(h('div', { class: 'stat' }, h('dt', { class: 'stat-label' }, s.label), value, sub));
      this.stats.set(s.id, { value, sub });
    }
    this.progress = h('progress', { class: 'run-progress', max: 1, value: 0, 'aria-label': 'Training progress' });
    this.progressText = h('span', { class: 'progress-text' });
    this.dataLine = h('p', { class: 'run-line', 'data-testid': 'data-line' });
    this.modelLine = h('p', { class: 'run-line' });
    this.settingsLine = h('p', { class: 'run-line', 'data-testid': 'run-settings' });
    this.empty = h('p', { class: 'empty' }, 'No training yet. Progress appears here as soon as a run starts.');
    this.body = h('div', { class: 'now-body' }, h('div', { class: 'progress-row' }, this.progress, this.progressText), grid, this.settingsLine, this.modelLine, this.dataLine);
    this.el = h('div', { class: 'now' }, this.empty, this.body);
  }

  private set(id: string, value: string, sub = '', ms?: number): void {
    const s = this.stats.get(id)!;
    setText(s.value, value);
    setText(s.sub, sub);
    if (ms !== undefined) s.value.dataset.ms = Number.isFinite(ms) ? String(Math.round(ms)) : '';
  }

  render(m: PanelModel): void {
    const r = m.run;
    this.empty.hidden = !!r?.start;
    this.body.hidden = !r?.start;
    if (!r || !r.start) {
      const status = runStatus(m);
      const backend = m.panel.backend ? ` Backend: ${m.panel.backend}.` : '';
      setText(this.empty, status === 'starting' ? 'Reading the data and building the model…' : `No training yet. Progress appears here as soon as a run starts.${backend}`);
      return;
    }
    const st = r.start;
    const step = r.lastStep;
    const last = r.lastEpoch;
    const status = runStatus(m);
    const total = r.totalEpochs;
    const epochNow = step?.epoch ?? last?.epoch ?? 0;
    this.set('epoch', `${epochNow} / ${total}`, step ? `step ${f.int(step.stepInEpoch)} of ${f.int(step.stepsPerEpoch)}` : '');
    this.set('step', f.int(step?.step ?? last?.step ?? 0), step ? `${f.num(step.samplesPerSec)} samples/s` : '');
    this.set('speed', f.int(r.end ? r.end.targetTokensPerSec : step?.targetTokensPerSec));
    const live = status === 'running' || status === 'stopping';
    const elapsed = r.elapsedMs(live);
    const eta = r.etaMs(live);
    this.set('elapsed', f.clock(elapsed), '', elapsed);
    if (r.end) this.set('eta', 'done', reasonText(r.end.reason), 0);
    else if (status === 'interrupted') this.set('eta', f.DASH, 'not running', Number.NaN);
    else this.set('eta', f.roughDuration(eta), Number.isFinite(eta) ? `at ${new Date(Date.now() + eta).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}` : '', eta);
    this.set('lr', f.lr(step?.lr ?? last?.lr ?? st.settings.train.lr));
    this.set('loss', f.num(step?.loss ?? last?.trainLoss), step ? `accuracy ${f.num(step.accuracy)} %` : '');
    const best = r.bestEpoch;
    this.set('best', best ? metricText(st.devMetric, best.dev) : f.DASH, best ? `epoch ${best.epoch}` : 'after the first epoch');
    this.set('backend', backendName(st.backend));
    this.set('memory', step ? `${f.num(step.memoryMB)} MB` : f.DASH);

    let frac = 0;
    if (r.end && (r.end.reason === 'completed' || r.end.reason === 'early-stopping')) frac = 1;
    else if (r.end) frac = total > 0 ? (r.end.steps ?? step?.step ?? 0) / (r.stepsPerEpoch * total) : 0;
    else if (step && total > 0) {
      // Steps done of all planned, or time used of the budget, whichever is further along.
      const budgetMs = st.settings.train.minutes * 60_000;
      frac = Math.max(step.step / (step.stepsPerEpoch * total), budgetMs > 0 ? elapsed / budgetMs : 0);
    }
    this.progress.value = Math.min(1, Math.max(0, frac));
    setText(this.progressText, `${Math.round(this.progress.value * 100)} %`);

    const d = st.data;
    const skipped = d.skipped > 0
      ? ` · ${f.int(d.skipped)} line${d.skipped === 1 ? '' : 's'} skipped (${d.skippedLines.slice(0, 3).map((l) => `line ${l.line}: ${l.reason}`).join('; ')}${d.skipped > 3 ? '…' : ''})`
      : '';
    setText(this.dataLine, `${f.basename(d.file)}: ${f.int(d.pairs)} pairs, ${f.int(st.dev.pairs)} held out for dev${skipped}`);
    this.dataLine.title = d.file;
    const m2 = st.settings.model;
    const t2 = st.settings.train;
    const arch = m2.arch === 'transformer'
      ? `${describeArchitecture(m2)} · dropout ${m2.dropout}`
      : `${m2.cell.toUpperCase()} × ${m2.layers}${m2.bidirectional ? ' bi' : ''}${m2.attention === 'none' ? '' : ` + ${m2.attention}`} · emb ${m2.emb} · hidden ${m2.hidden} · dropout ${m2.dropout}`;
    setText(this.settingsLine, `${arch} · batch ${t2.batch}${t2.minutes > 0 ? ` · ${t2.minutes} min budget` : ''} · ${st.settings.source.kind} → ${st.settings.target.kind}`);
    const resumed = st.resumedFrom ? ` · resumed from epoch ${st.resumedFrom.epoch}` : '';
    setText(this.modelLine, `${f.compact(st.parameters)} parameters · vocabulary ${f.int(st.sourceVocab)} → ${f.int(st.targetVocab)}${resumed}`);
  }
}

function reasonText(reason: string): string {
  return ({ completed: 'all epochs', stopped: 'stopped', 'time-budget': 'time budget', 'early-stopping': 'early stopping', error: 'failed' } as Record<string, string>)[reason] ?? reason;
}

function backendName(b: string): string {
  return ({ tensorflow: 'tfjs-node', wasm: 'wasm', cpu: 'cpu (slow)' } as Record<string, string>)[b] ?? b;
}
