// The native reference for network programs: run in a network namespace of their own
// (root only), with nothing but a loopback that is up, so they reach nothing outside and
// meet no port or abstract name of the host. Without root they run as they are.
import { spawnSync } from 'node:child_process';
import type { RunResult } from './busybox-bundle.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;

export function nativeIsolated(program: string, args: readonly string[], timeout = 60_000): RunResult {
  const argv = canUnshare ? ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'native', program, ...args] : [program, ...args];
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
