/** For tests of our native kernels: whether they can run here, and what to do when they cannot. */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, nativeKernelsStatus, tf } from '../../src/model/acceleration/backend';
import { kernels } from '../../src/model/acceleration/kernels';

/**
 * Initialises the backend; true when the backend's kernels are our native ones. Otherwise the test
 * is skipped with the reason, or fails when REQUIRE_NATIVE_KERNELS=1 (as CI sets).
 */
export async function nativeKernelsHere(t: TestContext): Promise<boolean> {
  await initBackend();
  if (kernels().name === 'native') return true;
  const why = tf.getBackend() === 'wasm' ? nativeKernelsStatus().reason : `backend is ${tf.getBackend()}`;
  if (process.env.REQUIRE_NATIVE_KERNELS === '1') assert.fail(`native kernels are required here but not active: ${why}`);
  t.skip(`native kernels not active: ${why}`);
  return false;
}
