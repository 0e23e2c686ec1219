/** Bundles the in-VS-Code suite (test/e2e/suite/index.ts) into one CommonJS file for extensionTestsPath. */
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export async function bundleSuite(): Promise<string> {
  const out = join(__dirname, '.artifacts', 'suite', 'index.js');
  await esbuild.build({
    entryPoints: [join(__dirname, 'suite', 'index.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode'], outfile: out, logLevel: 'warning',
  });
  return out;
}
