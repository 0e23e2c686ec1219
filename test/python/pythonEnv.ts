/**
 * The Python tier's environment: Debian's /usr/bin/python3 with python3-torch, the package from
 * python/ on PYTHONPATH, the built CLI, and data slices. Without torch the tier skips with a
 * message; with REQUIRE_PYTHON_TESTS=1 (CI) it never skips, so a missing torch fails the tests.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { reversePairs } from '../helpers/tinyModel';

export const ROOT = resolve(__dirname, '..', '..');
export const PYTHON = process.env.PYTHON_FOR_TESTS ?? '/usr/bin/python3';
export const CLI = join(ROOT, 'dist', 'cli.js');
const ENV = { ...process.env, PYTHONPATH: join(ROOT, 'python'), OMP_NUM_THREADS: '1' };

let torchCheck: string | false | undefined;

/** Why the Python tests cannot run here, or false. */
export function pythonSkipReason(): string | false {
  if (torchCheck !== undefined) return torchCheck;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status === 0 || process.env.REQUIRE_PYTHON_TESTS === '1') torchCheck = false;
  else torchCheck = `${PYTHON} cannot import torch (apt-get install python3-torch); set REQUIRE_PYTHON_TESTS=1 to make this a failure`;
  return torchCheck;
}

export function py(args: string[], opts: { input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(PYTHON, args, { cwd: ROOT, env: ENV, encoding: 'utf8', input: opts.input, timeout: opts.timeout ?? 300_000, maxBuffer: 256 * 1024 * 1024 });
}

/** A process started in the background (torchrun through seq2seq_torch.launch), with its output collected. */
export function pyBackground(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(PYTHON, args, { cwd: ROOT, env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  return { child, done };
}

export function cli(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', input, timeout: 300_000 });
}

/**
 * `seq2seq_torch.launch` (torchrun's own code, with the fixes Debian 12's torch 1.13 needs) on one
 * machine, two processes. As `--standalone`, but the rendezvous on a free port: --standalone's fixed
 * port 29400 is taken while another torchrun runs on the machine.
 */
export function launchArgs(): string[] {
  const port = spawnSync(PYTHON, ['-c', 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'], { encoding: 'utf8' }).stdout.trim();
  return ['-m', 'seq2seq_torch.launch', '--nnodes', '1', '--rdzv-backend', 'c10d', '--rdzv-endpoint', `127.0.0.1:${port}`, '--nproc-per-node', '2'];
}

const DATA = join(ROOT, '..', 'shared', 'data', 'cmudict-g2p');

/** Train and dev slices: CMUdict when the shared data are there, else the reverse-a-string toy task. */
export function dataSlices(trainLines: number, devLines: number): { dir: string; train: string; dev: string; devSources: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'seq2seq-py-'));
  let train: string[];
  let dev: string[];
  if (existsSync(join(DATA, 'train.tsv'))) {
    train = readFileSync(join(DATA, 'train.tsv'), 'utf8').split('\n').filter(Boolean).filter((_, i) => i % 20 === 0).slice(0, trainLines);
    dev = readFileSync(join(DATA, 'dev.tsv'), 'utf8').split('\n').filter(Boolean).slice(0, devLines);
  } else {
    train = reversePairs(trainLines, 1);
    dev = reversePairs(devLines, 2);
  }
  writeFileSync(join(dir, 'train.tsv'), train.join('\n') + '\n');
  writeFileSync(join(dir, 'dev.tsv'), dev.join('\n') + '\n');
  return { dir, train: join(dir, 'train.tsv'), dev: join(dir, 'dev.tsv'), devSources: dev.map((l) => l.split('\t')[0]) };
}

export function lastJsonLine(text: string): Record<string, unknown> {
  const line = text.trim().split('\n').filter((l) => l.trim().startsWith('{')).pop();
  if (!line) throw new Error(`no JSON line in:\n${text.slice(-2000)}`);
  return JSON.parse(line);
}
