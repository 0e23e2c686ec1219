/**
 * The packaged linux-x64 .vsix runs our native kernels with no BLAS installed: its worker is started
 * from the unpacked package in a mount namespace where every OpenBLAS / BLAS shared library of the
 * system is hidden (each file bound over by /dev/null), and must report the native kernels on, on the
 * OpenBLAS linked into the addon, and translate with them. Needs Linux x64, `unshare` with mount
 * namespaces (root, or unprivileged user namespaces) and `unzip`; skips otherwise, or fails with
 * REQUIRE_NATIVE_KERNELS=1 (as CI sets).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVsix } from '../e2e/codeServer';

/** `unshare` arguments giving a private mount namespace here, or null. */
function namespaceArgs(): string[] | null {
  for (const args of [['--mount', '--propagation', 'private'], ['--user', '--map-root-user', '--mount', '--propagation', 'private']]) {
    if (spawnSync('unshare', [...args, 'true'], { stdio: 'ignore' }).status === 0) return args;
  }
  return null;
}

function canRun(t: TestContext): string[] | null {
  const ns = process.platform === 'linux' && process.arch === 'x64' ? namespaceArgs() : null;
  const missing = process.platform !== 'linux' || process.arch !== 'x64' ? 'Linux x64'
    : !ns ? 'unshare with mount namespaces'
      : spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status !== 0 ? 'unzip' : null;
  if (!missing) return ns;
  if (process.env.REQUIRE_NATIVE_KERNELS === '1') assert.fail(`this check needs ${missing}; REQUIRE_NATIVE_KERNELS=1 forbids skipping`);
  t.skip(`needs ${missing}`);
  return null;
}

/** Every BLAS shared library the dynamic linker knows of (real files). */
function systemBlasFiles(): string[] {
  const listed = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).split('\n')
    .map((l) => /=>\s*(\S+)$/.exec(l)?.[1])
    .filter((f): f is string => !!f && /\/lib(open)?c?blas[^/]*\.so/.test(f));
  return [...new Set(listed.filter((f) => existsSync(f)).map((f) => realpathSync(f)))];
}

interface Ready { type: string; info?: { backend: string; nativeKernels?: string | null } }

test('the packaged extension runs the native kernels with the system BLAS hidden', { timeout: 180_000 }, async (t) => {
  const ns = canRun(t);
  if (!ns) return;
  const vsix = ensureVsix();
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-vsix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('unzip', ['-q', vsix, '-d', dir]);
  const ext = join(dir, 'extension');
  const hide = systemBlasFiles();
  assert.ok(hide.some((f) => f.includes('openblas')), `this machine should have an OpenBLAS to hide (found: ${hide.join(', ') || 'none'})`);
  // In the namespace: hide each library, check that it really cannot be opened, then become the worker.
  const probe = `for (const n of ['libopenblas.so.0', 'libopenblas.so', 'libblas.so.3']) { try { process.dlopen({ exports: {} }, n); console.error('still loadable: ' + n); process.exit(3); } catch (e) { if (/self-register/.test(e.message)) { console.error('still loadable: ' + n); process.exit(3); } } }`;
  const script = [...hide.map((f) => `mount --bind /dev/null '${f}'`), `node -e "${probe}"`, `exec node '${join(ext, 'dist', 'worker.js')}'`].join(' && ');
  const child = spawn('unshare', [...ns, 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  t.after(() => { if (child.exitCode === null) child.kill(); });
  const messages: Ready[] = [];
  const next = (type: string) => new Promise<Ready>((resolve, reject) => {
    const found = messages.find((m) => m.type === type);
    if (found) return resolve(found);
    const onMessage = (m: Ready) => { if (m.type === type) { child.off('message', onMessage); resolve(m); } };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${type}": ${stderr.trim()}`)));
  });
  child.on('message', (m: Ready) => messages.push(m));
  const ready = await next('ready');
  assert.equal(ready.info?.backend, 'wasm');
  assert.match(ready.info?.nativeKernels ?? '', /^on \(.*OpenBLAS.*linked into the addon/, `native kernels: ${ready.info?.nativeKernels}`);
  child.send({ type: 'translate', id: 't1', modelDir: join(ext, 'samples', 'model'), inputs: ['hello', 'world'], decode: { strategy: 'beam', beamSize: 3 } });
  const result = await next('result') as unknown as { result: { outputs: { text: string }[][] } };
  assert.equal(result.result.outputs.length, 2);
  assert.ok(result.result.outputs.every((o) => o[0].text.length > 0), 'both lines translated');
});
