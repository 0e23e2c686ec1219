/** The sticky top bar: what is happening now, Start / Stop / Resume, and the last error. */
import { h, icon, setText } from '../dom';
import { clock } from '../format';
import { runStatus, type PanelModel } from '../panelModel';

export interface ToolbarActions { start(): void; stop(): void; resume(): void; dismissError(): void }

const END_TEXT: Record<string, string> = {
  completed: 'Finished',
  stopped: 'Stopped',
  'time-budget': 'Time budget reached',
  'early-stopping': 'Finished (early stopping)',
  error: 'Failed',
};

export class Toolbar {
  readonly el: HTMLElement;
  private readonly status: HTMLDivElement;
  private readonly dot: HTMLSpanElement;
  private readonly title: HTMLSpanElement;
  private readonly detail: HTMLSpanElement;
  private readonly startBtn: HTMLButtonElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly resumeBtn: HTMLButtonElement;
  private readonly errorEl: HTMLDivElement;
  private readonly errorText: HTMLSpanElement;
  /** A note from the form (e.g. "Fix 2 settings to start"), shown under the status. */
  note = '';

  constructor(private readonly actions: ToolbarActions) {
    this.dot = h('span', { class: 'status-dot', 'aria-hidden': 'true' });
    // Only the title is a live region: the detail holds a clock that changes every second.
    this.title = h('span', { class: 'status-title', 'data-testid': 'status', role: 'status', 'aria-live': 'polite' });
    this.detail = h('span', { class: 'status-detail' });
    this.status = h('div', { class: 'status' }, this.dot,
      h('div', { class: 'status-text' }, this.title, this.detail));
    this.startBtn = h('button', { type: 'button', class: 'btn primary', 'data-action': 'start', title: 'Start training with these settings' }, icon('play'), h('span', {}, 'Start'));
    this.stopBtn = h('button', { type: 'button', class: 'btn secondary', 'data-action': 'stop', title: 'Stop training (the last checkpoint is kept)' }, icon('debug-stop'), h('span', {}, 'Stop'));
    this.resumeBtn = h('button', { type: 'button', class: 'btn secondary', 'data-action': 'resume', title: 'Resume from the last checkpoint' }, icon('debug-continue'), h('span', {}, 'Resume'));
    this.startBtn.addEventListener('click', () => actions.start());
    this.stopBtn.addEventListener('click', () => actions.stop());
    this.resumeBtn.addEventListener('click', () => actions.resume());
    this.errorText = h('span', { class: 'error-text' });
    this.errorEl = h('div', { class: 'error-banner', role: 'alert', hidden: true }, icon('error'), this.errorText,
      h('button', { type: 'button', class: 'icon-btn', title: 'Dismiss', 'aria-label': 'Dismiss error', onclick: () => actions.dismissError() }, icon('close')));
    this.el = h('header', { class: 'toolbar' },
      h('div', { class: 'toolbar-row' }, this.status, h('div', { class: 'toolbar-buttons' }, this.startBtn, this.resumeBtn, this.stopBtn)),
      this.errorEl);
  }

  render(m: PanelModel): void {
    const s = runStatus(m);
    const r = m.run;
    const name = r?.modelName ?? '';
    let title = 'Ready';
    let detail = this.note || 'Choose data and a preset, then Start.';
    switch (s) {
      case 'starting':
        title = m.pending === 'resume' ? 'Resuming…' : m.pending === 'start' ? `Starting ${m.draft.name.trim()}…` : `Starting ${name}…`;
        detail = 'Reading the data and building the model.';
        break;
      case 'running': case 'stopping': {
        const ep = r?.lastStep?.epoch ?? r?.lastEpoch?.epoch ?? 0;
        title = s === 'stopping' ? `Stopping ${name}…` : `Training ${name}`;
        detail = `Epoch ${ep} of ${r?.totalEpochs ?? '?'} · ${clock(r?.elapsedMs(true) ?? 0)}`;
        break;
      }
      case 'ended': {
        const end = r!.end!;
        title = `${END_TEXT[end.reason] ?? 'Ended'}: ${name}`;
        const steps = (end.steps ?? 0).toLocaleString('en-US');
        const inEpoch = r!.lastStep && r!.lastStep.epoch > end.epochs ? r!.lastStep.epoch : null;
        detail = end.reason === 'error' ? (end.error ?? 'Training failed.')
          : inEpoch !== null ? `In epoch ${inEpoch} at step ${steps}, after ${clock(end.elapsedMs)}`
          : `${end.epochs} epoch${end.epochs === 1 ? '' : 's'}, ${steps} steps in ${clock(end.elapsedMs)}`;
        if (this.note) detail = this.note;
        break;
      }
      case 'interrupted':
        title = `Interrupted: ${name}`;
        detail = 'The training process ended without a final report.';
        break;
      case 'idle':
        break;
    }
    setText(this.title, title);
    setText(this.detail, detail);
    this.dot.className = `status-dot status-${s}`;
    this.el.dataset.status = s;
    const busy = s === 'starting' || s === 'running' || s === 'stopping';
    this.startBtn.hidden = busy;
    this.stopBtn.hidden = !busy;
    this.stopBtn.disabled = !(s === 'running' || (s === 'starting' && m.live));
    this.resumeBtn.hidden = busy || !canResume(m);
    this.resumeBtn.title = `Resume ${name} from its last checkpoint`;
    this.errorEl.hidden = !m.error;
    if (m.error) setText(this.errorText, m.error);
  }
}

/** The last run can be resumed: the model list says so, or (not listed yet) it was stopped or interrupted. */
export function canResume(m: PanelModel): boolean {
  const s = runStatus(m);
  const r = m.run;
  if (!r || !(s === 'ended' || s === 'interrupted')) return false;
  const listed = m.panel.models.find((x) => x.name === r.modelName);
  if (listed) return listed.resumable && !(r.end && (r.end.reason === 'completed' || r.end.reason === 'early-stopping'));
  return s === 'interrupted' || r.end?.reason === 'stopped' || r.end?.reason === 'time-budget';
}
