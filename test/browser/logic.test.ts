/** The panel's pure logic, in Node (no browser needed): diff, curve thinning, form, message checks, run replay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../src/model/config';
import { diff, sides } from '../../src/webview/diff';
import { SmoothedSeries } from '../../src/webview/series';
import { effectiveSettings, formOverrides, formProblems, newDraft, suggestName } from '../../src/webview/formModel';
import { isTrainEvent, parseExtensionMessage } from '../../src/protocol/toWebview';
import { Run, SAVED_STEP_CAP } from '../../src/webview/run';
import { fade } from '../../src/webview/theme';
import { epochs, recordedEvents, steps } from './fixtures';

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
