import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DataError, makeBatches, padBatch, readPairs, splitCsvLine, splitDev } from '../../src/model/data/data';
import { listCorpus } from '../../src/model/generation/textFolder';

const dir = mkdtempSync(join(tmpdir(), 'seq2seq-data-'));
const file = (name: string, content: string) => { const p = join(dir, name); writeFileSync(p, content); return p; };

test('TSV: BOM, CRLF and extra columns are handled; bad lines are reported by line number', async () => {
  const p = file('a.tsv', '\uFEFFhello\thallo\tCC-BY attribution\r\n\r\nno tab here\r\nworld\twelt\r\n\tempty source\r\n');
  const { pairs, report } = await readPairs(p);
  assert.deepEqual(pairs.map((x) => [x.source, x.target, x.line]), [['hello', 'hallo', 1], ['world', 'welt', 4]]);
  assert.equal(report.skipped, 3);
  assert.deepEqual(report.skippedLines.map((s) => s.line), [2, 3, 5]);
  assert.match(report.skippedLines[1].reason, /no tab/);
  assert.match(report.skippedLines[2].reason, /empty source/);
});

test('CSV with header and quoted fields; column order taken from the header', async () => {
  assert.deepEqual(splitCsvLine('"a, b","say ""hi"""'), ['a, b', 'say "hi"']);
  assert.equal(splitCsvLine('"unbalanced,x'), null);
  const p = file('b.csv', 'id,target,source\n1,Haus,house\n2,"Guten Tag, Welt","good day, world"\n3,"broken\n');
  const { pairs, report } = await readPairs(p);
  assert.deepEqual(pairs.map((x) => [x.source, x.target]), [['house', 'Haus'], ['good day, world', 'Guten Tag, Welt']]);
  assert.deepEqual(report.skippedLines, [{ line: 4, reason: 'unbalanced quotes' }]);
});

test('JSON Lines needs string source and target', async () => {
  const p = file('c.jsonl', '{"source":"a","target":"b"}\n{"source":1,"target":"x"}\nnot json\n');
  const { pairs, report } = await readPairs(p);
  assert.equal(pairs.length, 1);
  assert.deepEqual(report.skippedLines.map((s) => s.line), [2, 3]);
  assert.equal(report.format, 'jsonl');
});

test('a file with no usable pair is a DataError naming the file and the first bad line', async () => {
  const p = file('empty.tsv', 'just text\nmore text\n');
  await assert.rejects(readPairs(p), (e: unknown) => e instanceof DataError && e.message.includes(p) && /line 1: no tab/.test(e.message) && e.line === 1);
  await assert.rejects(readPairs(join(dir, 'missing.tsv')), (e: unknown) => e instanceof DataError && /cannot read the data file \(ENOENT: no such file\)/.test((e as Error).message));
});

test('dev split and batches are deterministic from the seed, and batches cover every example once', () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  assert.deepEqual(splitDev(items, 0.1, 3), splitDev(items, 0.1, 3));
  assert.equal(splitDev(items, 0.1, 3).dev.length, 100);
  const examples = items.map((i) => ({ src: Array(1 + (i % 17)).fill(5), tgt: Array(1 + (i % 5)).fill(6), line: i + 1 }));
  const a = makeBatches(examples, 32, 1, 0);
  assert.deepEqual(a, makeBatches(examples, 32, 1, 0));
  assert.notDeepEqual(a, makeBatches(examples, 32, 1, 1));
  assert.deepEqual(a.flat().sort((x, y) => x - y), items);
  // Length bucketing: padding is a small share of the source tokens.
  let real = 0; let padded = 0;
  for (const b of a) { const L = Math.max(...b.map((i) => examples[i].src.length)); padded += L * b.length; real += b.reduce((n, i) => n + examples[i].src.length, 0); }
  assert.ok(real / padded > 0.9, `padding share too large: ${1 - real / padded}`);
});

test('padBatch lays out time-major ids with <s> and </s>', () => {
  const ex = [{ src: [4, 5], tgt: [7], line: 1 }, { src: [6], tgt: [8, 9], line: 2 }];
  const b = padBatch(ex, [0, 1], 1, 2);
  assert.deepEqual([...b.src], [4, 6, 5, 0]);
  assert.deepEqual([...b.tgtIn], [1, 1, 7, 8, 0, 9]);
  assert.deepEqual([...b.tgtOut], [7, 8, 2, 9, 0, 2]);
  assert.equal(b.targetTokens, 5);
});

