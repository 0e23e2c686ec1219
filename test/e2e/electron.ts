/**
 * The same in-VS-Code suite on desktop VS Code, through @vscode/test-electron, for machines that can
 * download VS Code (this project's own machines cannot: there the suite runs in code-server, see
 * api.test.ts). Run: `npm run build && node --import tsx test/e2e/electron.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT } from './codeServer';
import { bundleSuite } from './suiteBundle';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-electron-'));
  try {
    writeFileSync(join(dir, 'placeholder'), '');
    const extensionTestsPath = await bundleSuite();
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath,
      launchArgs: [dir, '--disable-extensions', '--user-data-dir', join(dir, 'user-data'), '--skip-welcome', '--skip-release-notes'],
      extensionTestsEnv: { SEQ2SEQ_E2E_DIR: dir, SEQ2SEQ_E2E_RESULTS: join(dir, 'results.json') },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
