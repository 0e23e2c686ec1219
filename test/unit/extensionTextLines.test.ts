/** Translate Selection's text handling (src/extension/textLines.ts) and data-file detection (dataFiles.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitSelections, withEol } from '../../src/extension/textLines';
import { guessTask, isDataFile } from '../../src/extension/dataFiles';

test('each non-blank selected line is one input, across selections, in order', () => {
  const s = splitSelections(['cat\ndog', 'hello']);
  assert.deepEqual(s.inputs, ['cat', 'dog', 'hello']);
  assert.deepEqual(s.rebuild(['K AE T', 'D AO G', 'HH AH L OW'], '\n'), ['K AE T\nD AO G', 'HH AH L OW']);
});

test('indentation, trailing spaces and blank lines are kept; CRLF documents keep CRLF', () => {
  const s = splitSelections(['  cat  \r\n\r\n\tdog']);
  assert.deepEqual(s.inputs, ['cat', 'dog']);
  assert.deepEqual(s.rebuild(['A', 'B'], '\r\n'), ['  A  \r\n\r\n\tB']);
});

test('a selection with no text gives no inputs and rebuilds unchanged', () => {
  const s = splitSelections(['   ', '']);
  assert.deepEqual(s.inputs, []);
  assert.deepEqual(s.rebuild([], '\n'), ['   ', '']);
});

test('rebuild refuses a wrong number of outputs', () => {
  assert.throws(() => splitSelections(['a\nb']).rebuild(['x'], '\n'), /expected 2 outputs, got 1/);
});

test('generated text takes the document line ends', () => {
  assert.equal(withEol('a\nb\r\nc', '\r\n'), 'a\r\nb\r\nc');
  assert.equal(withEol('a\r\nb', '\n'), 'a\nb');
});

test('data files: pairs unless a folder or a .txt file without tabs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-data-'));
  try {
    const w = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
    assert.equal(guessTask(w('a.tsv', 'x\ty\n')), 'pairs');
    assert.equal(guessTask(w('b.txt', 'x\ty\nz\tw\n')), 'pairs');
    assert.equal(guessTask(w('c.txt', 'Once upon a time\nthere was a model.\n')), 'generate');
    assert.equal(guessTask(w('d.jsonl', '{"source":"a","target":"b"}\n')), 'pairs');
    assert.ok(isDataFile('/x/Y.TSV') && isDataFile('a.csv') && !isDataFile('a.md'));
    // A folder (notes, code) is text to generate from, whatever its name.
    mkdirSync(join(dir, 'notes.tsv'));
    assert.equal(guessTask(join(dir, 'notes.tsv')), 'generate');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
