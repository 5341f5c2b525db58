// I/O priorities under `tssc run`: a C program (static and dynamic, and with tssc run as
// nobody) prints what it prints natively; IOPRIO_WHO_USER names the sandbox's processes
// only, never the host's (natively a root process with a real-time policy makes root's
// best priority real time).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itGivesTheNativeOutput } from './native-fixture.js';
import { hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('I/O priorities', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-ioprio-');
    makeRootfs(dir);
    binaries = installFixtures(path.join(dir, 'rootfs'), ['ioprio']);
  });
  afterAll(() => removeDir(dir));

  itGivesTheNativeOutput('ioprio', () => ({ dir, binaries }));

  it('gives a user\'s priority from the sandbox\'s processes alone', () => {
    // The best of root's processes in the sandbox (sh and the program): best-effort at nice
    // 0's level 4, whatever runs as root on the host.
    writeConfig(dir, { args: ['sh', '-c', '/bin/ioprio-static user; true'] });
    expect(tsscRun(dir)).toEqual({ status: 0, stdout: 'user: class 2 data 4\n', stderr: '' });
  });
});
