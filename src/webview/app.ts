/**
 * The panel: holds the one PanelModel, turns messages from the extension and the user's actions
 * into changes of it, and redraws the affected views once per animation frame (the curves at most
 * every CHART_INTERVAL_MS), so a fast run cannot flood the page with layout work.
 */
import { DEFAULT_SETTINGS, type DataProfile, type TaskKind } from '../model/config';
import type { TrainEvent } from '../model/training/events';
import type { TuneEvent } from '../model/training/tuneEvents';
import { SAMPLE_DATA, type ExtensionToWebview, type PanelState, type WebviewToExtension } from '../protocol/webview';
import { h } from './dom';
import { basename } from './format';
import { applyPreset, FIELDS, formOverrides, formProblems, newDraft, problemCount, suggestName, type FieldKey, type PresetChoice } from './formModel';
import { parseExtensionMessage } from '../protocol/toWebview';
import type { PanelModel } from './panelModel';
import { Run } from './run';
import { readSaved, ThrottledSaver, type SavedState } from './saved';
import { onThemeChange } from './theme';
import { CompareView } from './views/compare';
import { CurvesView } from './views/curves';
import { FormView } from './views/form';
import { ModelsView } from './views/models';
import { NowView } from './views/now';
import { SamplesView } from './views/samples';
import { Section } from './views/section';
import { Toolbar, canResume } from './views/toolbar';
import { TryView } from './views/tryIt';
import { TuneView } from './views/tune';
import { TuneRun } from './tuneRun';
import { loadState, post, saveState } from './vscodeApi';

export const CHART_INTERVAL_MS = 250;

type ViewName = 'toolbar' | 'now' | 'curves' | 'samples' | 'form' | 'models' | 'try' | 'compare' | 'tune';
const ALL: ViewName[] = ['toolbar', 'now', 'curves', 'samples', 'form', 'models', 'try', 'compare', 'tune'];
const RUN_VIEWS: ViewName[] = ['toolbar', 'now', 'curves', 'samples', 'form', 'models'];

function emptyPanel(): PanelState {
  return { training: null, models: [], activeModel: null, backend: null, defaults: DEFAULT_SETTINGS, defaultPreset: 'balanced', dataFile: null, dataProfile: null };
}

export class App {
  readonly model: PanelModel;
  private readonly toolbar: Toolbar;
  private readonly now = new NowView();
  private readonly curves = new CurvesView();
  private readonly samples = new SamplesView();
  private readonly form: FormView;
  private readonly models: ModelsView;
  private readonly tryView: TryView;
  private readonly compare: CompareView;
  private readonly tuneView: TuneView;
  private readonly sections: Record<string, Section> = {};
  private readonly dirty = new Set<ViewName>();
  private frame: number | null = null;
  private chartTimer: ReturnType<typeof setTimeout> | null = null;
  private lastChartDraw = 0;
  private pendingName: string | null = null;
  /** Whether the user has opened or closed Setup themselves (then we leave it alone). */
  private setupToggledByUser: boolean;
  private readonly saver: ThrottledSaver;

