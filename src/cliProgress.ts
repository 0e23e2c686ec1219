/** The CLI's view of a training run: a progress bar on a terminal, plain lines otherwise. */
import type { TrainEvent } from './model/training/events';
import { describeArchitecture } from './model/config';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export class ProgressPrinter {
  private lastPlain = 0;
  private epochs: number | null = null;
  /** Training on text (generation windows): samples are shown as quoted excerpts. */
  private text = false;
  constructor(private readonly out: NodeJS.WriteStream, private readonly quiet: boolean) {}

  private line(text: string): void {
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${text}`);
    else this.out.write(text + '\n');
  }

  onEvent(e: TrainEvent): void {
    if (this.quiet && e.kind !== 'end') return;
    switch (e.kind) {
      case 'start': {
        // A time-boxed run has no epoch count to show (its epoch limit is only a ceiling).
        this.epochs = e.settings.train.minutes > 0 ? null : e.settings.train.epochs;
        this.text = e.data.format === 'text';
        const m = e.settings.model;
        const d = e.data;
        const data = d.format === 'text'
          ? `${d.pairs} training windows from ${d.files ?? '?'} files (${d.skipped} binary or not UTF-8 skipped, ${d.ignored ?? 0} ignored by .gitignore) · ${e.dev.pairs} dev windows`
          : `${d.pairs} training pairs (${d.skipped} lines skipped) · ${e.dev.pairs} dev`;
        this.out.write(`backend ${e.backend}${(e.threads ?? 1) > 1 ? ` × ${e.threads} threads` : ''} · ${data} · ` +
          `vocab ${e.sourceVocab}/${e.targetVocab} · ${describeArchitecture(m)} · ` +
          `${(e.parameters / 1e6).toFixed(2)}M parameters${e.resumedFrom ? ` · resumed at epoch ${e.resumedFrom.epoch + 1}, step ${e.resumedFrom.step}` : ''}\n`);
        for (const s of d.skippedLines.slice(0, 5)) this.out.write(d.format === 'text' ? `  skipped ${s.reason}\n` : `  skipped ${d.file}:${s.line}: ${s.reason}\n`);
        if (d.skipped > 5) this.out.write(`  ... and ${d.skipped - 5} more skipped ${d.format === 'text' ? 'files' : 'lines'}\n`);
        return;
      }
      case 'step': {
        if (!this.out.isTTY && Date.now() - this.lastPlain < 5000) return;
        this.lastPlain = Date.now();
        const frac = e.stepInEpoch / e.stepsPerEpoch;
        const width = 20;
        const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
        this.line(`epoch ${e.epoch}${this.epochs === null ? '' : `/${this.epochs}`} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% · step ${e.step} · loss ${e.loss.toFixed(3)} · acc ${e.accuracy.toFixed(1)}% · ` +
          `${Math.round(e.targetTokensPerSec)} tok/s · ${formatDuration(e.elapsedMs)} elapsed · ETA ${formatDuration(e.etaMs)}`);
        return;
      }
      case 'epoch': {
        if (this.out.isTTY) this.out.write('\n');
        const d = e.dev;
        this.out.write(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)} acc ${e.trainAccuracy.toFixed(1)}%` +
          (d ? ` · dev loss ${d.loss.toFixed(3)} acc ${d.accuracy.toFixed(1)}% BLEU ${d.bleu.toFixed(1)} chrF ${d.chrf.toFixed(1)} PER ${d.per.toFixed(1)}% WER ${d.wer.toFixed(1)}%` : '') +
          `${e.isBest ? ' · best, saved' : ''} · lr ${e.lr.toPrecision(2)}\n`);
        // Text windows are long and span lines: their end, and what follows, on one line each.
        const show = (t: string, tail = false) => (this.text ? JSON.stringify(tail ? t.slice(-40) : t.slice(0, 60)) : t);
        for (const s of e.samples.slice(0, 3)) this.out.write(`    ${show(s.source, true)} → ${show(s.prediction)}   (ref: ${show(s.reference)})\n`);
        return;
      }
      case 'end':
        this.out.write(`${this.out.isTTY ? '\n' : ''}finished (${e.reason}) after ${e.epochs} epochs, ${e.steps} steps, ${formatDuration(e.elapsedMs)}; ` +
          `${Math.round(e.samplesPerSec)} samples/s, ${Math.round(e.targetTokensPerSec)} target tokens/s. Model: ${e.modelDir}\n`);
        if (e.error) this.out.write(`error: ${e.error}\n`);
        if (e.averaged) {
          const a = e.averaged;
          const m = (d: typeof a.dev) => (d ? `PER ${d.per.toFixed(2)}% WER ${d.wer.toFixed(2)}% BLEU ${d.bleu.toFixed(2)} chrF ${d.chrf.toFixed(2)}` : 'no dev score');
          this.out.write(`averaged the last ${a.checkpoints} checkpoints: ${m(a.dev)} against the best epoch's ${m(a.bestBefore)}: ${a.kept ? 'better, saved as the model' : 'not better, the best epoch stays the model'}\n`);
        }
    }
  }
}
