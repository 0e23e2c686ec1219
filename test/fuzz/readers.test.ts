/**
 * Fuzz tier (issue 12): the text and pair readers over arbitrary bytes give a clear DataError or a
 * correct result, never a raw TypeError and never a hang. Fixed seeds, a few thousand cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { DataError } from '../../src/model/data/dataError';
import { LineSplitter, splitTextLines } from '../../src/model/data/textFile';
import { readPairs, splitCsvLine } from '../../src/model/data/data';
import { listCorpus, readCorpusFile } from '../../src/model/generation/textFolder';

const dir = mkdtempSync(join(tmpdir(), 'seq2seq-fuzz-readers-'));
const RUNS = 3000;
const HANG_GUARD = { timeout: 300_000 };

/** Text-like bytes: mostly ASCII with the characters that matter to the readers, some UTF-8, some junk. */
const textish = fc.array(fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'ab \t\n\r",{}:\\é€😀'.split('').concat(['"source"', '"target"', 'source,target\n', '\r\n', '\uFEFF'])) },
  { weight: 3, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('\0', '\uFFFD', '\u2028', '\uD800') },
), { maxLength: 60 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)), textish,
  // With a BOM in front: UTF-16 LE/BE, UTF-32, UTF-8.
  fc.tuple(fc.constantFrom([0xff, 0xfe], [0xfe, 0xff], [0xef, 0xbb, 0xbf], [0xff, 0xfe, 0, 0]), fc.uint8Array({ maxLength: 200 })).map(([b, a]) => Buffer.from([...b, ...a])),
  textish.map((b) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString('utf8'), 'utf16le')])));

const isClear = (e: unknown) => e instanceof DataError && e.message.length > 0 && !/undefined|\[object/.test(e.message);

/** The reference rule for valid UTF-8 text without NUL: split at LF, no line after a final LF, a CR ending a line dropped. */
function referenceLines(text: string): string[] {
  const t = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = t.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

test('line splitting: the same lines however the bytes are chunked; valid UTF-8 matches the reference rule; else a DataError', HANG_GUARD, () => {
  fc.assert(fc.property(anyBytes, fc.array(fc.nat(400), { maxLength: 6 }), (bytes, cuts) => {
    let whole: ReturnType<typeof splitTextLines> | null = null;
    try { whole = splitTextLines(bytes, 'f.txt'); } catch (e) { assert.ok(isClear(e), String(e)); }
    // Chunked at arbitrary points (a UTF-16 unit or a UTF-8 character may be cut in two).
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const s = new LineSplitter('f.txt');
    let chunked: ReturnType<typeof splitTextLines> | null = [];
    try {
      let prev = 0;
      for (const p of [...points, bytes.length]) { chunked.push(...s.push(bytes.subarray(prev, p))); prev = p; }
      chunked.push(...s.end());
    } catch (e) { assert.ok(isClear(e), String(e)); chunked = null; }
    assert.deepEqual(chunked, whole);
    if (!whole) return;
    whole.forEach((l, i) => {
      assert.equal(l.line, i + 1);
      assert.ok(!l.text.includes('\n') && !l.text.includes('\0'));
    });
    let text: string | null = null;
    try { text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes); } catch { /* not UTF-8 */ }
    if (text !== null && bytes[0] !== 0xff && bytes[0] !== 0xfe) assert.deepEqual(whole.map((l) => l.text), referenceLines(text));
  }), { seed: 12, numRuns: RUNS });
});

test('readPairs (TSV, CSV, JSON Lines) on arbitrary files: pairs with text on both sides and true line numbers, or a DataError', HANG_GUARD, async () => {
  let n = 0;
  await fc.assert(fc.asyncProperty(anyBytes, fc.constantFrom('tsv', 'csv', 'jsonl', 'txt'), async (bytes, ext) => {
    const file = join(dir, `f${n++}.${ext}`);
    writeFileSync(file, bytes);
    let lines: number | null = null;
    try { lines = splitTextLines(bytes, file).length; } catch { /* the readers must refuse it too */ }
    for (const read of [readPairs]) {
      try {
        const r = await read(file);
        assert.ok(lines !== null, 'a file the line rule refuses was read');
        assert.ok(r.pairs.length > 0);
        let last = 0;
        for (const p of r.pairs) {
          assert.ok(p.source.trim() && p.target.trim() && p.source === p.source.trim());
          assert.ok(p.line > last && p.line <= lines!, `line ${p.line} of ${lines}`);
          last = p.line;
        }
        assert.ok(r.report.skipped >= r.report.skippedLines.length);
        for (const s of r.report.skippedLines) assert.ok(s.line >= 1 && s.line <= lines! && s.reason);
      } catch (e) {
        assert.ok(isClear(e), `${read.name}: ${String(e)}`);
        assert.ok((e as Error).message.startsWith(file), (e as Error).message);
      }
    }
  }), { seed: 34, numRuns: RUNS });
});

test('the generation corpus reader on arbitrary files: the text by the line rule, or a file skipped as not text, or a clear DataError', HANG_GUARD, async () => {
  let n = 0;
  await fc.assert(fc.asyncProperty(anyBytes, async (bytes) => {
    const file = join(dir, `g${n++}.txt`);
    writeFileSync(file, bytes);
    let lines: string[] | null = null;
    try {
      const split = splitTextLines(bytes, file);
      if (split.every((l) => l.valid)) lines = split.map((l) => l.text);
    } catch { /* not text: the reader must say so */ }
    const text = await readCorpusFile(file);
    // Running text keeps the last line's end (UTF-8 / UTF-16 BE: 0a; UTF-16 LE: 0a 00).
    const size = bytes.length;
    const endsLf = size > 0 && (bytes[size - 1] === 0x0a || (size >= 2 && bytes[size - 2] === 0x0a && bytes[size - 1] === 0));
    assert.equal(text, lines === null ? null : lines.join('\n') + (endsLf && lines.length ? '\n' : ''));
    try {
      const c = await listCorpus(file);
      assert.ok(text !== null && text.trim() !== '' && c.files.length === 1);
    } catch (e) {
      assert.ok(isClear(e) && (e as Error).message.startsWith(file), String(e));
      assert.ok(text === null || text.trim() === '');
    }
  }), { seed: 56, numRuns: 1000 });
});

test('CSV fields: quoting any fields and splitting gives them back; any line gives fields or null', HANG_GUARD, () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 12 }).filter((s) => !s.includes('\n')), { minLength: 1, maxLength: 5 }), (fields) => {
    const line = fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',');
    assert.deepEqual(splitCsvLine(line), fields);
  }), { seed: 56, numRuns: RUNS });
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (line) => {
    const r = splitCsvLine(line);
    assert.ok(r === null || (Array.isArray(r) && r.every((x) => typeof x === 'string')));
  }), { seed: 78, numRuns: RUNS });
});