  constructor(root: HTMLElement) {
    const saved = readSaved(loadState());
    const panel = saved?.panel ?? emptyPanel();
    this.model = {
      panel, run: null, live: false, pending: null, error: null,
      draft: saved?.draft ?? newDraft(panel.defaults, panel.defaultPreset, panel.dataFile, panel.dataProfile ?? null),
      profile: panel.dataProfile ?? null, task: 'pairs', showAllProblems: false,
      tryIt: { text: saved?.tryText ?? '', nBest: 3, pending: false, result: null },
      tune: null, tuneLive: false, tuneStopping: false,
      compare: { selected: saved?.compare.selected ?? [], runs: null, pending: false, failed: false, axis: saved?.compare.axis ?? 'step', onlyDifferences: saved?.compare.onlyDifferences ?? false },
    };
    this.restoreRun(panel);
    this.restoreTune(panel);
    this.setupToggledByUser = saved?.open.setup !== undefined;

    this.toolbar = new Toolbar({ start: () => this.start(), stop: () => this.stop(), resume: () => this.resume(), dismissError: () => this.setError(null) });
    this.form = new FormView({
      pickData: () => this.send({ type: 'pick-data-file' }),
      useSample: () => this.setDataFile(SAMPLE_DATA, null, 'pairs'),
      setName: (name) => this.editDraft(() => { this.model.draft.name = name; this.model.draft.nameEdited = true; }),
      setPreset: (p) => this.setPreset(p),
      setField: (k, v) => this.setField(k, v),
    });
    this.models = new ModelsView((msg) => this.send(msg), (name) => this.resume(name), (name, on) => this.toggleCompare(name, on));
    this.tuneView = new TuneView(() => { this.send({ type: 'stop-tuning' }); this.model.tuneStopping = true; this.changed(['tune']); });
    this.compare = new CompareView({
      setAxis: (axis) => { this.model.compare.axis = axis; this.changed(['compare']); this.saver.soon(); },
      setOnlyDifferences: (on) => { this.model.compare.onlyDifferences = on; this.changed(['compare']); this.saver.soon(); },
    });
    this.tryView = new TryView({
      setText: (t) => { this.model.tryIt.text = t; this.changed(['try']); this.saver.soon(); },
      setNBest: (n) => { this.model.tryIt.nBest = n; this.changed(['try']); },
      translate: () => this.translate(),
    });

    const open = saved?.open ?? {};
    const section = (id: string, title: string, iconName: string, content: HTMLElement, defaultOpen = true) => {
      const s = new Section(id, title, iconName, open[id] ?? defaultOpen, () => {
        this.saver.soon();
        if (s.open && (id === 'curves' || id === 'samples' || id === 'compare')) this.changed([id]);
      });
      if (id === 'setup') s.el.querySelector('summary')!.addEventListener('click', () => { this.setupToggledByUser = true; });
      s.body.append(content);
      this.sections[id] = s;
      return s.el;
    };
    root.classList.add('panel');
    root.append(
      this.toolbar.el,
      h('main', { class: 'sections' },
        section('setup', 'Setup', 'settings-gear', this.form.el, !this.model.run?.start || !!this.model.run.end),
        section('now', 'Now', 'pulse', this.now.el),
        section('tune', 'Tune', 'rocket', this.tuneView.el),
        section('curves', 'Curves', 'graph-line', this.curves.el),
        section('samples', 'Samples', 'list-flat', this.samples.el),
        section('models', 'Models', 'package', this.models.el),
        section('compare', 'Compare', 'diff', this.compare.el),
        section('try', 'Try it', 'beaker', this.tryView.el)));

    this.saver = new ThrottledSaver(() => this.snapshot(), saveState);
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    // VS Code may drop a hidden webview at any moment: keep what the throttle has not saved yet.
    window.addEventListener('pagehide', () => this.saver.now());
    document.addEventListener('visibilitychange', () => { if (document.hidden) this.saver.now(); });
    onThemeChange(() => this.curves.retheme());
    // Elapsed time and ETA tick between step events (which may be seconds apart on a slow backend).
    setInterval(() => {
      if (this.model.live && this.model.run?.start) this.changed(['now', 'toolbar']);
      if (this.model.tuneLive) this.changed(['tune']);
    }, 1000);
    this.changed(ALL);
    this.send({ type: 'ready' });
  }

  // ---- messages from the extension ----

  receive(data: unknown): void {
    const msg = parseExtensionMessage(data);
    if (!msg) { console.warn('[seq2seq] ignored a malformed message', data); return; }
    this.handle(msg);
  }

