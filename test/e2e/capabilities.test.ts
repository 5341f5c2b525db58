// The capability model under `tssc run` as natively (capabilities(7), credentials(7)): a C
// program walks setuid/setresuid/setfsuid, keepcaps, securebits, ambient and bounding
// sets, capget/capset and execve of plain, setuid-root, setgid and file-capability copies
// of itself (also under no_new_privs), printing ids and sets; static and dynamic, the
// sandbox prints what the host's kernel prints for the same program run as root in a
// private scratch directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures', 'caps-transitions.c');
const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasBusybox() || !hasCompiler() || !isRoot)('capability transitions', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-caps-');
    const rootfs = makeRootfs(dir);
    for (const linkage of ['static', 'dynamic'] as const) {
      binaries.set(linkage, installCProgram(rootfs, FIXTURE, `caps-${linkage}`, linkage));
    }
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it(`prints the native ids and capability sets (${linkage})`, () => {
      const scratch = path.join(dir, `native-${linkage}`);
      mkdirSync(scratch, { mode: 0o755 });
      const native = spawnSync(binaries.get(linkage)!, [scratch], { encoding: 'utf8', timeout: 30_000 });
      expect(native.status).toBe(0);
      writeConfig(dir, { args: [`/bin/caps-${linkage}`, '/tmp'] });
      const sandboxed = tsscRun(dir);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(0);
    });
  }
});
