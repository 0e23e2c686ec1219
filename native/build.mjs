// Compiles native/blas/*.c (our native kernels: BLAS matrix multiplies, LSTM / GRU sequences, the
// decoder step, Adam, element-wise kernels) into dist/seq2seq_blas.node with the system C compiler and
// Node's own headers. Optional: without a compiler or headers the build says why and the engine keeps
// the WebAssembly backend's own kernels. Rebuilt only when a source is newer than the output.
// On Linux, when OpenBLAS's static library is there (Debian/Ubuntu: libopenblas-pthread-dev; or
// SEQ2SEQ_OPENBLAS_STATIC=PATH/libopenblas.a), it is linked into the addon, which then needs no BLAS at
// run time, and its licence goes to dist/THIRD-PARTY-NOTICES.txt. Otherwise (or with
// SEQ2SEQ_OPENBLAS_STATIC=0) the addon opens the system's BLAS at run time (macOS: Accelerate).
// SEQ2SEQ_NATIVE_BLAS=0 skips it (the engine then does not look for the addon either).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Node's header folder (node_api.h), as node-gyp would use with a local `nodedir`. */
function nodeIncludeDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** OpenBLAS's static library to link on Linux, or null. */
export function staticOpenBlas() {
  if (process.platform !== 'linux' || process.env.SEQ2SEQ_OPENBLAS_STATIC === '0') return null;
  const triplet = MULTIARCH[process.arch];
  const candidates = [
    process.env.SEQ2SEQ_OPENBLAS_STATIC,
    triplet && `/usr/lib/${triplet}/openblas-pthread/libopenblas.a`,
    triplet && `/usr/lib/${triplet}/libopenblas.a`,
    '/usr/lib64/libopenblas.a',
    '/usr/lib/libopenblas.a',
  ].filter(Boolean);
  return candidates.find((f) => existsSync(f)) ?? null;
}

/** The licence of a linked OpenBLAS: the distribution's copyright file for its package, if found. */
function openBlasNotice(lib) {
  const docs = ['/usr/share/doc/libopenblas-pthread-dev/copyright', '/usr/share/doc/libopenblas-dev/copyright', '/usr/share/doc/libopenblas0-pthread/copyright'];
  const copyright = docs.find((f) => existsSync(f));
  const real = realpathSync(lib);
  return [
    'dist/seq2seq_blas.node (Seq2Seq Studio\'s native kernels) contains OpenBLAS, linked from',
    `${real}. OpenBLAS is distributed under the BSD 3-clause licence:`,
    '',
    copyright ? readFileSync(copyright, 'utf8') : 'https://github.com/OpenMathLib/OpenBLAS/blob/develop/LICENSE',
  ].join('\n');
}

/** Returns the output path, or null with a one-line reason printed. */
export function buildNativeBlas(outDir = 'dist') {
  const sourceDir = join(here, 'blas');
  const files = readdirSync(sourceDir).map((f) => join(sourceDir, f));
  const sources = files.filter((f) => f.endsWith('.c'));
  const out = join(outDir, 'seq2seq_blas.node');
  if (process.env.SEQ2SEQ_NATIVE_BLAS === '0') return null;
  if (process.platform === 'win32') return null;
  const newestSource = Math.max(...files.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs,
    ...[staticOpenBlas()].filter(Boolean).map((f) => statSync(f).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= newestSource) return out;
  const include = nodeIncludeDir();
  if (!include) {
    console.warn('native kernels skipped: no node_api.h next to this Node (the WebAssembly kernels are used)');
    return null;
  }
  mkdirSync(outDir, { recursive: true });
  const cc = process.env.CC || 'cc';
  const platformFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-ldl', '-lm'];
  const lib = staticOpenBlas();
  // Our objects first: their constructor sizes OpenBLAS's pool before OpenBLAS's own runs (blas_loader.c).
  // --exclude-libs keeps OpenBLAS's symbols private to the addon (no clash with another BLAS in the process).
  const linkBlas = lib ? ['-DSEQ2SEQ_STATIC_BLAS', lib, '-Wl,--exclude-libs,ALL', '-lpthread', '-s'] : [];
  const notice = join(outDir, 'THIRD-PARTY-NOTICES.txt');
  try {
    execFileSync(cc, ['-O3', '-fno-trapping-math', '-fno-math-errno', '-fPIC', '-fvisibility=hidden', '-std=c11', '-Wall', '-I', include, ...sources, '-o', out, ...linkBlas, ...platformFlags], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (lib) writeFileSync(notice, openBlasNotice(lib));
    else rmSync(notice, { force: true });
    return out;
  } catch (e) {
    rmSync(out, { force: true }); // never leave an older build in use
    const lines = String(e.stderr || e.message).split('\n');
    const why = lines.find((l) => /error/i.test(l)) ?? lines.find((l) => l.trim()) ?? 'compiler failed';
    console.warn(`native kernels skipped (${cc}: ${why}); the WebAssembly kernels are used`);
    return null;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = buildNativeBlas(process.argv[2] ?? 'dist');
  console.log(out ?? 'not built');
}
