// Robust mutexes under `tssc run` behave as natively when their owner dies: glibc writes
// the owner's virtual tid into the mutex word, and the host kernel, which marks a dead
// owner's mutexes by host tid, must still find them (the sentry's exit stops see to it).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'threads');
const LINKAGES = ['static', 'dynamic'] as const;

describe.skipIf(!hasBusybox() || !hasCompiler())('robust futexes', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-futex-robust-');
    const rootfs = makeRootfs(dir);
    for (const linkage of LINKAGES) binaries.set(linkage, installCProgram(rootfs, path.join(FIXTURES, 'robust-mutex.c'), `robust-mutex-${linkage}`, linkage));
  });
  afterAll(() => removeDir(dir));

  for (const linkage of LINKAGES) {
    it(`a dead owner's robust mutex gives EOWNERDEAD to the next locker (${linkage})`, () => {
      const native = spawnSync(binaries.get(linkage)!, ['exec'], { encoding: 'utf8', timeout: 30_000, cwd: '/' });
      expect(native.stdout.split('\n').filter((l) => l.includes('lock EOWNERDEAD, consistent 0, unlock 0, lock again 0'))).toHaveLength(7);
      writeConfig(dir, { args: [`/bin/robust-mutex-${linkage}`, 'exec'] });
      const sandboxed = tsscRun(dir);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(native.status);
    });
  }
});