  private handle(msg: ExtensionToWebview): void {
    const m = this.model;
    switch (msg.type) {
      case 'state': {
        const prevData = m.draft.dataFile;
        m.panel = msg.state;
        // A state sent between our start request and the run's start event does not cancel the wait.
        // Nor does it undo a requested stop while the run is still going.
        const running = msg.state.training?.running ?? false;
        const keep = ((m.pending === 'start' || m.pending === 'resume') && !running) || (m.pending === 'stop' && running);
        if (!keep) { m.pending = null; this.pendingName = null; }
        this.restoreRun(msg.state);
        this.restoreTune(msg.state);
        if (m.live && !this.setupToggledByUser && this.sections.setup.open) this.sections.setup.open = false;
        if (!m.draft.edited) {
          m.draft = newDraft(msg.state.defaults, msg.state.defaultPreset, msg.state.dataFile ?? prevData, msg.state.dataProfile ?? null);
        } else if (!m.draft.dataFile && msg.state.dataFile) {
          m.draft.dataFile = msg.state.dataFile;
        }
        m.profile = msg.state.dataProfile && m.draft.dataFile === msg.state.dataFile ? msg.state.dataProfile : m.profile;
        this.modelsChanged(msg.state.models.map((x) => x.name), true);
        this.changed(ALL);
        this.saver.now();
        break;
      }
      case 'train-event':
        this.onTrainEvent(msg.event);
        break;
      case 'tune-event': {
        const ev = msg.event;
        if (ev.kind === 'tune-start') {
          m.tune = new TuneRun(basename(ev.dir));
          m.tuneLive = true;
          m.tuneStopping = false;
          this.sections.tune.open = true;
        }
        // Events of a tune whose start this panel missed: the extension's next state has all of it.
        if (!m.tune) break;
        m.tune.apply(ev);
        if (ev.kind === 'tune-end') { m.tuneLive = false; m.tuneStopping = false; this.saver.now(); } else this.saver.soon();
        this.changed(['tune']);
        break;
      }
      case 'models':
        m.panel = { ...m.panel, models: msg.models, activeModel: msg.activeModel };
        this.modelsChanged(msg.models.map((x) => x.name), false);
        this.changed(['models', 'toolbar', 'try', 'compare']);
        this.saver.soon();
        break;
      case 'data-file':
        this.setDataFile(msg.path, msg.profile ?? null, msg.task ?? 'pairs');
        break;
      case 'try-result':
        m.tryIt.pending = false;
        m.tryIt.result = { text: msg.text, hypotheses: msg.hypotheses };
        this.changed(['try']);
        break;
      case 'comparison':
        m.compare.pending = false;
        m.compare.failed = false;
        m.compare.runs = msg.runs;
        this.changed(['compare']);
        break;
      case 'error':
        this.setError(msg.message);
        if (m.pending === 'start' || m.pending === 'resume') m.pending = null;
        m.tryIt.pending = false;
        if (m.compare.pending) { m.compare.pending = false; m.compare.failed = true; }
        this.changed(['toolbar', 'try', 'form', 'compare']);
        break;
    }
  }

  private onTrainEvent(ev: TrainEvent): void {
    const m = this.model;
    if (ev.kind === 'start') {
      const sameRun = m.run && (!m.run.start || m.run.start.modelDir === ev.modelDir);
      const name = this.pendingName ?? (sameRun ? m.run!.modelName : basename(ev.modelDir));
      m.run = new Run(name, ev);
      m.live = true;
      m.pending = null;
      m.error = null;
      this.pendingName = null;
      if (this.sections.setup?.open) this.sections.setup.open = false;
      this.changed(ALL);
      this.saver.now();
      return;
    }
    if (!m.run) return;
    if (!m.run.apply(ev)) return;
    if (ev.kind === 'end') {
      m.live = false;
      m.pending = null;
      this.changed(ALL);
      this.saver.now();
      return;
    }
    this.changed(RUN_VIEWS.filter((v) => v !== 'form' && v !== 'models' && (ev.kind === 'epoch' || v !== 'samples')));
    if (ev.kind === 'epoch') this.saver.now(); else this.saver.soon();
  }

