// signalfd under `tssc run`: a C program (static and dynamic) reads the signals it reads
// natively, with the siginfo the sandbox shows, through read, poll and epoll, across
// fork and exec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installFixtures, makeRootfs, nativeAndSandboxed, removeDir, scratchDir } from './busybox-bundle.js';

describe.skipIf(!hasBusybox() || !hasCompiler())('signalfd', () => {
  let dir: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-signalfd-');
    binaries = installFixtures(makeRootfs(dir), ['signalfd']);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it(`the ${linkage} program reads what it reads natively`, () => {
      const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `signalfd-${linkage}`);
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('epoll, a signal from a child: 1 data 9\n');
      expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }
});
