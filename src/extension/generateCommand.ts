/**
 * Generate Text: continues the selection (or the current line up to the cursor) with the active
 * model, inserting text as the worker produces it, with the sampling settings. Cancellable from
 * the progress notification.
 */
import * as vscode from 'vscode';
import * as settings from './settings';
import { withEol } from './textLines';
import { WorkerError } from './workerClient';
import type { Services } from './services';

export interface GenerateResult { text: string; cancelled: boolean; ms: number }

export async function generateText(s: Services, editor = vscode.window.activeTextEditor): Promise<GenerateResult | undefined> {
  if (!editor) {
    void vscode.window.showInformationMessage('Seq2Seq: open a file and put the cursor where the text should continue.');
    return undefined;
  }
  const model = await s.requireActiveModel();
  if (!model) return undefined;
  const doc = editor.document;
  const sel = editor.selection;
  const promptRange = sel.isEmpty ? new vscode.Range(sel.active.line, 0, sel.active.line, sel.active.character) : new vscode.Range(sel.start, sel.end);
  const prompt = doc.getText(promptRange);
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const { decode, maxTokens } = settings.generateOptions();

  // Chunks are inserted one after another at the end of what was inserted so far.
  let offset = doc.offsetAt(promptRange.end);
  let edits: Thenable<unknown> = Promise.resolve();
  let first = true;
  let inserted = '';
  const insert = (chunk: string) => {
    const text = withEol(chunk, eol);
    const undoStopBefore = first;
    first = false;
    edits = edits.then(async () => {
      if (doc.isClosed) return;
      const at = doc.positionAt(offset);
      // While the editor is open the chunks join one undo step; after a tab switch closed it,
      // they go straight to the document.
      let ok = false;
      try {
        ok = await editor.edit((eb) => eb.insert(at, text), { undoStopBefore, undoStopAfter: false });
      } catch {
        const edit = new vscode.WorkspaceEdit();
        edit.insert(doc.uri, at, text);
        ok = await vscode.workspace.applyEdit(edit);
      }
      if (ok) { offset += text.length; inserted += text; }
    });
  };

  const controller = new AbortController();
  const started = Date.now();
  s.statusBar.setActivity('Generating…');
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Seq2Seq: generating with "${model.name}"`, cancellable: true },
      async (_progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        await s.workers.run.request({ type: 'generate', modelDir: model.dir, prompt, decode, maxTokens }, { onChunk: insert }, controller.signal);
      },
    );
    await edits;
    return { text: inserted, cancelled: false, ms: Date.now() - started };
  } catch (err) {
    await edits;
    if (controller.signal.aborted || (err instanceof WorkerError && err.code === 'cancelled')) {
      return { text: inserted, cancelled: true, ms: Date.now() - started };
    }
    throw err;
  } finally {
    s.statusBar.setActivity(null);
  }
}
