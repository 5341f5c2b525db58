// System V semaphores and message queues under `tssc run`: C programs (static and
// dynamic) print what they print natively, SEM_UNDO across a killed holder included, and
// /proc/sysvipc and /proc/sys/kernel show the sandbox's objects and limits.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, installFixtures, makeRootfs, nativeAndSandboxed, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const isRoot = process.getuid?.() === 0;
const PROGRAMS = ['sysv-sem', 'sysv-msg'] as const;

describe.skipIf(!hasBusybox() || !hasCompiler())('System V semaphores and message queues', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-sysv-');
    const rootfs = makeRootfs(dir);
    installCProgram(rootfs, path.join(FIXTURES, 'sysv-objects.c'), 'sysv-objects', 'static');
    binaries = installFixtures(rootfs, PROGRAMS);
  });
  afterAll(() => removeDir(dir));

  for (const name of PROGRAMS) {
    for (const linkage of ['static', 'dynamic'] as const) {
      // Natively the other user's part needs root (setuid).
      it.skipIf(!isRoot)(`${name} (${linkage}) gives the native output`, () => {
        const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `${name}-${linkage}`);
        expect(native.status).toBe(0);
        expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
      });
    }
  }

  it('shows the objects in /proc/sysvipc and the limits in /proc/sys/kernel', () => {
    const script = [
      'cat /proc/sys/kernel/sem /proc/sys/kernel/msgmax /proc/sys/kernel/msgmnb /proc/sys/kernel/msgmni',
      '/bin/sysv-objects',
      'cut -c1-56 /proc/sysvipc/sem; cut -c1-68 /proc/sysvipc/msg',
    ].join('; ');
    writeConfig(dir, { args: ['sh', '-c', script] });
    const result = tsscRun(dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        '32000\t1024000\t500\t32000',
        '8192',
        '16384',
        '32000',
        '       key      semid perms      nsems   uid   gid  cuid',
        '      4660          0   640          2     0     0     0',
        '       key      msqid perms      cbytes       qnum lspid lrpid   uid',
        '     22136          0   600          11          2     3     0     0',
        '',
      ].join('\n'),
    );
  });
});
