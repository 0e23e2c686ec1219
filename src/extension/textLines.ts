/**
 * Pure text handling for Translate Selection: each selected line is one input; indentation and
 * blank lines are kept as they are and only the words in between are translated.
 * No `vscode` import, so it is unit-tested directly.
 */

interface LineSlot { indent: string; trailing: string; input: number | null }

export interface SelectionLines {
  /** Inputs for the model, in order, across all selections. */
  inputs: string[];
  /** Rebuilds each selection's text from the model's outputs (one per input). */
  rebuild(outputs: string[], eol: string): string[];
}

export function splitSelections(texts: string[]): SelectionLines {
  const inputs: string[] = [];
  const slots: LineSlot[][] = texts.map((text) =>
    text.split(/\r?\n/).map((line) => {
      const m = /^(\s*)(.*?)(\s*)$/s.exec(line)!;
      if (!m[2]) return { indent: line, trailing: '', input: null };
      inputs.push(m[2]);
      return { indent: m[1]!, trailing: m[3]!, input: inputs.length - 1 };
    }),
  );
  return {
    inputs,
    rebuild(outputs, eol) {
      if (outputs.length !== inputs.length) throw new Error(`expected ${inputs.length} outputs, got ${outputs.length}`);
      return slots.map((lines) =>
        lines.map((l) => (l.input === null ? l.indent : `${l.indent}${outputs[l.input]}${l.trailing}`)).join(eol),
      );
    },
  };
}

/** Normalises line ends in generated text to the document's. */
export function withEol(text: string, eol: string): string {
  return text.replace(/\r?\n/g, eol);
}
