// The spec's linux.seccomp profile under `tssc run`, against the same profile installed on
// the host with libseccomp as runc installs it (fixtures/seccomp-install.c): every action
// (ERRNO with and without errnoRet, TRACE, LOG, TRAP with the seccomp siginfo, KILL_THREAD,
// KILL_PROCESS, ALLOW) and argument rule prints the same, static and dynamic, for calls
// the sentry traps and calls its filter lets through.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { ACTIONS_PROFILE, hasLibseccomp, nativeUnderProfile } from './seccomp-reference.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

describe.skipIf(!hasBusybox() || !hasCompiler() || !hasLibseccomp)('linux.seccomp profile', () => {
  let dir: string;
  let underProfile: string[];
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-seccomp-');
    const rootfs = makeRootfs(dir);
    for (const linkage of ['static', 'dynamic'] as const) {
      binaries.set(linkage, installCProgram(rootfs, path.join(FIXTURES, 'seccomp-actions.c'), `seccomp-actions-${linkage}`, linkage));
    }
    underProfile = nativeUnderProfile(dir, ACTIONS_PROFILE);
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it(`decides each call as libseccomp's filter does (${linkage})`, () => {
      const native = spawnSync(underProfile[0]!, [...underProfile.slice(1), binaries.get(linkage)!], { encoding: 'utf8', timeout: 30_000 });
      expect(native.stderr).toBe('');
      expect(native.status).toBe(0);
      writeConfig(dir, { args: [`/bin/seccomp-actions-${linkage}`], seccomp: ACTIONS_PROFILE });
      const sandboxed = tsscRun(dir);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(0);
    });
  }

  it('refuses SCMP_ACT_NOTIFY and a listener, naming the field', () => {
    writeConfig(dir, {
      args: ['/bin/true'],
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }] },
    });
    const run = tsscRun(dir);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('config.json: /linux/seccomp/listenerPath: is not supported: tssc enforces the profile in its sentry and has no seccomp agent to notify');
    expect(run.stderr).toContain('config.json: /linux/seccomp/syscalls/0/action: SCMP_ACT_NOTIFY is not supported');
    expect(run.stdout).toBe('');
  });
});