  private restoreTune(panel: PanelState): void {
    const t = panel.tune;
    if (!t) { this.model.tune = null; this.model.tuneLive = false; return; }
    const run = new TuneRun(t.name);
    for (const ev of t.events) run.apply(ev);
    this.model.tune = run.start ? run : null;
    this.model.tuneLive = t.running && !run.end;
    if (!this.model.tuneLive) this.model.tuneStopping = false;
  }

  private restoreRun(panel: PanelState): void {
    const t = panel.training;
    if (!t) { this.model.run = null; this.model.live = false; return; }
    const run = new Run(t.modelName);
    for (const ev of t.events) run.apply(ev);
    this.model.live = t.running && !run.end;
    this.model.run = run.start || run.end || this.model.live ? run : null;
  }

  // ---- the user's actions ----

  private send(msg: WebviewToExtension): void { post(msg); }

  private start(): void {
    const m = this.model;
    const problems = formProblems(m.panel.defaults, m.draft, m.profile, m.task);
    const n = problemCount(problems);
    if (n > 0) {
      m.showAllProblems = true;
      this.toolbar.note = `Fix ${n} setting${n === 1 ? '' : 's'} in Setup to start.`;
      this.sections.setup.open = true;
      this.renderNow(['form', 'toolbar']);
      this.form.firstInvalid()?.focus();
      return;
    }
    m.showAllProblems = false;
    this.toolbar.note = '';
    m.error = null;
    m.pending = 'start';
    this.pendingName = m.draft.name.trim();
    this.send({ type: 'start-training', dataFile: m.draft.dataFile!, name: m.draft.name.trim(), preset: m.draft.preset, settings: formOverrides(m.draft) });
    this.changed(['toolbar', 'form']);
  }

  private stop(): void {
    this.send({ type: 'stop-training' });
    this.model.pending = 'stop';
    this.changed(['toolbar']);
  }

  private resume(model?: string): void {
    const name = model ?? (canResume(this.model) ? this.model.run?.modelName : undefined);
    if (!name) return;
    this.send({ type: 'resume-training', model: name });
    this.model.pending = 'resume';
    this.model.error = null;
    this.pendingName = name;
    this.changed(['toolbar', 'form', 'models']);
  }

  private translate(): void {
    const t = this.model.tryIt;
    const text = t.text.trim();
    if (!text || !this.model.panel.activeModel || t.pending) return;
    t.pending = true;
    this.send({ type: 'try-translate', text: text.slice(0, 10000), nBest: t.nBest });
    this.changed(['try']);
  }

  private toggleCompare(name: string, on: boolean): void {
    const c = this.model.compare;
    c.selected = on ? (c.selected.includes(name) ? c.selected : [...c.selected, name]) : c.selected.filter((n) => n !== name);
    this.requestComparison();
    if (on && c.selected.length >= 2) this.sections.compare.open = true;
    this.changed(['models', 'compare']);
    this.saver.soon();
  }

  /** Asks the extension to read the ticked models (two or more); the view waits for the answer. */
  private requestComparison(): void {
    const c = this.model.compare;
    c.failed = false;
    if (c.selected.length < 2) { c.runs = null; c.pending = false; return; }
    c.pending = true;
    this.send({ type: 'compare-models', models: [...c.selected] });
  }

  /**
   * The model list changed: models gone from it leave the comparison; the others are read again
   * (training may have added epochs). `fresh`: the panel was just (re)shown, nothing is drawn yet.
   */
  private modelsChanged(names: string[], fresh: boolean): void {
    const c = this.model.compare;
    const kept = c.selected.filter((n) => names.includes(n));
    const changed = kept.length !== c.selected.length;
    c.selected = kept;
    if (fresh || changed || c.selected.length >= 2) this.requestComparison();
  }

  private setDataFile(path: string, profile: DataProfile | null, task: TaskKind): void {
    const m = this.model;
    this.editDraft(() => {
      m.draft.dataFile = path;
      m.profile = profile;
      m.task = task;
      if (!m.draft.nameEdited) m.draft.name = suggestName(path);
      m.draft.values = applyPreset(m.panel.defaults, m.draft, m.draft.preset, profile, task);
    });
  }

