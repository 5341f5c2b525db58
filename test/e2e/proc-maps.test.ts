// /proc/PID/maps under `tssc run`: the sandbox's names for what a program mapped (its own
// file, its libraries, files it mmaps), the kernel's own regions, and nothing of the host's
// paths (the stub, the bundle, host memfds).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures', 'proc-maps.c');
const LINKAGES = ['static', 'dynamic'] as const;

describe.skipIf(!hasBusybox() || !hasCompiler())('/proc/self/maps', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-proc-maps-');
    const rootfs = makeRootfs(dir);
    for (const linkage of LINKAGES) binaries.set(linkage, installCProgram(rootfs, FIXTURE, `proc-maps-${linkage}`, linkage));
  });
  afterAll(() => removeDir(dir));

  for (const linkage of LINKAGES) {
    it(`names the program, mapped files, [stack] and [vdso]; pthread_getattr_np finds the main stack (${linkage})`, () => {
      const native = spawnSync(binaries.get(linkage)!, [path.join(dir, 'rootfs', 'data', 'fruits.txt')], { encoding: 'utf8' });
      expect(native.stdout).not.toContain('no');
      writeConfig(dir, { args: [`/bin/proc-maps-${linkage}`, '/data/fruits.txt'] });
      const sandboxed = tsscRun(dir);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
    });
  }

  it('shows no host path: only sandbox paths and the kernel\'s [names]', () => {
    writeConfig(dir, { args: ['sh', '-c', 'cat /proc/self/maps'] });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.status).toBe(0);
    const names = sandboxed.stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/)[5] ?? '');
    expect(names).toContain('/bin/busybox');
    for (const name of names) expect(name === '' || name.startsWith('[') || (name.startsWith('/') && !name.includes(dir))).toBe(true);
    expect(sandboxed.stdout).not.toContain('tssc-stub');
  });
});
