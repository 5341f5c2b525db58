// Nested pid namespaces inside the sandbox (pid_namespaces(7)): a C program (static and
// dynamic) prints under `tssc run`, as sandbox root with CAP_SYS_ADMIN, what it prints
// natively as root (numbers inside the new namespaces, getppid 0 of an init, NSpid over
// three levels, si_pid across levels, the init's signals, orphans and death, ESRCH for
// what a task inside cannot name, the EINVAL and ENOMEM rules), as tssc's own user and as
// nobody; util-linux's unshare(1) with --pid --fork and --mount-proc gives what the host
// kernel gives, and the sandbox's own /proc still shows every process by its pid there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { ROOT, runInChroot, runInTssc } from '../fixtures/debian-sandbox.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('nested pid namespaces', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-pidns-');
    binaries = installFixtures(makeRootfs(dir), ['pidns']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const native = spawnSync(binaries.get(`pidns-${linkage}`)!, [], { encoding: 'utf8', timeout: 60_000 });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('init: getpid 1 getppid 0\n');
      expect(native.stdout).toContain('the deeper init\'s NSpid: 3 levels, inner 7 1\n');
      for (const { uid } of TSSC_USERS) {
        writeConfig(dir, { args: [`/bin/pidns-${linkage}`], extraCaps: ['CAP_SYS_ADMIN'] });
        expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
      }
    });
  }

  it('busybox: a new namespace numbers its own, the sandbox\'s /proc shows both numbers', () => {
    const script = [
      'unshare -p -f sh -c \'echo "inner $$ $PPID"; grep NSpid /proc/self/status | wc -w\'',
      // The sandbox's own /proc: the nested init by its pid here, with two numbers.
      'mkfifo /tmp/go; unshare -p -f sh -c ": >/tmp/up; read x </tmp/go" & while [ ! -e /tmp/up ]; do sleep 0.1; done',
      'grep -E "^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$" /proc/[0-9]*/status | wc -l; echo >/tmp/go; wait',
    ].join('\n');
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', script], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: 'inner 1 0\n3\n1\n', stderr: '' });
    }
  });

  it('a proc mount of a nested namespace checks a reader outside it by its own credentials', () => {
    // The mount is in the sandbox's mount namespace, so a user outside the new pid
    // namespace can reach it: reading the root-owned init's environ is EACCES for nobody.
    const script = [
      'mkdir /tmp/p; mkfifo /tmp/go',
      'unshare -p -f sh -c "mount -t proc proc /tmp/p; : >/tmp/up; read x </tmp/go" & while [ ! -e /tmp/up ]; do sleep 0.1; done',
      'ls /tmp/p | grep -c "^[0-9]"',
      'su -s /bin/sh nobody -c "cat /tmp/p/1/environ; readlink /tmp/p/1/cwd; echo status \\$?"',
      'echo >/tmp/go; wait; umount /tmp/p',
    ].join('\n');
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', script], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({
        status: 0,
        stdout: '1\nstatus 1\n',
        // busybox readlink fails silently.
        stderr: "cat: can't open '/tmp/p/1/environ': Permission denied\n",
      });
    }
  });
});

describe.skipIf(!isRoot)('util-linux unshare --pid in the Debian userland', () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-pidns-debian-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  it('gives the output of the host kernel doing the same', () => {
    const rootfs = debianRootfs({ programs: ['sh', 'echo', 'unshare', 'nsenter', 'ps', 'sleep', 'cat', 'grep', 'ls', 'wc', 'readlink', 'mount', 'mkfifo'], trees: [] });
    const script = [
      'unshare --pid --fork sh -c \'echo $$\'',
      'unshare -fp --mount-proc ps -o pid,comm',
      'unshare -fp --mount-proc sh -c \'sleep 1 & read a b c d last </proc/loadavg; echo "$last"; readlink /proc/self; grep NSpid /proc/self/status\'',
      // Inside: the process outside has no /proc entry and no number to signal.
      'sleep 5 & unshare -fp --mount-proc sh -c "ls /proc/$! 2>&1 >/dev/null | wc -l; kill -0 $! 2>/dev/null; echo kill \\$?"; kill $!; wait',
      // setns into the namespace a running unshare made for its children: the next one is 2 there.
      'mkfifo /tmp/go; unshare -fp sh -c \': >/tmp/up; read x </tmp/go\' & while [ ! -e /tmp/up ]; do sleep 0.1; done',
      'nsenter --pid=/proc/$!/ns/pid_for_children sh -c \'echo "entered as $$"\'; echo >/tmp/go; wait',
    ].join('\n');
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script]);
    expect(native).toEqual({ status: 0, stdout: '1\n    PID COMMAND\n      1 ps\n2\n3\nNSpid:\t4\n1\nkill 1\nentered as 2\n', stderr: '' });
    const tssc = runInTssc(bundle, rootfs, ['/bin/sh', '-c', script], '', ROOT, ['CAP_SYS_ADMIN']);
    expect(tssc).toEqual(native);
  });
});