  private setPreset(p: PresetChoice): void {
    const m = this.model;
    this.editDraft(() => {
      m.draft.values = applyPreset(m.panel.defaults, m.draft, p, m.profile, m.task);
      m.draft.preset = p;
    });
  }

  private setField(key: FieldKey, raw: string): void {
    const m = this.model;
    this.editDraft(() => {
      m.draft.values[key] = raw;
      if (m.draft.preset !== 'custom' && FIELDS.find((f) => f.key === key)?.preset) m.draft.preset = 'custom';
    });
  }

  private editDraft(change: () => void): void {
    change();
    this.model.draft.edited = true;
    if (this.toolbar.note && problemCount(formProblems(this.model.panel.defaults, this.model.draft, this.model.profile, this.model.task)) === 0) this.toolbar.note = '';
    this.changed(['form', 'toolbar']);
    this.saver.soon();
  }

  private setError(message: string | null): void {
    this.model.error = message;
    this.changed(['toolbar']);
  }

  // ---- drawing and saving ----

  private changed(views: ViewName[]): void {
    for (const v of views) this.dirty.add(v);
    if (this.frame === null) this.frame = requestAnimationFrame(() => { this.frame = null; this.renderNow(); });
  }

  private renderNow(only?: ViewName[]): void {
    const todo = only ?? Array.from(this.dirty);
    for (const v of todo) {
      if (v === 'curves') {
        const wait = this.lastChartDraw + CHART_INTERVAL_MS - performance.now();
        if (wait > 0) {
          if (this.chartTimer === null) this.chartTimer = setTimeout(() => { this.chartTimer = null; this.changed([]); }, wait);
          continue;
        }
        this.lastChartDraw = performance.now();
      }
      this.dirty.delete(v);
      this.draw(v);
    }
    if (this.dirty.size > 0 && this.frame === null && this.chartTimer === null) this.changed([]);
  }

  private draw(v: ViewName): void {
    const m = this.model;
    // Closed sections are drawn when they are opened.
    if ((v === 'curves' || v === 'samples' || v === 'compare') && this.sections[v] && !this.sections[v].open) return;
    switch (v) {
      case 'toolbar': this.toolbar.render(m); break;
      case 'now': this.now.render(m); break;
      case 'curves': this.curves.render(m); break;
      case 'samples': this.samples.render(m); break;
      case 'form': this.form.render(m); break;
      case 'models': this.models.render(m); break;
      case 'try': this.tryView.render(m); break;
      case 'compare': this.compare.render(m); break;
      case 'tune': this.tuneView.render(m); break;
    }
  }

  private snapshot(): SavedState {
    const m = this.model;
    const training = m.run ? { running: m.live, modelName: m.run.modelName, events: m.run.events() } : null;
    const open: Record<string, boolean> = {};
    for (const [id, s] of Object.entries(this.sections)) open[id] = s.open;
    const { selected, axis, onlyDifferences } = m.compare;
    const tune = m.tune?.start ? { running: m.tuneLive, name: m.tune.name, events: tuneEvents(m.tune) } : null;
    return { v: 1, panel: { ...m.panel, training, tune }, draft: m.draft, open, tryText: m.tryIt.text, compare: { selected, axis, onlyDifferences } };
  }
}

/** What replays a tune: its start, the latest record of each trial, the rounds, the end. */
function tuneEvents(t: TuneRun): TuneEvent[] {
  const out: TuneEvent[] = [];
  if (t.start) out.push(t.start);
  for (const trial of t.list()) out.push({ kind: 'trial', change: 'epoch', trial, devMetric: t.devMetric, elapsedMs: 0, remainingMs: t.remainingMs });
  t.promoted.forEach((promoted, round) => { if (promoted) out.push({ kind: 'round', round, promoted }); });
  if (t.end) out.push(t.end);
  return out;
}
