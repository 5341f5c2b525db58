// The same busybox workloads when tssc runs as an unprivileged user (setpriv to nobody,
// from a world-readable copy of the build), and with the namespace and mount system calls
// made to fail for tssc: it needs none of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig } from './busybox-bundle.js';

const NOBODY = 65534;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

const SCRIPT = [
  'echo "pid $$ ppid $PPID"',
  'for i in 1 2 3; do echo "line $i"; done | sort -r | head -2',
  'x=$(id -u); echo "uid $x"',
  'echo data > /tmp/out; cat /tmp/out; rm /tmp/out',
  'sleep 0.1 & wait $!; echo "bg $?"',
  'sort /data/fruits.txt | uniq | wc -l',
].join('\n');
const SCRIPT_CONFIG = { args: ['sh', '-c', SCRIPT], uid: 1000, gid: 1000 };
const EXPECTED = 'pid 1 ppid 0\nline 3\nline 2\nuid 1000\ndata\nbg 0\n5\n';

describe.skipIf(!hasBusybox() || !canSetpriv)('tssc as an unprivileged user', () => {
  let dir: string;
  let copy: string;

  /** C programs whose output natively and under tssc run as nobody must match: [name, source, args]. */
  const PROGRAMS: [string, string, string[]][] = [
    ['mmap-shared', path.join(REPO, 'test', 'e2e', 'fixtures', 'mmap-shared.c'), ['/tmp', '/data/fruits.txt']],
    ['robust-mutex', path.join(REPO, 'test', 'fixtures', 'threads', 'robust-mutex.c'), []],
    ['signals-queue', path.join(REPO, 'test', 'e2e', 'fixtures', 'signals-queue.c'), []],
    ['rusage', path.join(REPO, 'test', 'e2e', 'fixtures', 'rusage.c'), []],
    ['posix-mq', path.join(REPO, 'test', 'e2e', 'fixtures', 'posix-mq.c'), []],
    ['sysv-sem', path.join(REPO, 'test', 'e2e', 'fixtures', 'sysv-sem.c'), []],
    ['sysv-msg', path.join(REPO, 'test', 'e2e', 'fixtures', 'sysv-msg.c'), []],
    ['inotify', path.join(REPO, 'test', 'e2e', 'fixtures', 'inotify.c'), ['/tmp']],
    ['signalfd', path.join(REPO, 'test', 'e2e', 'fixtures', 'signalfd.c'), []],
  ];

  beforeAll(() => {
    dir = scratchDir('tssc-unpriv-');
    const rootfs = makeRootfs(dir);
    for (const [name, source] of PROGRAMS) installCProgram(rootfs, source, name, 'static');
    copy = worldReadableCopy(path.join(dir, 'tssc'));
    // A state root nobody may create its directory in.
    mkdirSync(path.join(dir, 'states'));
    chmodSync(path.join(dir, 'states'), 0o1777);
  });
  afterAll(() => removeDir(dir));

  it('runs busybox scripts as nobody', () => {
    writeConfig(dir, SCRIPT_CONFIG);
    const result = tsscRun(dir, [], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(dir, 'states', 'nobody') });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(EXPECTED);
    expect(result.status).toBe(0);
  });

  it('runs shared mappings, robust futexes, queued signals, children\'s CPU time, IPC, inotify and signalfd as nobody, as natively', () => {
    for (const [name, , args] of PROGRAMS) {
      // Natively in a scratch directory standing for the sandbox's /tmp and /data.
      const work = path.join(dir, `native-${name}`);
      mkdirSync(work);
      copyFileSync(path.join(dir, 'rootfs', 'data', 'fruits.txt'), path.join(work, 'fruits.txt'));
      const nativeArgs = args.map((arg) => (arg === '/tmp' ? work : arg === '/data/fruits.txt' ? path.join(work, 'fruits.txt') : arg));
      const native = spawnSync(path.join(dir, 'rootfs', 'bin', name), nativeArgs, { encoding: 'utf8', timeout: 60_000 });
      writeConfig(dir, { args: [`/bin/${name}`, ...args] });
      const sandboxed = tsscRun(dir, [], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(dir, 'states', `nobody-${name}`) });
      expect(sandboxed.stderr, name).toBe('');
      expect(sandboxed.stdout, name).toBe(native.stdout);
      expect(sandboxed.status, name).toBe(native.status);
    }
  });

  it('needs no namespace, mount or cgroup system call', () => {
    // An outer filter (from a tiny C helper) makes unshare, setns, mount and clone with
    // CLONE_NEW* flags fail with EPERM for tssc and everything it starts.
    writeConfig(dir, SCRIPT_CONFIG);
    const helper = path.join(dir, 'deny-ns');
    execFileSync('gcc', ['-O2', '-o', helper, path.join(REPO, 'test', 'e2e', 'deny-namespaces.c')]);
    chmodSync(helper, 0o755);
    const result = tsscRun(dir, [], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(dir, 'states', 'denied'), wrapper: [helper] });
    expect(result.stdout).toBe(EXPECTED);
    expect(result.status).toBe(0);
  });
});
