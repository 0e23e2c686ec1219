/**
 * Generate Text: continues the text before the cursor (the preceding lines too, as much as the
 * model's window takes; or the selection, when there is one) with the active model, inserting text
 * at the cursor token by token as the worker produces it, with the sampling settings and the
 * generate.* stop rules. Cancellable from the progress notification.
 */
import * as vscode from 'vscode';
import * as settings from './settings';
import { MAX_PROMPT_CHARS } from '../model/decoding/decodeOptions';
import { withEol } from './textLines';
import { WorkerError } from './workerClient';
import type { Services } from './services';

export interface GenerateResult { text: string; cancelled: boolean; ms: number }

/** Characters before the cursor sent as the prompt (a window of 1,000 subword tokens is about 4,000). */
const PROMPT_CHARS = Math.min(MAX_PROMPT_CHARS, 20_000);

export async function generateText(s: Services, editor = vscode.window.activeTextEditor): Promise<GenerateResult | undefined> {
  if (!editor) {
    void vscode.window.showInformationMessage('Seq2Seq: open a file and put the cursor where the text should continue.');
    return undefined;
  }
  const model = await s.requireActiveModel();
  if (!model) return undefined;
  const doc = editor.document;
  const sel = editor.selection;
  const end = sel.isEmpty ? sel.active : sel.end;
  const endOffset = doc.offsetAt(end);
  // The model sees the last window of tokens of this; PROMPT_CHARS is plenty for any window.
  const startOffset = sel.isEmpty ? Math.max(0, endOffset - PROMPT_CHARS) : doc.offsetAt(sel.start);
  const promptRange = new vscode.Range(doc.positionAt(startOffset), end);
  const prompt = doc.getText(promptRange).replace(/\r\n/g, '\n');
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const { decode, limits } = settings.generateOptions();

  // Text is inserted at the end of what was inserted so far. Tokens arrive faster than edits
  // apply: what arrives during an edit waits and goes in with the next one, so the editor is never
  // behind by more than one edit, and after Cancel nothing more goes in.
  let offset = doc.offsetAt(promptRange.end);
  let pending = '';
  let pumping: Promise<void> | null = null;
  let stopped = false;
  let first = true;
  let inserted = '';
  const applyOne = async (text: string) => {
    if (doc.isClosed) return;
    const at = doc.positionAt(offset);
    const undoStopBefore = first;
    first = false;
    // While the editor is open the edits join one undo step; after a tab switch closed it,
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
  };
  const pump = async () => {
    while (pending && !stopped) {
      const text = withEol(pending, eol);
      pending = '';
      await applyOne(text);
    }
    pumping = null;
  };
  const insert = (chunk: string) => {
    if (stopped) return;
    pending += chunk;
    pumping ??= pump();
  };
  const settled = async () => { while (pumping) await pumping; };

  const controller = new AbortController();
  const started = Date.now();
  s.statusBar.setActivity('Generating…');
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Seq2Seq: generating with "${model.name}"`, cancellable: true },
      async (_progress, token) => {
        token.onCancellationRequested(() => { stopped = true; controller.abort(); });
        await s.workers.run.request({ type: 'generate', modelDir: model.dir, prompt, atStart: startOffset === 0, decode, ...limits }, { onChunk: insert }, controller.signal);
      },
    );
    await settled();
    return { text: inserted, cancelled: false, ms: Date.now() - started };
  } catch (err) {
    stopped = true;
    await settled();
    if (controller.signal.aborted || (err instanceof WorkerError && err.code === 'cancelled')) {
      return { text: inserted, cancelled: true, ms: Date.now() - started };
    }
    throw err;
  } finally {
    s.statusBar.setActivity(null);
  }
}
