/**
 * Translate Selection: every selected line (across all cursors) is one input, all decoded as one
 * batch by the run worker; the result replaces the selections, goes below them, or opens in a new
 * document (setting `seq2seq.translation.output`). Replacing is one edit, so one undo restores the
 * original. Large selections show a cancellable progress notification.
 */
import * as vscode from 'vscode';
import type { Hypothesis } from '../model/decoding/decodeOptions';
import * as settings from './settings';
import { splitSelections } from './textLines';
import { WorkerError } from './workerClient';
import type { Services } from './services';

export interface TranslateResult { inputs: number; placement: settings.OutputPlacement | 'cancelled' | 'nothing'; ms: number }

export async function translateSelection(s: Services, editor = vscode.window.activeTextEditor): Promise<TranslateResult | undefined> {
  if (!editor) {
    void vscode.window.showInformationMessage('Seq2Seq: open a file and select the lines to translate.');
    return undefined;
  }
  const model = await s.requireActiveModel();
  if (!model) return undefined;

  const doc = editor.document;
  const version = doc.version;
  // Empty selections stand for their whole line; selections are taken top to bottom.
  const ranges = [...editor.selections]
    .map((sel) => (sel.isEmpty ? doc.lineAt(sel.active.line).range : new vscode.Range(sel.start, sel.end)))
    .sort((a, b) => a.start.compareTo(b.start))
    .filter((r, i, all) => i === 0 || !r.intersection(all[i - 1]!) || r.isEmpty);
  const lines = splitSelections(ranges.map((r) => doc.getText(r)));
  if (!lines.inputs.length) {
    void vscode.window.showInformationMessage('Seq2Seq: the selection has no text to translate.');
    return { inputs: 0, placement: 'nothing', ms: 0 };
  }

  const started = Date.now();
  const n = lines.inputs.length;
  const outputs = await runWithProgress(s, n, `Translating ${n} line${n === 1 ? '' : 's'} with "${model.name}"`, (signal, onProgress) =>
    s.workers.run.request({ type: 'translate', modelDir: model.dir, inputs: lines.inputs, decode: settings.decodeOptions() }, { onProgress }, signal),
  );
  if (!outputs) return { inputs: n, placement: 'cancelled', ms: Date.now() - started };
  const texts = lines.rebuild(outputs.outputs.map((h: Hypothesis[]) => h[0]?.text ?? ''), doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n');

  let placement = settings.outputPlacement();
  if (placement !== 'newDocument' && (doc.version !== version || doc.isClosed)) {
    void vscode.window.showWarningMessage('Seq2Seq: the document changed while translating, so the translation opens in a new document.');
    placement = 'newDocument';
  }
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  if (placement === 'newDocument') {
    const out = await vscode.workspace.openTextDocument({ content: texts.join(eol), language: 'plaintext' });
    await vscode.window.showTextDocument(out, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  } else {
    // A WorkspaceEdit on the document, not the editor: the user may have switched tabs meanwhile,
    // which closes the TextEditor but not the document. One edit is one undo step.
    const edit = new vscode.WorkspaceEdit();
    ranges.forEach((r, i) => {
      if (placement === 'replace') {
        edit.replace(doc.uri, r, texts[i]!);
      } else {
        // Below the selection's last line (a selection ending at column 0 ends on the line before).
        const lastLine = r.end.character === 0 && r.end.line > r.start.line ? r.end.line - 1 : r.end.line;
        edit.insert(doc.uri, doc.lineAt(lastLine).range.end, eol + texts[i]!);
      }
    });
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code refused the edit');
  }
  const ms = Date.now() - started;
  s.log.info(`translated ${n} lines with "${model.name}" in ${ms} ms (${placement})`);
  return { inputs: n, placement, ms };
}

/**
 * Runs a worker request with progress: a cancellable notification for many lines, the status bar
 * for a few. Returns undefined when the user cancelled.
 */
async function runWithProgress<T>(
  s: Services, lines: number, title: string,
  work: (signal: AbortSignal, onProgress: (done: number, total: number) => void) => Promise<T>,
): Promise<T | undefined> {
  const controller = new AbortController();
  const inNotification = () => vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Seq2Seq: ${title}`, cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      s.statusBar.setActivity('Translating 0%');
      return work(controller.signal, (done, total) => {
        const pct = Math.floor((100 * done) / Math.max(1, total));
        if (pct <= reported) return;
        progress.report({ increment: pct - reported, message: `${done} / ${total} lines` });
        reported = pct;
        s.statusBar.setActivity(`Translating ${pct}%`);
      });
    },
  );
  const inStatusBar = () => {
    s.statusBar.setActivity('Translating…');
    return work(controller.signal, () => undefined);
  };
  try {
    const result = await (lines > settings.progressNotificationLines() ? inNotification() : inStatusBar());
    // Cancelled just as the result arrived: the user asked for no change, so none is made.
    return controller.signal.aborted ? undefined : result;
  } catch (err) {
    if (controller.signal.aborted || (err instanceof WorkerError && err.code === 'cancelled')) return undefined;
    throw err;
  } finally {
    if (controller.signal.aborted) s.log.info('translation cancelled');
    s.statusBar.setActivity(null);
  }
}
