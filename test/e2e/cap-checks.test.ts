// Every privilege check asks for the capability Linux asks for, never for uid 0: a C
// program tries each (DAC_OVERRIDE, DAC_READ_SEARCH, CHOWN, FOWNER, FSETID, SETUID, SETGID,
// KILL, SYS_ADMIN, SYS_CHROOT, MKNOD, SYS_RESOURCE, SETPCAP, SETFCAP) as root without the
// capability and as uid 1000 holding only it, under `tssc run` and natively as root with
// the same capability set; the rootfs on the host is unchanged afterwards.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAP_NAMES } from '../../src/abi/linux-capability.js';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures', 'cap-checks.c');
const isRoot = process.getuid?.() === 0;

/** The capabilities this process holds (CapPrm), by OCI name. */
function heldCapabilities(): string[] {
  const line = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  const mask = BigInt(`0x${line}`);
  return CAP_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n).map((name) => `CAP_${name}`);
}

function snapshot(rootfs: string): string[] {
  return readdirSync(rootfs, { recursive: true, encoding: 'utf8' }).sort().map((p) => {
    const st = statSync(path.join(rootfs, p), { throwIfNoEntry: false });
    return `${p} ${st?.mode} ${st?.uid} ${st?.size}`;
  });
}

describe.skipIf(!hasBusybox() || !hasCompiler() || !isRoot)('capability checks', () => {
  let dir: string;
  let rootfs: string;
  let binary: string;

  beforeAll(() => {
    dir = scratchDir('tssc-capchecks-');
    rootfs = makeRootfs(dir);
    mkdirSync(path.join(rootfs, 'scratch'), { mode: 0o755 });
    binary = installCProgram(rootfs, FIXTURE, 'cap-checks', 'static');
  });
  afterAll(() => removeDir(dir));

  it('refuses and grants each operation as Linux does, leaving the host rootfs alone', () => {
    const scratch = path.join(dir, 'native');
    mkdirSync(scratch, { mode: 0o755 });
    const native = spawnSync(binary, [scratch], { encoding: 'utf8', timeout: 30_000 });
    expect(native.status).toBe(0);
    const before = snapshot(rootfs);
    writeConfig(dir, { args: ['/bin/cap-checks', '/scratch'], caps: heldCapabilities() });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
    expect(sandboxed.status).toBe(0);
    expect(snapshot(rootfs)).toEqual(before);
  });

  it('raises a hard rlimit only with CAP_SYS_RESOURCE', () => {
    writeConfig(dir, { args: ['/bin/cap-checks', '/scratch'], caps: ['CAP_SYS_RESOURCE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_CHOWN'] });
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stdout).toContain([
      'root without SYS_RESOURCE:', '  lower hard NOFILE: ok', '  raise hard NOFILE: EPERM',
      'uid 1000 with SYS_RESOURCE:', '  lower hard NOFILE: ok', '  raise hard NOFILE: ok',
    ].join('\n'));
    expect(sandboxed.status).toBe(0);
  });
});
