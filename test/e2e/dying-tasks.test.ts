// What a dying or misbehaving task does, to the host and to the sentry, with tssc run by its
// own user and by nobody (setpriv, from a world-readable copy of the build): children killed
// by core-dumping signals give their parent Linux's wait status and no core file reaches the
// host; ids past 2^31 are ordinary ids; an internal error of the sentry (a fault the test
// injects) kills the process that hit it with SIGSYS, is logged once, and the sandbox goes
// on; a CLONE_FILES child's exit leaves its parent's fds alone. C fixtures print what they
// see, compared with their native output.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TSSC_USERS, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig, type BundleOptions, type RunOptions } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const UNLIMITED_CORE = { type: 'RLIMIT_CORE', hard: 2 ** 53 - 1, soft: 2 ** 53 - 1 };
const CORE_FILE = /^core(\.\d+)?$/;
/** The host's core_pattern: the native reference shows Linux's core bits only for a plain file pattern. */
const hostPattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
const hostPatternIsFile = !hostPattern.startsWith('|') && !hostPattern.startsWith('@') && !hostPattern.includes('/');

/** Every core file below dir (and a `core` in / itself, where a workload's host cwd is). */
function coreFiles(dirs: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (CORE_FILE.test(entry.name)) found.push(full);
    }
  };
  dirs.forEach(walk);
  return found;
}

function rootCoreStamp(): number | undefined {
  return existsSync('/core') ? statSync('/core').mtimeMs : undefined;
}

describe.skipIf(!hasBusybox() || !hasCompiler())('a dying or misbehaving task', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-dying-');
    const rootfs = makeRootfs(dir);
    for (const name of ['big-ids', 'core-status', 'sentry-fault', 'clone-files']) {
      binaries.set(name, installCProgram(rootfs, path.join(FIXTURES, `${name}.c`), name, 'static'));
    }
  });
  afterAll(() => removeDir(dir));

  /** A new scratch directory nobody may write in too (natively, for files and core files). */
  function workDir(prefix: string): string {
    const work = mkdtempSync(path.join(dir, prefix));
    chmodSync(work, 0o1777);
    return work;
  }

  /** The fixture run natively in cwd; the core files Linux writes there are removed. */
  function native(name: string, args: string[], cwd: string): string {
    const result = spawnSync(binaries.get(name)!, args, { encoding: 'utf8', timeout: 60_000, cwd });
    expect(result.status, result.stderr).toBe(0);
    for (const file of coreFiles([cwd])) rmSync(file);
    return result.stdout;
  }

  for (const user of TSSC_USERS) {
    describe(`with tssc run by ${user.name}`, () => {
      function run(config: BundleOptions, options: RunOptions = {}) {
        writeConfig(dir, config);
        return tsscRun(dir, [], { ...runAs(dir, user.uid), ...options });
      }

      it('uids and gids past 2^31 reach SIGCHLD, waitid, files, chown and getpriority as natively', () => {
        const expected = native('big-ids', [workDir('big-ids-')], dir);
        expect(expected).toContain('waitid: code 1 status 7 uid 3000000000');
        const sandboxed = run({ args: ['/bin/big-ids', '/tmp'] });
        expect(sandboxed.stderr).toBe('');
        expect(sandboxed.stdout).toBe(expected);
        expect(sandboxed.status).toBe(0);
      });

      it('children killed by core-dumping signals: Linux\'s wait status, and no core file on the host', () => {
        const cwd = workDir('core-native-');
        const expected = native('core-status', [], cwd);
        const tsscCwd = workDir('core-tssc-');
        const before = rootCoreStamp();
        const sandboxed = run({ args: ['/bin/core-status'], rlimits: [UNLIMITED_CORE] }, { cwd: tsscCwd });
        expect(sandboxed.stderr).toBe('');
        if (hostPatternIsFile) expect(sandboxed.stdout).toBe(expected);
        expect(sandboxed.stdout).toContain('segv limit 0: signal 11 core 0, waitid CLD_KILLED 11\n');
        expect(sandboxed.stdout).toContain('segv limit 1000: signal 11 core 0, waitid CLD_KILLED 11\n');
        expect(sandboxed.stdout).toContain('segv limit -1: signal 11 core 1, waitid CLD_DUMPED 11\n');
        expect(sandboxed.stdout).toContain('thread-segv limit -1: signal 11 core 1, waitid CLD_DUMPED 11\n');
        expect(sandboxed.status).toBe(0);
        expect(coreFiles([dir])).toEqual([]);
        expect(rootCoreStamp()).toBe(before);
      });

      it('an init killed by SIGSEGV ends tssc with 139 and leaves no core file', () => {
        const tsscCwd = workDir('init-core-');
        const before = rootCoreStamp();
        const sandboxed = run({ args: ['/bin/core-status', 'segv'], rlimits: [UNLIMITED_CORE] }, { cwd: tsscCwd });
        expect(sandboxed.status).toBe(139);
        expect(coreFiles([tsscCwd, path.join(dir, 'rootfs')])).toEqual([]);
        expect(rootCoreStamp()).toBe(before);
      });

      for (const [fault, mode] of [['handler:getppid', 'getppid'], ['async:getppid', 'getppid'], ['signal:10', 'usr1']] as const) {
        it(`an internal error (${fault}) kills that process with SIGSYS, is logged once, and the sandbox goes on`, () => {
          const log = path.join(workDir('log-'), 'tssc.log');
          const sandboxed = run({ args: ['/bin/sentry-fault', mode] }, { env: { TSSC_TEST_FAULT: fault }, globals: ['--log', log, '--log-format', 'json'] });
          expect(sandboxed.stdout).toBe('child: signal 31 core 0\nsecond child: exit 3\nparent: goes on\n');
          expect(sandboxed.status).toBe(0);
          const reports = sandboxed.stderr.split('\n').filter((line) => line.startsWith('tssc: internal error'));
          expect(reports).toHaveLength(1);
          expect(reports[0]).toMatch(/\(pid 2, tid 2\): Error: fault injected by TSSC_TEST_FAULT/);
          expect(sandboxed.stderr).toContain('; its process is killed with SIGSYS');
          const logged = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string });
          expect(logged).toHaveLength(1);
          expect(logged[0]!.level).toBe('error');
          expect(logged[0]!.msg).toContain('fault injected by TSSC_TEST_FAULT');
          expect(logged[0]!.msg).toMatch(/\n {4}at /);
        });
      }

      it('a CLONE_FILES child\'s exit, close and exec do to its parent\'s fds what they do natively', () => {
        const expected = native('clone-files', [], dir);
        expect(expected).toContain("after its exit: parent's own fd open, stdout open, the child's fd open\n");
        const sandboxed = run({ args: ['/bin/clone-files'] });
        expect(sandboxed.stderr).toBe('');
        expect(sandboxed.stdout).toBe(expected);
        expect(sandboxed.status).toBe(0);
      });

      it('an internal error in init ends the sandbox as a SIGSYS would (exit 159)', () => {
        const sandboxed = run({ args: ['/bin/sentry-fault', 'getppid'] }, { env: { TSSC_TEST_FAULT: 'handler:clone' } });
        expect(sandboxed.stdout).toBe('');
        expect(sandboxed.stderr).toMatch(/^tssc: internal error in clone \(pid 1, tid 1\)/);
        expect(sandboxed.status).toBe(159);
      });
    });
  }
});
