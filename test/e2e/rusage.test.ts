// The CPU time a parent sees of its children under `tssc run` (wait4's rusage,
// RUSAGE_CHILDREN, times()), which the host cannot give: it reaps every task to the sentry.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures', 'rusage.c');

describe.skipIf(!hasBusybox() || !hasCompiler())('CPU time of children', () => {
  let dir: string;
  let binary: string;

  beforeAll(() => {
    dir = scratchDir('tssc-rusage-');
    binary = installCProgram(makeRootfs(dir), FIXTURE, 'rusage', 'static');
  });
  afterAll(() => removeDir(dir));

  it('wait4, getrusage(RUSAGE_CHILDREN) and times() count what children and grandchildren used, as natively', () => {
    const native = spawnSync(binary, [], { encoding: 'utf8', timeout: 30_000 });
    expect(native.stdout).toContain('RUSAGE_CHILDREN >= 0.3 s: yes, equals wait4\'s: yes');
    writeConfig(dir, { args: ['/bin/rusage'] });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
    expect(sandboxed.status).toBe(0);
  });
});
