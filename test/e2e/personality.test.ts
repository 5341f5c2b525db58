// personality(2) under `tssc run`: a C program (static and dynamic) prints what it prints
// natively (the query, ADDR_NO_RANDOMIZE kept by fork and exec, PER_LINUX32 in uname, the
// flags PER_CLEAR_ON_SETID names cleared by a setuid exec), as tssc's own user and as
// nobody; and util-linux's `setarch -R` really lays programs out without randomization:
// /proc/self/maps is the same in two runs, as natively, and differs without it.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { runInChroot, runInTssc } from '../fixtures/debian-sandbox.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('personality', () => {
  let dir: string;
  let rootfs: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-personality-');
    rootfs = makeRootfs(dir);
    binaries = installFixtures(rootfs, ['personality']);
    for (const linkage of ['static', 'dynamic']) {
      const copy = path.join(rootfs, 'bin', `personality-${linkage}-setuid`);
      copyFileSync(binaries.get(`personality-${linkage}`)!, copy);
      chmodSync(copy, 0o4755);
    }
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    // Natively as root: the setuid copy is run as uid 65534.
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const program = binaries.get(`personality-${linkage}`)!;
      const native = spawnSync(program, [`${program}-setuid`], { encoding: 'utf8', timeout: 60_000 });
      expect(native.stdout).toContain('setuid exec: 0x20000');
      for (const { uid } of TSSC_USERS) {
        writeConfig(dir, { args: [`/bin/personality-${linkage}`, `/bin/personality-${linkage}-setuid`] });
        expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: native.status, stdout: native.stdout, stderr: native.stderr });
      }
    });
  }
});

describe.skipIf(!isRoot)('setarch in the Debian userland', () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-personality-debian-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  it('lays programs out without randomization under setarch -R, as natively', () => {
    const rootfs = debianRootfs({ programs: ['sh', 'cat', 'cmp', 'echo', 'setarch', 'uname'], trees: [] });
    const script = [
      'setarch x86_64 -R cat /proc/self/maps >/tmp/a; setarch x86_64 -R cat /proc/self/maps >/tmp/b; cmp -s /tmp/a /tmp/b && echo "-R: the same maps"',
      'cat /proc/self/maps >/tmp/c; cat /proc/self/maps >/tmp/d; cmp -s /tmp/c /tmp/d || echo "without: different maps"',
      'setarch x86_64 -R cat /proc/self/personality',
      'setarch linux32 uname -m',
    ].join('\n');
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script]);
    expect(native.stdout).toBe('-R: the same maps\nwithout: different maps\n00040000\ni686\n');
    expect(runInTssc(bundle, rootfs, ['/bin/sh', '-c', script])).toEqual(native);
  });
});
