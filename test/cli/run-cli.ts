// Runs the built CLI (bin/tssc.js over dist/) as a user would. `npm test` builds first.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TSSC = path.join(REPO, 'bin', 'tssc.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** tssc is the CLI to run: another user runs a world-readable copy (test/e2e/busybox-bundle.ts). */
export function runCli(args: readonly string[], options: SpawnSyncOptions = {}, tssc = TSSC): CliResult {
  const result = spawnSync(process.execPath, [tssc, ...args], { encoding: 'utf8', ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}
