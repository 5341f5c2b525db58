// Namespaces made inside the sandbox (unshare(2), clone(2) with CLONE_NEW*), under
// `tssc run` as sandbox root with CAP_SYS_ADMIN: a C program (static and dynamic) prints
// what it prints natively as root in a private mount namespace (a child's new uts, ipc,
// mount and network namespaces leave its parent's alone; Linux's EINVAL combinations;
// EPERM as uid 65534); busybox's unshare(1) with the output of the host kernel doing the
// same; util-linux's unshare(1) and setpriv in the Debian userland (pid namespaces:
// pidns.test.ts; user namespaces: userns.test.ts). As
// tssc's own user and as nobody; the host's hostname and files unchanged, and none of the
// fixture's IPC objects on the host.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotHost } from '../vfs/property-ops.js';
import { TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { ROOT, runInChroot, runInTssc } from '../fixtures/debian-sandbox.js';

const isRoot = process.getuid?.() === 0;
/** util-linux's namespace tools and what the script around them needs. */
const UTIL_LINUX = { programs: ['sh', 'echo', 'grep', 'cat', 'mount', 'sleep', 'mkfifo', 'unshare', 'nsenter', 'setpriv', 'hostname', 'findmnt', 'ipcmk', 'ipcs'], trees: [] };
/** The host's message queues with the fixture's keys (0x7e5700, 0x7e5701), and its POSIX queues of that name: none, ever. */
const fixtureObjectsOnHost = (): string[] => [
  ...spawnSync('ipcs', ['-q'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.startsWith('0x007e570')),
  ...(existsSync('/dev/mqueue') ? readdirSync('/dev/mqueue').filter((name) => name.startsWith('tssc-ns')) : []),
];

describe.skipIf(!hasBusybox() || !hasCompiler())('namespaces inside the sandbox', () => {
  let dir: string;
  let rootfs: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-namespaces-');
    rootfs = makeRootfs(dir);
    mkdirSync(path.join(rootfs, 'mnt'));
    binaries = installFixtures(rootfs, ['namespaces']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const scratch = mkdtempSync(path.join(dir, `native-${linkage}-`));
      const native = spawnSync('unshare', ['--mount', '--propagation', 'private', binaries.get(`namespaces-${linkage}`)!, scratch], { encoding: 'utf8', timeout: 60_000 });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('child msgget of the parent\'s key: ENOENT');
      expect(native.stdout).toContain('nobody: unshare(CLONE_NEWUTS): EPERM');
      const before = { files: snapshotHost(rootfs), host: hostname() };
      for (const { uid } of TSSC_USERS) {
        writeConfig(dir, { args: [`/bin/namespaces-${linkage}`, '/tmp'], extraCaps: ['CAP_SYS_ADMIN'] });
        expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
      }
      expect({ files: snapshotHost(rootfs), host: hostname() }).toEqual(before);
      expect(fixtureObjectsOnHost()).toEqual([]);
    });
  }

  /** The script natively: as root in a chroot of the rootfs (a mount, as the sandbox's root is), in mount, uts and ipc namespaces of its own with /proc, /dev/null and the bundle's hostname. */
  function nativeChroot(script: string) {
    const setup = 'mount --bind "$1" "$1" && mount -t proc proc "$1/proc" && mount -t tmpfs tmp "$1/tmp" && mount -t tmpfs dev "$1/dev" && touch "$1/dev/null" && mount --bind /dev/null "$1/dev/null" && hostname tssc-e2e && exec chroot "$1" /bin/sh -c "$2"';
    const result = spawnSync('unshare', ['--mount', '--uts', '--ipc', '--propagation', 'private', 'sh', '-c', setup, 'native', rootfs, script], { encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  const BUSYBOX_SCRIPT = [
    'unshare -u sh -c "hostname inner; hostname"; hostname',
    'unshare -m sh -c "mount -t tmpfs x /mnt && touch /mnt/f && ls /mnt && grep -c \' /mnt \' /proc/self/mountinfo"; grep -c " /mnt " /proc/self/mountinfo',
    'unshare -m -u -i sh -c "hostname both; mount -t tmpfs y /mnt; hostname; ls /mnt | wc -l"; hostname; ls /mnt',
    'unshare -n sh -c "cut -d: -f1 /proc/net/dev | tail -n +3"',
    'ls /proc/self/ns | tr "\\n" " "; echo',
    'readlink /proc/self/ns/uts | grep -c "^uts:\\[[0-9]*\\]$"',
    'unshare -u -i sh -c \'for ns in uts ipc mnt; do [ "$(readlink /proc/self/ns/$ns)" = "$(readlink /proc/$PPID/ns/$ns)" ] && echo "$ns same" || echo "$ns differs"; done\'',
    'mkfifo /tmp/go; unshare -u -m sh -c \'hostname held; mount -t tmpfs h /mnt; touch /mnt/in-held; echo $$ >/tmp/pid; cat /tmp/go\' & while [ ! -s /tmp/pid ]; do sleep 0.1; done',
    'nsenter -t "$(cat /tmp/pid)" -u hostname; nsenter -t "$(cat /tmp/pid)" -m -r ls /mnt; hostname; ls /mnt | wc -l',
    'echo >/tmp/go; wait',
  ].join('\n');

  it.skipIf(!isRoot)('busybox unshare as sandbox root gives the native output', () => {
    const native = nativeChroot(BUSYBOX_SCRIPT);
    expect(native.stdout).toContain('inner\ntssc-e2e\n');
    const before = { files: snapshotHost(rootfs), host: hostname() };
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', BUSYBOX_SCRIPT], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual(native);
    }
    expect({ files: snapshotHost(rootfs), host: hostname() }).toEqual(before);
  });

  it.skipIf(!isRoot)('names no host namespace in /proc/PID/ns', () => {
    // Every namespace number the host has, from every host process.
    const host = new Set(spawnSync('sh', ['-c', 'stat -L -c %i /proc/[0-9]*/ns/* 2>/dev/null'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean));
    expect(host.size).toBeGreaterThan(5);
    // Inside: every link of every process, one of them in four namespaces of its own.
    const script = [
      'mkfifo /tmp/go; unshare -u -i -n -m sh -c "echo \\$\\$ >/tmp/pid; cat /tmp/go" & while [ ! -s /tmp/pid ]; do sleep 0.1; done',
      'for f in /proc/[0-9]*/ns/*; do readlink "$f"; done | sed "s/.*\\[//; s/\\]//" | sort -u',
      'echo >/tmp/go; wait',
    ].join('\n');
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', script], extraCaps: ['CAP_SYS_ADMIN'] });
      const run = tsscRun(dir, [], runAs(dir, uid));
      expect(run.status).toBe(0);
      const inside = run.stdout.split('\n').filter(Boolean);
      // The sandbox's pid, user, time and cgroup namespaces, its first uts, ipc, net and mount ones, and the child's four.
      expect(inside.length).toBe(12);
      for (const ino of inside) expect(host.has(ino), ino).toBe(false);
    }
  });

  it('refuses namespaces without CAP_SYS_ADMIN (a user namespace needs none)', () => {
    const script = 'unshare -u true; echo "uts $?"; unshare -m true; echo "mnt $?"';
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', script] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: 'uts 1\nmnt 1\n', stderr: 'unshare: unshare(0x4000000): Operation not permitted\nunshare: unshare(0x20000): Operation not permitted\n' });
      writeConfig(dir, { args: ['sh', '-c', 'unshare -U true; echo "user $?"'], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: 'user 0\n', stderr: '' });
    }
  });
});

describe.skipIf(!isRoot)('util-linux unshare in the Debian userland', () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-namespaces-debian-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  it('gives the output of the host kernel doing the same', () => {
    const rootfs = debianRootfs(UTIL_LINUX);
    const script = [
      'unshare --mount --uts --ipc sh -c "hostname x; hostname; mount -t tmpfs t /tmp; findmnt -n -o SOURCE /tmp; ipcs -q | grep -c 0x"',
      'hostname; findmnt -n -o SOURCE /tmp; echo "outer $?"',
      'ipcmk -Q >/dev/null; ipcs -q | grep -c 0x; unshare --ipc sh -c "ipcs -q | grep -c 0x"',
      'setpriv --reuid=65534 --regid=65534 --clear-groups unshare --uts true; echo "nobody $?"',
      'mkfifo /tmp/go; unshare --uts --ipc sh -c "hostname held; ipcmk -Q >/dev/null; echo \\$\\$ >/tmp/pid; cat /tmp/go" & while [ ! -s /tmp/pid ]; do sleep 0.1; done',
      'nsenter --target "$(cat /tmp/pid)" --uts --ipc sh -c "hostname; ipcs -q | grep -c 0x"; hostname',
      'setpriv --reuid=65534 --regid=65534 --clear-groups nsenter --target "$(cat /tmp/pid)" --uts true 2>/dev/null; echo "nobody nsenter $?"',
      'echo >/tmp/go; wait',
    ].join('\n');
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script]);
    expect(native.stdout).toContain('x\n');
    expect(native.stdout).toContain('held\n1\ntssc-debian\nnobody nsenter 1\n');
    // As root with CAP_SYS_ADMIN, which the reference has too.
    const tssc = runInTssc(bundle, rootfs, ['/bin/sh', '-c', script], '', ROOT, ['CAP_SYS_ADMIN']);
    expect(tssc).toEqual(native);
  });
});