// ---- encodings and the line rule (issue 12) ----

const pairsText = 'hello\thallo\nworld\twelt\nnight\tnacht\n';
const bom16 = (text: string, be: boolean) => {
  const le = Buffer.from('\uFEFF' + text, 'utf16le');
  if (!be) return le;
  const out = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) { out[i] = le[i + 1]; out[i + 1] = le[i]; }
  return out;
};

test('UTF-16 LE and BE files with a BOM (Windows PowerShell 5.1) are decoded to the same pairs as UTF-8', async () => {
  const utf8 = await readPairs(file('u8.tsv', pairsText));
  for (const be of [false, true]) {
    const p = join(dir, `u16${be ? 'be' : 'le'}.tsv`);
    writeFileSync(p, bom16(pairsText.replace(/\n/g, '\r\n'), be));
    const r = await readPairs(p);
    assert.deepEqual(r.pairs, utf8.pairs);
    assert.equal(r.report.skipped, 0);
  }
});

test('random bytes are refused naming the file and a line, not read as pairs', async () => {
  let s = 12345;
  const bytes = Buffer.alloc(100_000);
  for (let i = 0; i < bytes.length; i++) { s = (s * 1103515245 + 12345) >>> 0; bytes[i] = s >>> 24; }
  const p = join(dir, 'random.tsv');
  writeFileSync(p, bytes);
  await assert.rejects(readPairs(p), (e: unknown) => e instanceof DataError && e.message.startsWith(`${p}: `) && /line \d+/.test(e.message) && /not a text file|not UTF-8/.test(e.message));
  await assert.rejects(listCorpus(p), (e: unknown) => e instanceof DataError && e.message.startsWith(`${p}: `));
});

test('NUL bytes: refused at the first line holding one; UTF-16 without a BOM is named and how to convert it is said', async () => {
  const p = file('nul.tsv', 'a\tb\nc\td\ne\x00\tf\n');
  await assert.rejects(readPairs(p), (e: unknown) => e instanceof DataError && e.message === `${p}: line 3: contains NUL bytes; this is not a text file` && e.line === 3);
  const q = join(dir, 'nobom16.tsv');
  writeFileSync(q, Buffer.from(pairsText, 'utf16le'));
  await assert.rejects(readPairs(q), (e: unknown) => e instanceof DataError && /line 1: looks like UTF-16LE text without a byte-order mark/.test(e.message) && /iconv -f UTF-16LE -t UTF-8/.test(e.message));
});

test('a Latin-1 file is refused with how to convert it; one stray bad line in a large file is skipped and reported', async () => {
  const latin1 = join(dir, 'latin1.tsv');
  writeFileSync(latin1, Buffer.from('caf\xe9\tcoffee\nna\xefve\tnaive\nok\tok\n', 'latin1'));
  await assert.rejects(readPairs(latin1), (e: unknown) => e instanceof DataError && e.message.startsWith(`${latin1}: not UTF-8 text: 2 of 3 lines`) && /first at line 1/.test(e.message) && /iconv -f WINDOWS-1252/.test(e.message));
  const big = join(dir, 'mostly-utf8.tsv');
  const lines = Array.from({ length: 300 }, (_, i) => Buffer.from(`w${i}\tv${i}`));
  lines[41] = Buffer.from('bad\xff\tx', 'latin1');
  writeFileSync(big, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
  const r = await readPairs(big);
  assert.equal(r.pairs.length, 299);
  assert.deepEqual(r.report.skippedLines, [{ line: 42, reason: 'not valid UTF-8' }]);
});

test('a lone CR inside a line is part of the line: later line numbers are not shifted', async () => {
  const p = file('cr.tsv', 'one\tun\rdeux\nno tab\ntwo\ttrois\r\nbad line\n');
  const { pairs, report } = await readPairs(p);
  assert.deepEqual(pairs.map((x) => [x.source, x.target, x.line]), [['one', 'un\rdeux', 1], ['two', 'trois', 3]]);
  assert.deepEqual(report.skippedLines.map((s) => s.line), [2, 4]);
});

test('a folder given as data file is a DataError naming the path', async () => {
  await assert.rejects(readPairs(dir), (e: unknown) => e instanceof DataError && e.message === `${dir}: cannot read the data file: it is a folder, not a file`);
});
