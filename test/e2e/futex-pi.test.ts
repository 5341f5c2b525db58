// PI mutexes under `tssc run` behave as natively: their lock words hold virtual tids,
// so the sentry answers the PI futex operations itself; no host task is ever named.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'threads');
const LINKAGES = ['static', 'dynamic'] as const;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;
const FUTEX_LOCK_PI = 6;
const FUTEX_UNLOCK_PI = 7;
/** LOCK_PI, UNLOCK_PI, TRYLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI, LOCK_PI2. */
const PI_COMMANDS = [6, 7, 8, 11, 12, 13];

describe.skipIf(!hasBusybox() || !hasCompiler())('PI futexes', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-futex-pi-');
    const rootfs = makeRootfs(dir);
    for (const linkage of LINKAGES) binaries.set(linkage, installCProgram(rootfs, path.join(FIXTURES, 'pi-mutex.c'), `pi-mutex-${linkage}`, linkage));
  });
  afterAll(() => removeDir(dir));

  for (const linkage of LINKAGES) {
    it(`contended, error-checking, recursive, timed, robust and process-shared PI mutexes give the native output (${linkage})`, () => {
      const native = spawnSync(binaries.get(linkage)!, [], { encoding: 'utf8', timeout: 60_000 });
      expect(native.stdout).toContain('contended: total=180000\n');
      writeConfig(dir, { args: [`/bin/pi-mutex-${linkage}`] });
      const sandboxed = tsscRun(dir);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(native.status);
    });
  }

  it('stops only for the PI operations: plain futex waits and wakes run on the host', () => {
    writeConfig(dir, { args: ['/bin/pi-mutex-static'] });
    const traced = tsscRun(dir, ['--strace']);
    const commands = [...traced.stderr.matchAll(/\bfutex\(0x[0-9a-f]+, 0x([0-9a-f]+)/g)].map((m) => parseInt(m[1]!, 16) & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME));
    expect(commands).toContain(FUTEX_LOCK_PI);
    expect(commands).toContain(FUTEX_UNLOCK_PI);
    expect(commands.filter((cmd) => !PI_COMMANDS.includes(cmd))).toEqual([]);
  });
});
