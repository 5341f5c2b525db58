// openat2(2) under `tssc run`: a C program (static and dynamic) prints, call by call, what
// it prints natively: the struct open_how size rules, the flag and mode checks, and every
// RESOLVE_* flag (BENEATH, IN_ROOT, NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV, CACHED) on a
// small tree. As tssc's own user and as nobody.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, nativeAndSandboxed, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('openat2', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-openat2-');
    binaries = installFixtures(makeRootfs(dir), ['openat2']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it(`the ${linkage} program gives the native output`, () => {
      const scratch = path.join(dir, `native-${linkage}`);
      mkdirSync(scratch);
      const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `openat2-${linkage}`, { nativeArgs: [scratch], sandboxArgs: ['/tmp'] });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('beneath link-up: EXDEV');
      expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }

  for (const { name, uid } of TSSC_USERS.filter((user) => user.uid !== undefined)) {
    it(`gives the same output with tssc run as ${name}`, () => {
      const scratch = path.join(dir, 'native-again');
      mkdirSync(scratch);
      const { native } = nativeAndSandboxed(dir, binaries, 'openat2-static', { nativeArgs: [scratch], sandboxArgs: ['/tmp'] });
      writeConfig(dir, { args: ['/bin/openat2-static', '/tmp'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }
});
