// Compiles native/blas/*.c (our native kernels: BLAS matrix multiplies, LSTM / GRU sequences, Adam,
// element-wise kernels) into dist/seq2seq_blas.node with the system C compiler and Node's own
// headers. Optional: without a compiler or headers the build says why and the engine keeps the
// WebAssembly backend's own kernels. Rebuilt only when a source is newer than the output.
// SEQ2SEQ_NATIVE_BLAS=0 skips it (the engine then does not look for the addon either).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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

/** Returns the output path, or null with a one-line reason printed. */
export function buildNativeBlas(outDir = 'dist') {
  const sourceDir = join(here, 'blas');
  const files = readdirSync(sourceDir).map((f) => join(sourceDir, f));
  const sources = files.filter((f) => f.endsWith('.c'));
  const out = join(outDir, 'seq2seq_blas.node');
  if (process.env.SEQ2SEQ_NATIVE_BLAS === '0') return null;
  if (process.platform === 'win32') return null;
  const newestSource = Math.max(...files.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= newestSource) return out;
  const include = nodeIncludeDir();
  if (!include) {
    console.warn('native kernels skipped: no node_api.h next to this Node (the WebAssembly kernels are used)');
    return null;
  }
  mkdirSync(outDir, { recursive: true });
  const cc = process.env.CC || 'cc';
  const platformFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-ldl', '-lm'];
  try {
    execFileSync(cc, ['-O3', '-fno-trapping-math', '-fno-math-errno', '-fPIC', '-std=c11', '-Wall', '-I', include, ...sources, '-o', out, ...platformFlags], { stdio: ['ignore', 'ignore', 'pipe'] });
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
