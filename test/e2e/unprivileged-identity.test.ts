// The capability model and the spec's seccomp profile when tssc itself runs as nobody
// (setpriv, from a world-readable copy of the build): the sandbox's root, its capabilities,
// setuid files and file capabilities are the sentry's alone, so the fixtures print what
// they print natively as root.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS_PROFILE, hasLibseccomp, nativeUnderProfile } from './seccomp-reference.js';
import { REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig } from './busybox-bundle.js';

const NOBODY = 65534;
const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

describe.skipIf(!hasBusybox() || !hasCompiler() || !canSetpriv || !hasLibseccomp)('capabilities and seccomp profiles as nobody', () => {
  let dir: string;
  let copy: string;
  let states: string;

  beforeAll(() => {
    dir = scratchDir('tssc-unpriv-ident-');
    const rootfs = makeRootfs(dir);
    installCProgram(rootfs, path.join(FIXTURES, 'caps-transitions.c'), 'caps', 'static');
    installCProgram(rootfs, path.join(FIXTURES, 'seccomp-actions.c'), 'seccomp-actions', 'static');
    copy = worldReadableCopy(path.join(dir, 'tssc'));
    states = path.join(dir, 'states');
    mkdirSync(states);
    chmodSync(states, 0o1777);
  });
  afterAll(() => removeDir(dir));

  const asNobody = (name: string) => tsscRun(dir, [], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(states, name) });

  it('gives capability transitions the native output', () => {
    const scratch = path.join(dir, 'native-caps');
    mkdirSync(scratch, { mode: 0o755 });
    const native = spawnSync(path.join(dir, 'rootfs', 'bin', 'caps'), [scratch], { encoding: 'utf8', timeout: 30_000 });
    expect(native.status).toBe(0);
    writeConfig(dir, { args: ['/bin/caps', '/tmp'] });
    const sandboxed = asNobody('caps');
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
  });

  it('enforces a seccomp profile as libseccomp does natively', () => {
    const underProfile = nativeUnderProfile(dir, ACTIONS_PROFILE);
    const native = spawnSync(underProfile[0]!, [...underProfile.slice(1), path.join(dir, 'rootfs', 'bin', 'seccomp-actions')], { encoding: 'utf8', timeout: 30_000 });
    expect(native.status).toBe(0);
    writeConfig(dir, { args: ['/bin/seccomp-actions'], seccomp: ACTIONS_PROFILE });
    const sandboxed = asNobody('seccomp');
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
  });
});
