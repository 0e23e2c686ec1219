import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DataError, makeBatches, padBatch, readGenerationPairs, readPairs, splitCsvLine, splitDev } from '../../src/model/data/data';

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
  await assert.rejects(readPairs(join(dir, 'missing.tsv')), (e: unknown) => e instanceof DataError && /cannot read the data file \(ENOENT\)/.test((e as Error).message));
});

test('generation pairs: each line with the next', async () => {
  const p = file('text.txt', 'one\n\ntwo\nthree\n');
  const { pairs } = await readGenerationPairs(p);
  assert.deepEqual(pairs.map((x) => [x.source, x.target]), [['one', 'two'], ['two', 'three']]);
  await assert.rejects(readGenerationPairs(file('one.txt', 'single line')), /at least two non-empty lines/);
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
