// File capabilities from the bundle's rootfs: a copy of grep that setcap (on the host) gave
// cap_net_bind_service+ep runs with that capability for a non-root sandbox user, as
// natively; getcap inside shows it; setcap inside gives another file capabilities the same
// way. The root read-only (the host files themselves) and writable (the overlay over them).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { runInChroot, runInTssc, type SandboxUser } from '../fixtures/debian-sandbox.js';
import { TSSC_USERS, hasBusybox, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;
const canSetcap = existsSync('/usr/sbin/setcap');
const USER: SandboxUser = { uid: 1000, gid: 1000, additionalGids: [] };

describe.skipIf(!isRoot || !canSetcap)('file capabilities from the rootfs', () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-file-caps-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  it('gives a non-root exec the capabilities setcap left in the rootfs, as natively', () => {
    const rootfs = debianRootfs({ programs: ['sh', 'grep', 'cut', 'getcap', 'setcap'], trees: [] });
    const capgrep = path.join(rootfs, 'usr', 'bin', 'capgrep');
    copyFileSync(path.join(rootfs, 'usr', 'bin', 'grep'), capgrep);
    execFileSync('setcap', ['cap_net_bind_service+ep', capgrep]);
    const script = 'capgrep CapEff /proc/self/status; grep CapEff /proc/self/status; getcap /usr/bin/capgrep | cut -d" " -f2-';
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script], '', USER);
    expect(native.stdout).toBe('CapEff:\t0000000000000400\nCapEff:\t0000000000000000\ncap_net_bind_service=ep\n');
    expect(runInTssc(bundle, rootfs, ['/bin/sh', '-c', script], '', USER)).toEqual(native);
  });
});

describe.skipIf(!isRoot || !canSetcap || !hasBusybox())('file capabilities under the overlay', () => {
  let dir: string;
  afterAll(() => removeDir(dir));

  it('reach a non-root exec through the writable root, as tssc\'s user and as nobody', () => {
    dir = scratchDir('tssc-file-caps-');
    const rootfs = makeRootfs(dir);
    // Named busybox, so that it runs the applet its first argument names.
    mkdirSync(path.join(rootfs, 'cap'));
    copyFileSync(path.join(rootfs, 'bin', 'busybox'), path.join(rootfs, 'cap', 'busybox'));
    execFileSync('setcap', ['cap_net_bind_service,cap_chown+ep', path.join(rootfs, 'cap', 'busybox')]);
    const script = 'mount -t proc proc "$1/proc" && exec chroot --userspec=1000:1000 "$1" /cap/busybox grep CapEff /proc/self/status';
    const native = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'native', rootfs], { encoding: 'utf8' });
    expect(native.stdout).toBe('CapEff:\t0000000000000401\n');
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['/cap/busybox', 'grep', 'CapEff', '/proc/self/status'], uid: 1000, gid: 1000 });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    }
  });
});
