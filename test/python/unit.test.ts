/** The Python package's own unit tests (python/tests: weight mapping, DDP gradient math, data split, checkpoints), run by unittest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { py, pythonSkipReason } from './pythonEnv';

test('python/tests pass under /usr/bin/python3 -m unittest', { skip: pythonSkipReason() }, () => {
  const r = py(['-m', 'unittest', 'discover', '-s', 'python/tests', '-t', 'python']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /Ran \d+ tests/);
  assert.match(r.stderr, /\nOK/);
});
