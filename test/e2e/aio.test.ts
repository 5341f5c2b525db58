// Linux AIO under `tssc run`: a C program (static and dynamic, and with tssc run as nobody)
// prints what it prints natively: the completion ring in the process's memory as libaio
// reads it, the six commands, waits, an eventfd, and the errno cases.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itGivesTheNativeOutput } from './native-fixture.js';
import { hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('Linux AIO', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-aio-');
    makeRootfs(dir);
    binaries = installFixtures(path.join(dir, 'rootfs'), ['aio']);
  });
  afterAll(() => removeDir(dir));

  itGivesTheNativeOutput('aio', () => ({ dir, binaries }));

  it('shows aio-max-nr in /proc/sys/fs', () => {
    writeConfig(dir, { args: ['cat', '/proc/sys/fs/aio-max-nr'] });
    expect(tsscRun(dir)).toEqual({ status: 0, stdout: '65536\n', stderr: '' });
  });
});
