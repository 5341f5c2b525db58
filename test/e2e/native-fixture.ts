// The house checks of a C fixture (test/e2e/fixtures/NAME.c): its static and dynamic
// builds print under `tssc run` what they print natively, and so does the static one with
// tssc run as nobody. Natively they need root (their parts as another user setuid).
import { expect, it } from 'vitest';
import { nativeAndSandboxed, runAs, TSSC_USERS, tsscRun } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;

/** Registers the checks; bundle gives the bundle dir and installFixtures' binaries once beforeAll has made them. */
export function itGivesTheNativeOutput(name: string, bundle: () => { dir: string; binaries: Map<string, string> }): void {
  for (const linkage of ['static', 'dynamic'] as const) {
    it.skipIf(!isRoot)(`${name} (${linkage}) gives the native output`, () => {
      const { dir, binaries } = bundle();
      const { native, sandboxed } = nativeAndSandboxed(dir, binaries, `${name}-${linkage}`);
      expect(native.status).toBe(0);
      expect(sandboxed).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }
  for (const user of TSSC_USERS.filter((u) => u.uid !== undefined)) {
    it.skipIf(!isRoot)(`${name} gives the native output with tssc run as ${user.name}`, () => {
      const { dir, binaries } = bundle();
      const { native } = nativeAndSandboxed(dir, binaries, `${name}-static`);
      expect(tsscRun(dir, [], runAs(dir, user.uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    });
  }
}
