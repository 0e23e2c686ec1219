import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PathConfinementError, resolveInside } from '../../src/model/storage/confinedPath';

const root = mkdtempSync(join(tmpdir(), 'confined-'));
const models = join(root, 'models');
mkdirSync(join(models, 'good', 'checkpoint'), { recursive: true });
writeFileSync(join(models, 'good', 'weights.bin'), '');
mkdirSync(join(root, 'outside'));
symlinkSync(join(root, 'outside'), join(models, 'escape'));
symlinkSync(join(models, 'good'), join(models, 'alias'));

test('plain names resolve inside the folder', () => {
  assert.equal(resolveInside(models, 'good'), join(models, 'good'));
  assert.equal(resolveInside(join(models, 'good'), 'checkpoint/weights.bin'), join(models, 'good', 'checkpoint', 'weights.bin'));
  assert.equal(resolveInside(models, 'new model'), join(models, 'new model'));
  // A link that stays inside is fine.
  assert.equal(resolveInside(models, 'alias'), join(models, 'alias'));
});

test('traversal, absolute paths, NUL, Windows separators and empty segments are refused', () => {
  for (const bad of ['..', '../x', 'a/../../x', '../../Documents/thesis', '/etc/passwd', 'C:\\Windows', 'c:/x',
    '..\\..\\x', 'a\\b', 'a\0b', '', '.', 'a//b', 'a/./b', './a']) {
    assert.throws(() => resolveInside(models, bad), PathConfinementError, JSON.stringify(bad));
  }
  for (const bad of [null, undefined, 3, {}, ['a']]) assert.throws(() => resolveInside(models, bad), PathConfinementError);
});

test('symbolic links leading outside are refused, also for files below them that do not exist yet', () => {
  assert.throws(() => resolveInside(models, 'escape'), /symbolic link/);
  assert.throws(() => resolveInside(models, 'escape/new/file'), /symbolic link/);
});

test('single-segment names refuse "/"', () => {
  assert.throws(() => resolveInside(models, 'good/checkpoint', 'model name', true), /"\/"/);
  assert.equal(resolveInside(models, 'good', 'model name', true), join(models, 'good'));
});
