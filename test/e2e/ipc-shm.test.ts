// System V shared memory under `tssc run`: a C program (static and dynamic) prints what it
// prints natively (pages shared between processes, IPC_RMID while attached, the errno
// cases), /proc/sysvipc/shm and /proc/sys/kernel show the sandbox's segments and limits,
// and the host's IPC namespace is neither seen nor changed.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itGivesTheNativeOutput } from './native-fixture.js';
import { hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('System V shared memory', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-shm-');
    makeRootfs(dir);
    binaries = installFixtures(path.join(dir, 'rootfs'), ['sysv-shm']);
  });
  afterAll(() => removeDir(dir));

  itGivesTheNativeOutput('sysv-shm', () => ({ dir, binaries }));

  it('never names a host segment, nor leaves one on the host', () => {
    const key = 0x7d000000 | (process.pid & 0xffffff);
    const hostId = Number(execFileSync('perl', ['-e', `print shmget(${key}, 4096, 01000 | 02000 | 0600) // die "shmget: $!"`], { encoding: 'utf8' }));
    try {
      // The host's segments this test names: its own, and any of the key the sandbox leaves
      // (other processes on the host may make and remove segments meanwhile).
      const ours = (): string[] =>
        execFileSync('ipcs', ['-m'], { encoding: 'utf8' })
          .split('\n')
          .filter((line) => /^0x00004321\s/.test(line) || line.split(/\s+/)[1] === String(hostId));
      const before = ours();
      writeConfig(dir, { args: ['sh', '-c', `/bin/sysv-shm-static probe ${key} ${hostId}; /bin/sysv-shm-static leave; wc -l < /proc/sysvipc/shm`] });
      expect(tsscRun(dir)).toEqual({ status: 0, stdout: 'shmget: ENOENT\nshmat: EINVAL\n2\n', stderr: '' });
      expect(before).toHaveLength(1);
      expect(ours()).toEqual(before);
    } finally {
      execFileSync('perl', ['-e', `shmctl(${hostId}, 0, 0)`]);
    }
  });

  it('shows the segments in /proc/sysvipc/shm and the limits in /proc/sys/kernel', () => {
    const script = 'cat /proc/sys/kernel/shmmax /proc/sys/kernel/shmall /proc/sys/kernel/shmmni; /bin/sysv-shm-static leave; cut -c1-92 /proc/sysvipc/shm';
    writeConfig(dir, { args: ['sh', '-c', script] });
    expect(tsscRun(dir)).toEqual({
      status: 0,
      stdout: [
        '18446744073692774399',
        '18446744073692774399',
        '4096',
        '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid',
        '     17185          0   600                  5000     3     3      0     0     0     0     0',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('refuses a segment larger than the sandbox\'s memory, and charges an attached one to it', () => {
    writeConfig(dir, { args: ['/bin/sysv-shm-static', 'memory'], memoryLimit: 64 << 20 });
    expect(tsscRun(dir)).toEqual({
      status: 0,
      stdout: 'past the limit: ENOMEM\ntwo of 40 MiB: made\nfirst attached: ok\nsecond attached: ENOMEM\nsecond after the first is gone: ok\n',
      stderr: '',
    });
  });
});
