// The syscall fuzzer's fixed budget in CI (bench/fuzz.mjs runs it for minutes): random
// system calls with hostile arguments from several processes and threads, as root and as
// nobody, each run judged from outside (test/fixtures/fuzz-harness.mjs): the sentry ends
// with the workload's status, reports no internal error, leaves no process behind, and no
// host file changes. A failing seed replays with `node bench/fuzz.mjs --seed N --runs 1`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareFuzzBundle, runFuzz } from '../fixtures/fuzz-harness.mjs';
import { REPO, hasBusybox, hasCompiler, removeDir, scratchDir, worldReadableCopy } from './busybox-bundle.js';

const SEEDS = [1, 2, 3, 4, 5, 6];
const BUDGET = { calls: 1500, processes: 3, threads: 3 };
const NOBODY = 65534;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('the syscall fuzzer', () => {
  let dir: string;

  beforeAll(() => {
    dir = scratchDir('tssc-fuzz-');
    prepareFuzzBundle(dir);
  });
  afterAll(() => removeDir(dir));

  for (const seed of SEEDS) {
    it(`seed ${seed}: the sentry holds, nothing outlives it, no host file changes`, () => {
      // Odd seeds get the host's /dev/null as stdin: fd 0 is then a host file.
      const stdinFile = seed % 2 ? '/dev/null' : undefined;
      const result = runFuzz(dir, { tssc: path.join(REPO, 'bin', 'tssc.js'), seed, stdinFile, ...BUDGET });
      expect(result.problems, `seed ${seed}; stderr ends: ${result.stderr.slice(-2000)}`).toEqual([]);
      expect(result.summary).toMatch(/3 processes of 3 threads/);
    });
  }

  it.skipIf(!canSetpriv)('holds as nobody too', () => {
    const copy = worldReadableCopy(path.join(dir, 'tssc'));
    const states = path.join(dir, 'states');
    mkdirSync(states, { recursive: true });
    chmodSync(states, 0o1777);
    for (const seed of [101, 102]) {
      const result = runFuzz(dir, { tssc: path.join(copy, 'bin', 'tssc.js'), seed, asUser: NOBODY, stateDir: path.join(states, String(seed)), ...BUDGET });
      expect(result.problems, `seed ${seed} as nobody; stderr ends: ${result.stderr.slice(-2000)}`).toEqual([]);
    }
  });
});
