/** The panel's pure logic, in Node (no browser needed): diff, curve thinning, form, message checks, run replay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, mergeSettings, presetOverrides, type DataProfile } from '../../src/model/config';
import { diff, sides } from '../../src/webview/diff';
import { SmoothedSeries } from '../../src/webview/series';
import { applyPreset, effectiveSettings, formOverrides, formProblems, newDraft, suggestName } from '../../src/webview/formModel';
import { isTrainEvent, parseExtensionMessage } from '../../src/protocol/toWebview';
import { Run, SAVED_STEP_CAP } from '../../src/webview/run';
import { fade } from '../../src/webview/theme';
import { curve, metricGroups, resultRows, sampleRows, settingRows } from '../../src/webview/compare';
import { MAX_COMPARE, parseWebviewMessage, type WebviewReferences } from '../../src/protocol/webview';
import { attentionChoices, DEFAULT_CHOICE, percent, strongest, tokenLabel } from '../../src/webview/attention';
import { epochs, recordedAttention, recordedComparison, recordedEvents, steps } from './fixtures';

test('diff marks what the prediction missed and what it added', () => {
  assert.deepEqual(diff('K AE T', 'K AE T'), [{ op: 'same', text: 'K AE T' }]);
  const d = diff('kitten', 'sitting');
  assert.equal(sides(d).reference.map((p) => p.text).join(''), 'kitten');
  assert.equal(sides(d).prediction.map((p) => p.text).join(''), 'sitting');
  assert.equal(d.filter((p) => p.op !== 'same').map((p) => p.text).join('|'), 'k|s|e|i|g');
  assert.deepEqual(diff('K AE T', 'K EH T', 'word'), [{ op: 'same', text: 'K' }, { op: 'del', text: 'AE' }, { op: 'ins', text: 'EH' }, { op: 'same', text: 'T' }]);
  assert.deepEqual(diff('', 'ab'), [{ op: 'ins', text: 'ab' }]);
  // Very long inputs do not blow up: the differing middle is marked as a whole.
  const long = diff('a'.repeat(3000) + 'x'.repeat(1000), 'a'.repeat(3000) + 'y'.repeat(1000));
  assert.deepEqual(long.map((p) => p.op), ['same', 'del', 'ins']);
});

test('the step curve is smoothed and thinned to at most its cap, keeping the latest point', () => {
  const s = new SmoothedSeries(10, 100);
  for (let i = 1; i <= 1000; i++) s.push(i / 100, i, i % 2 ? 1 : 3);
  const pts = s.points();
  assert.ok(s.xs.length <= 100 && s.xs.length > 50, `${s.xs.length} kept`);
  assert.equal(pts.x.at(-1), 10, 'the latest point is drawn');
  assert.ok(Math.abs(pts.y.at(-1)! - 2) < 0.2, 'alternating 1 and 3 smooths to about 2');
  assert.ok(pts.x.every((x, i) => i === 0 || x > pts.x[i - 1]), 'x increases');
  const fresh = new SmoothedSeries(10, 100);
  fresh.push(0.01, 1, 5);
  assert.equal(fresh.points().y[0], 5, 'no bias towards zero at the start');
  fresh.push(0.02, 2, Number.NaN);
  assert.equal(fresh.count, 1, 'non-numbers are skipped');
});

test('replaying a run keeps every epoch and thins saved steps', () => {
  const evs = recordedEvents();
  const run = new Run('x');
  for (const e of evs) run.apply(e);
  assert.equal(run.epochs.length, epochs(evs).length);
  assert.equal(run.stepEvents, steps(evs).length);
  assert.equal(run.apply(steps(evs)[3]), false, 'an old step is ignored');
  assert.equal(run.end?.kind, 'end');
  const replay = new Run('x');
  assert.deepEqual(run.events(), evs, 'a short run is saved exactly as it came, in order');
  for (const e of run.events()) replay.apply(e);
  assert.deepEqual(replay.loss.points(), run.loss.points());
  // Many steps: the saved list stays bounded and keeps the latest.
  const many = new Run('y', evs[0] as never);
  const tmpl = steps(evs)[0];
  for (let i = 1; i <= 5000; i++) many.apply({ ...tmpl, step: i });
  const saved = many.events().filter((e) => e.kind === 'step');
  assert.ok(saved.length <= SAVED_STEP_CAP + 1);
  assert.equal((saved.at(-1) as typeof tmpl).step, 5000);
});

test('the form validates with the engine rules and sends what it shows', () => {
  const draft = newDraft(DEFAULT_SETTINGS, 'balanced', '<sample>', null);
  assert.deepEqual(formProblems(DEFAULT_SETTINGS, draft, null), { fields: {}, other: [] });
  draft.preset = 'custom';
  draft.values['model.layers'] = '9';
  draft.values['model.dropout'] = 'abc';
  const p = formProblems(DEFAULT_SETTINGS, draft, null);
  assert.match(p.fields['model.layers']!, /^Must be a whole number from 1 to 4\.$/);
  assert.ok(p.fields['model.dropout']);
  draft.values['model.layers'] = '2';
  draft.values['model.dropout'] = '0.3';
  const eff = effectiveSettings(DEFAULT_SETTINGS, draft, null);
  assert.equal(eff.model.layers, 2);
  assert.equal((formOverrides(draft).model as { dropout: number }).dropout, 0.3);
  assert.equal(formProblems(DEFAULT_SETTINGS, { ...draft, dataFile: null }, null).fields.dataFile, 'Choose a data file or use the sample data.');
  assert.match(suggestName('/a/b/my data.tsv', new Date(2026, 0, 2, 3, 4)), /^my-data-0102-0304$/);
});

test('for a text folder the form previews the batch and rate that generation training uses', () => {
  const text: DataProfile = { pairs: 30000, sourceVocab: 120, targetVocab: 120, sourceLen95: 128, targetLen95: 128 };
  const draft = newDraft(DEFAULT_SETTINGS, 'balanced', '/data/python', text);
  const pairs = effectiveSettings(DEFAULT_SETTINGS, draft, text, 'pairs');
  const generate = effectiveSettings(DEFAULT_SETTINGS, draft, text, 'generate');
  const engine = mergeSettings(DEFAULT_SETTINGS, presetOverrides('balanced', text, undefined, 'generate'));
  assert.equal(generate.train.batch, engine.train.batch);
  assert.equal(generate.train.lr, engine.train.lr);
  assert.notEqual(generate.train.batch, pairs.train.batch, 'the two tasks size batches differently');
  // The form's fields show it too, once the extension says the data generates.
  const values = applyPreset(DEFAULT_SETTINGS, draft, 'balanced', text, 'generate');
  assert.equal(Number(values['train.batch']), engine.train.batch);
  assert.equal(Number(values['train.lr']), engine.train.lr);
  const msg = parseExtensionMessage({ type: 'data-file', path: '/data/python', profile: text, task: 'generate' });
  assert.equal(msg?.type === 'data-file' && msg.task, 'generate');
  const odd = parseExtensionMessage({ type: 'data-file', path: '/data/python', task: 'rm -rf' });
  assert.equal(odd?.type === 'data-file' && odd.task, undefined, 'an unknown task is dropped');
});

test('messages from the extension are checked', () => {
  const evs = recordedEvents();
  assert.ok(evs.every(isTrainEvent), 'every recorded event passes');
  assert.equal(isTrainEvent({ ...evs[1], loss: null }), true, 'NaN that JSON turned into null is accepted');
  assert.equal(isTrainEvent({ ...evs[1], loss: '1' }), false);
  assert.equal(parseExtensionMessage({ type: 'models', models: [{ name: 'x' }], activeModel: null })?.type, 'models');
  const m = parseExtensionMessage({ type: 'models', models: [{ name: 'x' }], activeModel: 3 });
  assert.deepEqual(m, { type: 'models', models: [], activeModel: null }, 'bad items are dropped');
  const s = parseExtensionMessage({ type: 'state', state: { training: { running: true, modelName: 'm', events: [evs[0], { kind: 'bogus' }] }, models: [], defaults: 'x' } });
  assert.ok(s && s.type === 'state');
  assert.equal(s.state.training?.events.length, 1);
  assert.deepEqual(s.state.defaults, DEFAULT_SETTINGS);
  assert.equal(parseExtensionMessage({ type: 'error', message: 'x'.repeat(10000) })?.type, 'error');
  assert.equal(parseExtensionMessage({ type: 'eval', code: '1' }), null);
});

test('theme colours can be faded for grid lines', () => {
  assert.equal(fade('rgba(204, 204, 204, 0.5)', 0.4), 'rgba(204, 204, 204, 0.2)');
  assert.equal(fade('#3794ff', 0.5), 'rgba(55, 148, 255, 0.5)');
  assert.equal(fade('#ffffff12', 1), 'rgba(255, 255, 255, 0.071)');
  assert.equal(fade('red', 0.5), 'red');
});

test('compare: curves against steps or minutes, rows that differ, the best run, samples under one source', () => {
  const { runs } = recordedComparison();
  const [lstm, gru, small] = runs;
  const loss = curve(lstm, 'step', (p) => p.trainLoss);
  assert.deepEqual(loss.x, lstm.history.map((p) => p.step));
  assert.deepEqual(loss.y, lstm.history.map((p) => p.trainLoss));
  assert.deepEqual(curve(lstm, 'minutes', (p) => p.dev?.per).x, lstm.history.map((p) => p.elapsedMs / 60_000));
  assert.deepEqual(curve({ ...lstm, history: [{ ...lstm.history[0], dev: null }] }, 'step', (p) => p.dev?.loss), { x: [], y: [] }, 'epochs without dev are left out');

  const rows = settingRows(runs);
  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  assert.equal(byKey['model.cell'].differs, true);
  assert.deepEqual(byKey['model.cell'].values, ['lstm', 'gru', 'lstm']);
  assert.equal(byKey['model.hidden'].differs, true);
  assert.equal(byKey['model.dropout'].differs, true);
  assert.equal(byKey['train.batch'].differs, false);
  assert.equal(byKey['target.kind'].differs, false);
  assert.deepEqual(rows.filter((r) => r.differs).map((r) => r.key).sort(), ['model.cell', 'model.dropout', 'model.hidden']);

  const results = Object.fromEntries(resultRows(runs).map((r) => [r.key, r]));
  const pers = runs.map((r) => r.best!.dev!.per);
  assert.equal(results['best.per'].best, pers.indexOf(Math.min(...pers)), 'the lowest PER is the best');
  assert.equal(results['best.bleu'], undefined, 'a token task is ranked by PER and WER');
  assert.equal(resultRows([lstm, { ...lstm, name: 'twin' }]).find((r) => r.key === 'best.per')!.best, null, 'a tie has no winner');

  const samples = sampleRows(runs);
  assert.equal(samples.length, lstm.samples.length, 'the same dev set: one row per source');
  samples.forEach((s, i) => {
    assert.equal(s.source, lstm.samples[i].source);
    assert.deepEqual(s.predictions, [lstm.samples[i].prediction, gru.samples[i].prediction, small.samples[i].prediction]);
  });
  const other = { ...gru, samples: [{ source: 'zzz', reference: 'Z', prediction: 'Z' }] };
  const mixed = sampleRows([lstm, other]);
  assert.equal(mixed.length, lstm.samples.length + 1);
  assert.deepEqual(mixed.at(-1)!.predictions, [null, 'Z'], 'a source only one run has is shown with a gap for the other');
  assert.deepEqual(metricGroups([lstm, { ...gru, devMetric: 'bleu' }]).map((g) => [g.kind, g.runs]), [['per', [0]], ['bleu', [1]]]);
});

test('compare-models: two to six different models that exist, each named as the field', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const refs: WebviewReferences = { hasModel: (n) => names.includes(n), hasDataFile: () => false };
  const parse = (models: unknown) => parseWebviewMessage({ type: 'compare-models', models }, refs);
  assert.deepEqual(parse(['a', 'b']), { type: 'compare-models', models: ['a', 'b'] });
  assert.deepEqual(parse(names.slice(0, MAX_COMPARE)), { type: 'compare-models', models: names.slice(0, MAX_COMPARE) });
  assert.throws(() => parse(['a']), /field "models" must be a list of 2 to 6 model names \(got a list of 1\)/);
  assert.throws(() => parse(names), /field "models" must be a list of at most 6 items/);
  assert.throws(() => parse(['a', 'a']), /field "models" names the model "a" twice/);
  assert.throws(() => parse(['a', 'nope']), /field "models\[1\]": there is no model named "nope"/);
  assert.throws(() => parse(['a', '../b']), /field "models\[1\]" must be a model name/);
  assert.throws(() => parse('a,b'), /field "models" must be a list/);
  // From the extension: a broken run is dropped, the others stay.
  const { runs } = recordedComparison();
  const m = parseExtensionMessage({ type: 'comparison', runs: [runs[0], { ...runs[1], history: 'x' }] });
  assert.ok(m && m.type === 'comparison');
  assert.deepEqual(m.runs.map((r) => r.name), [runs[0].name]);
  assert.deepEqual(parseExtensionMessage({ type: 'comparison', runs }), { type: 'comparison', runs });
});

test('attention: the choices of a map (the one attention; the Transformer\'s last layer averaged, other layers averaged, every head), labels and weights', () => {
  const { rnn, transformer } = recordedAttention();
  const one = rnn.hypotheses[0].attention!;
  assert.deepEqual(attentionChoices(one).map((c) => [c.id, c.group]), [[DEFAULT_CHOICE, null]]);
  assert.equal(attentionChoices(one)[0].weights, one.weights);
  const many = transformer.hypotheses[0].attention!;
  const choices = attentionChoices(many);
  assert.deepEqual(choices.map((c) => c.id), [DEFAULT_CHOICE, 'l0', 'l0h0', 'l0h1', 'l0h2', 'l0h3', 'l1h0', 'l1h1', 'l1h2', 'l1h3']);
  assert.equal(choices[0].weights, many.weights, 'the default is the engine\'s average of the last layer');
  const layer0 = many.heads.filter((x) => x.layer === 0);
  choices[1].weights.forEach((row, t) => row.forEach((w, s) => {
    assert.ok(Math.abs(w - layer0.reduce((sum, x) => sum + x.weights[t][s], 0) / 4) < 1e-12);
  }));
  assert.ok(choices[1].weights.every((row) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6), 'a layer\'s average rows sum to 1');
  assert.equal(choices[2].label, 'Layer 1, head 1');
  assert.deepEqual(strongest([[0.1, 0.7, 0.2], [0.5, 0.5, 0], [0, 0, 1]]), [1, 0, 2]);
  assert.deepEqual(['a', ' ', '▁the', '', '\t'].map(tokenLabel), ['a', '␣', '▁the', '∅', '⇥']);
  assert.deepEqual([0, 0.0004, 0.05, 0.4267, 1].map(percent), ['0 %', '< 0.1 %', '5.0 %', '43 %', '100 %']);
});

test('attention maps from the extension: the recorded ones pass; a malformed one is dropped, its hypothesis kept', () => {
  const { rnn } = recordedAttention();
  const ok = parseExtensionMessage(JSON.parse(JSON.stringify(rnn)));
  assert.ok(ok?.type === 'try-result');
  assert.deepEqual(ok.hypotheses, rnn.hypotheses);
  const broken = structuredClone(rnn);
  broken.hypotheses[0].attention!.weights[0][0] = -0.5;
  const got = parseExtensionMessage(broken);
  assert.ok(got?.type === 'try-result');
  assert.equal(got.hypotheses.length, rnn.hypotheses.length);
  assert.equal(got.hypotheses[0].attention, undefined);
  assert.equal(got.hypotheses[0].text, rnn.hypotheses[0].text);
  assert.deepEqual(got.hypotheses[1].attention, rnn.hypotheses[1].attention);
});
