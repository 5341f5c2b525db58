// System V semaphores and message queues under `tssc run`: C programs (static and
// dynamic) print what they print natively, SEM_UNDO across a killed holder included, and
// /proc/sysvipc and /proc/sys/kernel show the sandbox's objects and limits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  it('never shows the host\'s objects, nor leaves its own on the host', () => {
    // Objects of the host's IPC namespace with a key nobody else uses.
    const key = 0x7e000000 | (process.pid & 0xffffff);
    const make = `$s = semget(${key}, 1, 01000 | 02000 | 0666) // die "semget: $!"; $q = msgget(${key}, 01000 | 02000 | 0666) // die "msgget: $!"; print "$s $q"`;
    const [sem, queue] = execFileSync('perl', ['-e', make], { encoding: 'utf8' }).split(' ').map(Number);
    try {
      writeConfig(dir, { args: ['sh', '-c', `/bin/sysv-objects ${key}; /bin/sysv-objects; cat /proc/sysvipc/sem /proc/sysvipc/msg | wc -l`] });
      expect(tsscRun(dir)).toEqual({ status: 0, stdout: 'semget: ENOENT\nmsgget: ENOENT\n4\n', stderr: '' });
      // The sandbox's key 0x1234 set is nowhere on the host.
      expect(readFileSync('/proc/sysvipc/sem', 'utf8')).not.toMatch(/^\s+4660\s/m);
    } finally {
      execFileSync('perl', ['-e', `semctl(${sem}, 0, 0, 0); msgctl(${queue}, 0, 0)`]);
    }
  });

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
