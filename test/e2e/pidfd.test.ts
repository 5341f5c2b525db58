// pidfds and clone3 under `tssc run`: a C program (static and dynamic, as root and with tssc
// run as nobody) prints what it prints natively: pidfd_open, poll readiness on exit and
// reap, waitid(P_PIDFD), pidfd_send_signal, CLONE_PIDFD through clone and clone3, and
// clone3's checks. A pidfd never names a host process.
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itGivesTheNativeOutput } from './native-fixture.js';
import {
  childrenOf, finished, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, scratchDir, tsscRun, tsscStart,
  waitForOutput, writeConfig,
} from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('pidfds and clone3', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-pidfd-');
    makeRootfs(dir);
    binaries = installFixtures(path.join(dir, 'rootfs'), ['pidfd']);
  });
  afterAll(() => removeDir(dir));

  itGivesTheNativeOutput('pidfd', () => ({ dir, binaries }));

  it('never opens or signals a host process: the test runner\'s pid names nothing inside', () => {
    writeConfig(dir, { args: ['/bin/pidfd-static', 'probe', String(process.pid)] });
    expect(tsscRun(dir)).toEqual({ status: 0, stdout: 'pidfd_open: ESRCH\nkill: ESRCH\n', stderr: '' });
  });

  it('gives a CLONE_PIDFD caller a sandbox pidfd, and no host pidfd to any process', async () => {
    writeConfig(dir, { args: ['/bin/pidfd-static', 'hold'] });
    const child = tsscStart(dir, `pidfd-${process.pid}`);
    const done = finished(child);
    await waitForOutput(child, 'ready');
    const pids = childrenOf(child.pid!);
    expect(pids).toHaveLength(3);
    for (const pid of pids) {
      const links = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
      expect(links.filter((link) => /pidfd/.test(link)), `host fds of ${pid}`).toEqual([]);
    }
    child.stdin.end('go\n');
    expect(await done).toMatchObject({ code: 0, stdout: 'ready\nexited 0 exited 0\n' });
  });
});
