// A static C program that walks through the file, fd, pipe, lock and readiness syscalls
// prints what it sees; under `tssc run` it must see exactly what it sees natively.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const SOURCE = path.join(import.meta.dirname, 'fixtures', 'files-probe.c');

function hasStaticGcc(): boolean {
  return spawnSync('gcc', ['--version']).status === 0;
}

describe.skipIf(!hasBusybox() || !hasStaticGcc())('files probe: native and sandboxed agree', () => {
  let dir = '';
  let probe = '';

  beforeAll(() => {
    dir = scratchDir('tssc-e2e-probe-');
    probe = path.join(dir, 'files-probe');
    execFileSync('gcc', ['-O1', '-static', '-o', probe, SOURCE]);
    const rootfs = makeRootfs(dir);
    copyFileSync(probe, path.join(rootfs, 'bin', 'files-probe'));
  });
  afterAll(() => removeDir(dir));

  it('prints the same results and errno values', () => {
    const nativeCwd = path.join(dir, 'native-cwd');
    mkdirSync(nativeCwd);
    const native = execFileSync(probe, { cwd: nativeCwd, encoding: 'utf8' });
    expect(existsSync(path.join(nativeCwd, 'f'))).toBe(true);
    writeConfig(dir, { args: ['/bin/files-probe'], cwd: '/tmp' });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.status).toBe(0);
    expect(sandboxed.stdout).toBe(native);
    // The sandbox wrote to its memory overlay, not to the bundle's rootfs.
    expect(existsSync(path.join(dir, 'rootfs', 'tmp', 'f'))).toBe(false);
  });
});
