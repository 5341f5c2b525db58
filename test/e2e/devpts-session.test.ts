// A C program that makes its own pseudo-terminal (posix_openpt, as `script` does) prints
// under `tssc run` what it prints natively: the child session's controlling terminal from
// its first open after setsid, ^C and ^Z typed on the master reaching the foreground group
// (none stopping an orphaned group), tcsetpgrp from the background with SIGTTOU ignored,
// and the session leader's SIGHUP when the master closes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('job control on a devpts pair the workload makes', () => {
  let dir: string;
  let binary: string;

  beforeAll(() => {
    dir = scratchDir('tssc-devpts-');
    const rootfs = makeRootfs(dir);
    binary = installCProgram(rootfs, path.join(import.meta.dirname, 'fixtures', 'devpts-session.c'), 'devpts-session', 'static');
  });
  afterAll(() => removeDir(dir));

  it('gives the native output', () => {
    const native = spawnSync(binary, [], { encoding: 'utf8', timeout: 30_000 });
    expect(native.stdout).toContain('leader: SIGHUP\nparent: leader exited 9\n');
    writeConfig(dir, { args: ['/bin/devpts-session'] });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
    expect(sandboxed.status).toBe(native.status);
  });
});
