/**
 * Tune: the trials of the tune in progress (or the last one) as they arrive: each with its status,
 * the settings it tries, its steps, best dev metric and training time; the best starred; the round
 * and the time left; Stop while it runs.
 */
import type { TrialRecord } from '../../model/training/tuneEvents';
import { h, icon, replaceChildren, setText } from '../dom';
import * as f from '../format';
import { metricText } from '../metrics';
import type { PanelModel } from '../panelModel';

const STATUS: Record<TrialRecord['status'], string> = {
  waiting: 'waiting', running: 'training', trained: 'trained', finished: 'converged', dropped: 'dropped', failed: 'failed', stopped: 'stopped',
};

const END: Record<string, string> = { completed: 'finished', 'time-budget': 'out of time', stopped: 'stopped' };

export class TuneView {
  readonly el: HTMLElement;
  private readonly empty: HTMLParagraphElement;
  private readonly body: HTMLDivElement;
  private readonly title: HTMLParagraphElement;
  private readonly detail: HTMLParagraphElement;
  private readonly stop: HTMLButtonElement;
  private readonly list: HTMLUListElement;
  private key = '';

  constructor(onStop: () => void) {
    this.empty = h('p', { class: 'empty' }, 'Tune Model… (command palette, or this view\'s ⋯ menu) tries many sizes for a few minutes each and continues the best; its trials appear here as they finish.');
    this.title = h('p', { class: 'tune-title', 'data-testid': 'tune-status' });
    this.detail = h('p', { class: 'hint', 'data-testid': 'tune-detail' });
    this.stop = h('button', { type: 'button', class: 'btn secondary small', 'data-action': 'stop-tuning', title: 'Stop the tune (everything done is kept; Resume Tuning continues it)' }, icon('debug-stop'), h('span', {}, 'Stop'));
    this.stop.addEventListener('click', () => onStop());
    this.list = h('ul', { class: 'trial-list', 'aria-label': 'Trials' });
    this.body = h('div', { class: 'tune-body' }, h('div', { class: 'tune-head' }, h('div', {}, this.title, this.detail), this.stop), this.list);
    this.el = h('div', { class: 'tune' }, this.empty, this.body);
  }

  render(m: PanelModel): void {
    const t = m.tune;
    this.empty.hidden = !!t?.start;
    this.body.hidden = !t?.start;
    if (!t || !t.start) return;
    const live = m.tuneLive && !t.end;
    const rounds = t.start.rounds.length;
    setText(this.title, t.end ? `Tune ${t.name}: ${END[t.end.reason] ?? t.end.reason}` : live ? `Tuning ${t.name}` : `Tune ${t.name}: interrupted`);
    const best = t.best;
    const bestText = best ? ` · best ${best.id} (${metricText(t.devMetric ?? 'per', best.bestDev)})` : '';
    setText(this.detail, t.end
      ? `${t.end.trials.filter((x) => x.steps > 0).length} trials in ${f.clock(t.end.elapsedMs)}${bestText}`
      : `Round ${t.round + 1} of ${rounds} · ${t.start.rounds.join(' → ')} trials · ${f.clock(t.remaining(live))} left${bestText}`);
    this.stop.hidden = !live;
    this.stop.disabled = m.tuneStopping;
    const trials = t.list();
    const key = JSON.stringify([trials, best?.id, t.devMetric]);
    if (key === this.key) return;
    this.key = key;
    replaceChildren(this.list, trials.map((x) => trialItem(x, x.id === best?.id, t.devMetric ?? 'per')));
  }
}

function settingsText(t: TrialRecord): string {
  const entries = Object.entries(t.values);
  if (!entries.length) return `the ${t.group} preset`;
  return entries.map(([k, v]) => `${k.replace(/^(model|train)\./, '')} ${typeof v === 'number' ? f.num(v) : String(v)}`).join(' · ');
}

function trialItem(t: TrialRecord, isBest: boolean, devMetric: 'bleu' | 'per'): HTMLLIElement {
  return h('li', { class: `trial trial-${t.status}${isBest ? ' trial-best' : ''}`, 'data-trial': t.id, 'data-status': t.status },
    h('div', { class: 'trial-head' },
      h('span', { class: 'trial-id' }, t.id),
      isBest ? h('span', { class: 'best-mark', title: 'best so far' }, icon('star-full'), h('span', { class: 'visually-hidden' }, ' (best)')) : null,
      h('span', { class: `badge ${t.status === 'running' ? '' : 'badge-muted'}` }, STATUS[t.status]),
      h('span', { class: 'trial-round muted' }, `round ${t.round + 1}`)),
    h('div', { class: 'trial-settings' }, settingsText(t)),
    h('div', { class: 'trial-result' },
      `${f.int(t.steps)} steps · `, h('span', { class: 'model-metric' }, metricText(devMetric, t.bestDev)), ` · ${f.clock(t.elapsedMs)}`,
      t.error ? h('span', { class: 'field-error' }, ` · ${t.error}`) : null));
}
