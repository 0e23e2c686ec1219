/**
 * The data files the user chose for the training panel. The panel is untrusted web content, so it
 * does not send paths of its own: it refers to one of these (or to the bundled sample), and the
 * extension trains only on what the user picked. Kept in global state, newest first, so a panel
 * restored after a reload can still start on the file it shows.
 */
import type * as vscode from 'vscode';
import { SAMPLE_DATA } from '../protocol/webview';

const CHOICES_KEY = 'seq2seq.chosenDataFiles';
const MAX_CHOICES = 20;

export class DataFileChoices {
  constructor(private readonly state: vscode.Memento, private readonly sampleFile: () => string) {}

  /** Remembers a file the user picked (file dialog, editor, Explorer). */
  async add(path: string): Promise<void> {
    await this.state.update(CHOICES_KEY, [path, ...this.all().filter((p) => p !== path)].slice(0, MAX_CHOICES));
  }

  /** Whether the panel may refer to `ref`: the sample, or a file the user picked. */
  has(ref: string): boolean {
    return ref === SAMPLE_DATA || this.all().includes(ref);
  }

  /** The file a reference stands for; throws for anything the user did not choose. */
  resolve(ref: string): string {
    if (ref === SAMPLE_DATA) return this.sampleFile();
    if (!this.all().includes(ref)) throw new Error(`the data file ${ref} was not chosen in VS Code; choose it with "Choose a file…"`);
    return ref;
  }

  private all(): string[] {
    const v = this.state.get<unknown>(CHOICES_KEY);
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
  }
}
