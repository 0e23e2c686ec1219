/**
 * One model, two engines: for every architecture, a model trained by PyTorch (seq2seq_torch.train)
 * is loaded by our engine, and both decode the same 500 dev inputs greedily from the same weights.
 * The outputs must be equal (100 %) and every step's log-probabilities agree to 1e-4. Then the
 * other way: a model trained by our engine goes to a PyTorch file and back and translates identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/model/acceleration/backend';
import { loadModel } from '../../src/model/storage/store';
import { decodeAll } from '../../src/model/training/evaluate';
import { DEFAULT_DECODE } from '../../src/model/decoding/decodeOptions';
import { engineGreedy } from './engineGreedy';
import { cli, dataSlices, py, pythonSkipReason } from './pythonEnv';

const skip = pythonSkipReason();
const RNN = ['--hidden', '48', '--emb', '24'];
const ARCHS = [
  [...RNN, '--cell', 'lstm', '--layers', '1', '--bidirectional', 'false', '--attention', 'none'],
  [...RNN, '--cell', 'gru', '--layers', '1', '--bidirectional', 'false', '--attention', 'none'],
  [...RNN, '--cell', 'lstm', '--layers', '2', '--bidirectional', 'true', '--attention', 'luong', '--dropout', '0.2', '--label-smoothing', '0.1'],
  [...RNN, '--cell', 'gru', '--layers', '2', '--bidirectional', 'true', '--attention', 'bahdanau', '--dropout', '0.1'],
  [...RNN, '--cell', 'lstm', '--layers', '4', '--bidirectional', 'true', '--attention', 'bahdanau'],
  [...RNN, '--cell', 'gru', '--layers', '3', '--bidirectional', 'false', '--attention', 'luong'],
  ['--arch', 'transformer', '--d-model', '48', '--heads', '4', '--ff', '96', '--enc-layers', '2', '--dec-layers', '2', '--warmup', '40', '--activation', 'gelu'],
  ['--arch', 'transformer', '--d-model', '32', '--heads', '4', '--ff', '64', '--enc-layers', '1', '--dec-layers', '1', '--warmup', '40', '--tokens', 'char', '--shared-vocab', 'true'],
];

test('every architecture: the engine and PyTorch decode 500 inputs identically from the same weights', { skip }, async (t) => {
  await initBackend();
  const data = dataSlices(3000, 500);
  for (const [k, arch] of ARCHS.entries()) {
    const job = join(data.dir, `job${k}`);
    const model = join(data.dir, `model${k}`);
    const ex = cli(['export-job', '--data', data.train, '--dev', data.dev, '--out', job, '--lr', '0.01', ...arch]);
    assert.equal(ex.status, 0, ex.stderr);
    const tr = py(['-m', 'seq2seq_torch.train', job, '--out', model, '--max-steps', '120', '--threads', '1', '--max-dev-decode', '50', '--quiet']);
    assert.equal(tr.status, 0, tr.stderr);

    const m = await loadModel(model);
    const maxLen = m.settings.train.maxLen + 2;
    const sources = data.devSources.map((s) => m.source.encode(s));
    const engine = engineGreedy(m, sources, maxLen);
    // The step-by-step helper is the engine's own greedy search.
    const texts = decodeAll(m, data.devSources, { ...DEFAULT_DECODE, maxLength: maxLen });
    assert.deepEqual(engine.map((r) => m.target.decode(r.ids)), texts);

    const input = join(data.dir, `ids${k}.jsonl`);
    writeFileSync(input, sources.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const dec = py(['-m', 'seq2seq_torch.decode', '--model', model, '--input', input, '--log-probs']);
    assert.equal(dec.status, 0, dec.stderr);
    const torchRows = dec.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ids: number[]; log_probs: number[][] });
    assert.equal(torchRows.length, 500);
    let same = 0;
    let maxDiff = 0;
    engine.forEach((r, i) => {
      if (JSON.stringify(r.ids) === JSON.stringify(torchRows[i].ids)) same++;
      r.logProbs.forEach((row, t) => {
        const other = torchRows[i].log_probs[t];
        if (other) row.forEach((x, v) => { maxDiff = Math.max(maxDiff, Math.abs(x - other[v])); });
      });
    });
    const label = arch.filter((_, i) => i % 2 === 1).slice(arch[0] === '--hidden' ? 2 : 0).join(' ');
    t.diagnostic(`${label}: ${same} / 500 outputs equal, log-probabilities within ${maxDiff.toExponential(1)}, ${new Set(texts).size} distinct outputs`);
    assert.equal(same, 500, `${label}: ${same} / 500 outputs equal`);
    assert.ok(maxDiff <= 1e-4, `${label}: log-probabilities differ by up to ${maxDiff}`);
    assert.ok(new Set(texts).size >= 10, `${label}: the outputs should depend on the input (${new Set(texts).size} distinct outputs)`);
    m.dispose();
  }
});

test('a model trained by our engine, exported to PyTorch and back, translates identically', { skip }, () => {
  const data = dataSlices(600, 200);
  const model = join(data.dir, 'engine-model');
  const tr = cli(['train', '--data', data.train, '--out', model, '--preset', 'fast', '--epochs', '1', '--hidden', '32', '--emb', '16', '--cell', 'gru', '--bidirectional', 'true', '--attention', 'bahdanau', '--quiet']);
  assert.equal(tr.status, 0, tr.stderr);
  const pt = join(data.dir, 'model.pt');
  const back = join(data.dir, 'back');
  for (const args of [['to-torch', model, pt], ['from-torch', pt, back]]) {
    const r = py(['-m', 'seq2seq_torch.convert', ...args]);
    assert.equal(r.status, 0, r.stderr);
  }
  const words = data.devSources.join('\n') + '\n';
  const a = cli(['translate', '--model', model, '--json', '--beam', '3'], words);
  const b = cli(['translate', '--model', back, '--json', '--beam', '3'], words);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const rows = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as { hypotheses: { text: string; logProb: number }[] });
  const ra = rows(a.stdout);
  const rb = rows(b.stdout);
  assert.equal(ra.length, 200);
  ra.forEach((r, i) => {
    assert.equal(rb[i].hypotheses[0].text, r.hypotheses[0].text);
    assert.ok(Math.abs(rb[i].hypotheses[0].logProb - r.hypotheses[0].logProb) < 1e-5);
  });
});
