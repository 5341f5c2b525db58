// Mounts inside the sandbox under `tssc run`, as sandbox root with CAP_SYS_ADMIN and no
// unshare: a C program (static and dynamic) makes the mount(2)/umount2(2) calls it makes
// natively in a private mount namespace and prints the same; busybox mount, umount and
// the mount listing; the same refused without CAP_SYS_ADMIN; and the host unchanged. As
// tssc's own user and as nobody.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotHost } from '../vfs/property-ops.js';
import { TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('mounts inside the sandbox', () => {
  let dir: string;
  let rootfs: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-mounts-');
    rootfs = makeRootfs(dir);
    mkdirSync(path.join(rootfs, 'mnt'));
    binaries = installFixtures(rootfs, ['mounts']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    // Natively the calls need root, in a mount namespace of their own.
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const scratch = path.join(dir, `native-${linkage}`);
      mkdirSync(scratch);
      const native = spawnSync('unshare', ['--mount', '--propagation', 'private', binaries.get(`mounts-${linkage}`)!, scratch], { encoding: 'utf8', timeout: 60_000 });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('umount with an open file: EBUSY');
      const before = snapshotHost(rootfs);
      for (const { uid } of TSSC_USERS) {
        writeConfig(dir, { args: [`/bin/mounts-${linkage}`, '/tmp'], extraCaps: ['CAP_SYS_ADMIN'] });
        expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
      }
      expect(snapshotHost(rootfs)).toEqual(before);
    });
  }

  /** The script natively: as root (or userspec) in a chroot of the rootfs, in a mount namespace of its own with /proc and a /tmp. */
  function nativeChroot(script: string, userspec?: string) {
    const chroot = `exec chroot ${userspec ? `--userspec=${userspec} ` : ''}"$1" /bin/sh -c "$2"`;
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t proc proc "$1/proc" && mount -t tmpfs tmp "$1/tmp" && ${chroot}`, 'native', rootfs, script], { encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  const BUSYBOX_SCRIPT = [
    'mount -t tmpfs -o size=64k,mode=750 x /mnt && touch /mnt/f && ls /mnt',
    'mount | grep " /mnt "',
    'mkdir /mnt/d /tmp/b && mount --bind /mnt/d /tmp/b && touch /tmp/b/through-bind && ls /mnt/d',
    'mount -o remount,ro,bind /tmp/b && touch /tmp/b/no; grep " /tmp/b " /proc/self/mountinfo | cut -d" " -f4-',
    'cd /tmp/b; umount /tmp/b; echo "busy $?"; cd /',
    'umount /tmp/b && umount /mnt && ls /mnt | wc -l',
    'mkdir /tmp/e && mount --bind /etc /tmp/e && ls /tmp/e/passwd && umount /tmp/e; echo "bind of the root\'s /etc $?"',
    'mount -t ext4 /dev/sda1 /mnt; echo "ext4 $?"',
    'mount -t tmpfs -o bogus x /mnt; echo "bogus $?"',
    'mount -t tmpfs x /nowhere; echo "nowhere $?"',
  ].join('\n');

  it.skipIf(!isRoot)('busybox mount, umount and the mount listing as sandbox root give the native output', () => {
    const native = nativeChroot(BUSYBOX_SCRIPT);
    expect(native.stdout).toContain('x on /mnt type tmpfs (rw,relatime,size=64k,mode=750)');
    const before = snapshotHost(rootfs);
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', BUSYBOX_SCRIPT], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual(native);
    }
    expect(snapshotHost(rootfs)).toEqual(before);
  });

  const REFUSED_SCRIPT = 'mount -t tmpfs x /mnt; echo "mount $?"; mount --bind /etc /mnt; echo "bind $?"; umount /proc; echo "umount $?"';

  it.skipIf(!isRoot)('refuses a user mount and umount as Linux does', () => {
    const native = nativeChroot(REFUSED_SCRIPT, '65534:65534');
    expect(native.stdout).toBe('mount 1\nbind 1\numount 1\n');
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', REFUSED_SCRIPT], uid: 65534, gid: 65534, extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual(native);
    }
  });

  for (const { name, uid } of TSSC_USERS) {
    it(`refuses root without CAP_SYS_ADMIN, and never unmounts the spec's mounts (tssc as ${name})`, () => {
      writeConfig(dir, { args: ['sh', '-c', REFUSED_SCRIPT] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({
        status: 0,
        stdout: 'mount 1\nbind 1\numount 1\n',
        stderr: ['mount: permission denied (are you root?)', 'mount: permission denied (are you root?)', "umount: can't unmount /proc: Operation not permitted", ''].join('\n'),
      });
      // With it, the spec's mounts stay: they are the sandbox's boundary.
      writeConfig(dir, { args: ['sh', '-c', 'umount /proc; umount -l /dev; echo "$?"; ls /proc/self/comm'], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({
        status: 0,
        stdout: '1\n/proc/self/comm\n',
        stderr: "umount: can't unmount /proc: Invalid argument\numount: can't unmount /dev: Invalid argument\n",
      });
    });
  }
});
