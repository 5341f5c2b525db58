// User namespaces inside the sandbox (user_namespaces(7)): a C program (static and dynamic)
// prints under `tssc run` what it prints natively as root in a private mount namespace,
// from both sides (the maps and their write rules, ids at every boundary, the capabilities
// of a namespace's creator, and what they must not reach: the sandbox's uts name, a root
// file, a task outside, locked mounts, the namespaces it left); util-linux's `unshare -r`,
// `unshare -U` and `unshare -Urm` as an unprivileged sandbox user give what the host kernel
// gives; and no host user namespace is ever made.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotHost } from '../vfs/property-ops.js';
import { TSSC_USERS, childrenOf, finished, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, tsscStart, waitForOutput, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { runInTssc } from '../fixtures/debian-sandbox.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('user namespaces inside the sandbox', () => {
  let dir: string;
  let rootfs: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-userns-');
    rootfs = makeRootfs(dir);
    binaries = installFixtures(rootfs, ['userns']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const scratch = mkdtempSync(path.join(dir, `native-${linkage}-`));
      spawnSync('chmod', ['755', scratch]);
      const native = spawnSync('unshare', ['--mount', '--propagation', 'private', binaries.get(`userns-${linkage}`)!, scratch], { encoding: 'utf8', timeout: 60_000 });
      expect(native.status).toBe(0);
      // The attacker's side, natively: all refused.
      expect(native.stdout).toContain('open of root\'s 0600 secret: EACCES\n');
      expect(native.stdout).toContain('umount of an inherited mount: EINVAL\n');
      expect(native.stdout).toContain('ptrace attach of a parent-namespace task of its user: EPERM\n');
      expect(native.stdout).toContain('nested user namespaces below the first: 33, then ENOSPC\n');
      const before = snapshotHost(rootfs);
      for (const { uid } of TSSC_USERS) {
        writeConfig(dir, { args: [`/bin/userns-${linkage}`, '/tmp'], extraCaps: ['CAP_SYS_ADMIN'] });
        expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
      }
      expect(snapshotHost(rootfs)).toEqual(before);
    });
  }

  it('makes no host user namespace: every task stays in tssc\'s own', async () => {
    const script = 'unshare -r sh -c "readlink /proc/self/ns/user; echo ready; cat"';
    writeConfig(dir, { args: ['sh', '-c', script], uid: 1000, gid: 1000 });
    const child = tsscStart(dir, `userns-${process.pid}`);
    const done = finished(child);
    await waitForOutput(child, 'ready');
    const tracees = childrenOf(child.pid!);
    expect(tracees.length).toBeGreaterThan(0);
    const host = readlinkSync('/proc/self/ns/user');
    for (const pid of tracees) expect(readlinkSync(`/proc/${pid}/ns/user`)).toBe(host);
    child.stdin.end();
    const { code, stdout } = await done;
    expect(code).toBe(0);
    // The namespace inside has a number of the sandbox's, not the host's.
    expect(stdout).toMatch(/^user:\[\d+\]\nready\n$/);
    expect(stdout).not.toContain(host);
  });
});

describe.skipIf(!isRoot)('util-linux unshare as an unprivileged sandbox user', () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-userns-debian-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  it('gives the output of the host kernel doing the same', () => {
    const rootfs = debianRootfs({ programs: ['sh', 'id', 'ls', 'touch', 'mount', 'unshare', 'cat', 'hostname', 'umount', 'tail', 'cut', 'nsenter', 'sleep', 'mktemp', 'rm', 'grep'], trees: [] });
    mkdirSync(path.join(rootfs, 'mnt'), { recursive: true });
    const script = [
      'id -u; id -g',
      'unshare -r id -u',
      'unshare -r id -g',
      'unshare -U id -u',
      'unshare -r cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups',
      'unshare -Urm sh -c "mount -t tmpfs x /mnt && touch /mnt/f && ls -ln /mnt | tail -n +2 | cut -d\\" \\" -f1-4"',
      'unshare -r hostname escaped; echo "hostname $?"',
      'unshare -r --map-user=0 --map-group=0 id -u',
      // nsenter into a user namespace its owner made: every capability there, uid 0 (without
      // --preserve-credentials it fails natively too: setgroups is denied in that namespace).
      'd=$(mktemp -d); unshare -r sh -c "echo \\$\\$ >$d/pid; exec sleep 30" & while [ ! -s $d/pid ]; do sleep 0.1; done',
      'nsenter -U -t "$(cat $d/pid)" id -u; nsenter -U --preserve-credentials -t "$(cat $d/pid)" sh -c "id -u; grep CapEff /proc/self/status"; kill $!; wait; rm -r $d',
    ].join('\n');
    const native = spawnSync('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', 'sh', '-c', script], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
    expect(native.stdout).toContain('0\n0\n65534\n');
    expect(native.stdout).toMatch(/\n0\nCapEff:\t000001ffffffffff\n$/);
    const tssc = runInTssc(bundle, rootfs, ['/bin/sh', '-c', script], '', { uid: 1000, gid: 1000, additionalGids: [] });
    expect(tssc).toEqual({ status: native.status, stdout: native.stdout, stderr: native.stderr });
  });
});
