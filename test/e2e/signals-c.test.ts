// C programs about signal masks and queued signals print under `tssc run` what they print
// natively: the sigmask of ppoll/pselect/epoll_pwait in force only during the wait,
// sigsuspend, sigqueue and rt_(tg)sigqueueinfo's rules, sigwaitinfo/sigtimedwait with the
// sender's pid as the process sees it, in order, with Linux's timeouts and EINTR; children
// of a parent ignoring SIGCHLD reaped at once, a blocked wait ending with ECHILD; clone's
// exit signal reaching the sandbox's parent (SIGKILL and SIGSTOP ones too), never the sentry;
// stopped jobs an exit orphans hung up and continued.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const PROGRAMS = [
  { name: 'signals-masks', linkage: 'static' },
  { name: 'signals-queue', linkage: 'static' },
  { name: 'signals-queue', linkage: 'dynamic' },
  { name: 'sigchld-ignored', linkage: 'static' },
  { name: 'exit-signals', linkage: 'static' },
  { name: 'clone-parent', linkage: 'static' },
  { name: 'orphaned-pgrp', linkage: 'static' },
] as const;

describe.skipIf(!hasBusybox() || !hasCompiler())('signal masks and queued signals', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-sigc-');
    const rootfs = makeRootfs(dir);
    for (const { name, linkage } of PROGRAMS) {
      binaries.set(`${name}-${linkage}`, installCProgram(rootfs, path.join(FIXTURES, `${name}.c`), `${name}-${linkage}`, linkage));
    }
  });
  afterAll(() => removeDir(dir));

  // Natively it must be a pid namespace's init too: unshare, as root.
  it.skipIf(process.getuid?.() !== 0)("init lives on when a child it did not fork ends with SIGTERM as its exit signal", () => {
    const binary = installCProgram(path.join(dir, 'rootfs'), path.join(FIXTURES, 'init-exit-signal.c'), 'init-exit-signal', 'static');
    const native = spawnSync('unshare', ['--pid', '--fork', binary], { encoding: 'utf8', timeout: 30_000 });
    expect(native).toMatchObject({ status: 0, stdout: 'init lived on and reaped 3\n' });
    writeConfig(dir, { args: ['/bin/init-exit-signal'] });
    expect(tsscRun(dir)).toMatchObject({ status: 0, stdout: native.stdout, stderr: '' });
  });

  it.skipIf(process.getuid?.() !== 0)('init gets no signal it has no handler for: a ^C on its own pty, a raise, one it unblocks', () => {
    const binary = installCProgram(path.join(dir, 'rootfs'), path.join(FIXTURES, 'init-signals.c'), 'init-signals', 'static');
    const native = spawnSync('unshare', ['--pid', '--fork', binary], { encoding: 'utf8', timeout: 30_000 });
    expect(native).toMatchObject({ status: 0, stderr: '' });
    expect(native.stdout).toContain('init lived on after unblocking SIGUSR1');
    writeConfig(dir, { args: ['/bin/init-signals'] });
    expect(tsscRun(dir)).toMatchObject({ status: 0, stdout: native.stdout, stderr: '' });
  });

  for (const { name, linkage } of PROGRAMS) {
    it(`${name} (${linkage}) gives the native output`, () => {
      const program = `${name}-${linkage}`;
      const native = spawnSync(binaries.get(program)!, [], { encoding: 'utf8', timeout: 30_000 });
      expect(native.status).toBe(0);
      writeConfig(dir, { args: [`/bin/${program}`] });
      const sandboxed = tsscRun(dir);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(native.status);
    });
  }
});
