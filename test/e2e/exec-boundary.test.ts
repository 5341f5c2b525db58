// The calls the sentry makes the host kernel run in a task (the exec of the stub, the
// calls of a shared mapping, a filter of the workload's), attacked as a hostile workload
// would, as root and as nobody (docs/security.md, "Exec and the calls the sentry makes in
// a task"): siblings rewriting what the kernel is about to read, a page made
// non-executable under the sentry's calls, a program loaded over the stub, filters that
// would hand calls to a listener or a tracer. Each attack fails, the sandbox ends with
// the status Linux would give it, and its sentry still answers `tssc kill`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig, type RunResult } from './busybox-bundle.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const NOBODY = 65534;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const EXEC_ATTEMPTS = 30;
const MAPPINGS = 300;
const FILTER_RACES = 60;
/** Where the stub sits (native/ptrace/binding.gyp): on it, on its code page, on its exec page, just below it. */
const AT_STUB = '7e0000000000';
const ON_STUB = '7e0000001000';
const ON_EXEC_PAGE = '7e0000002000';
const BELOW_STUB = '7dffffffe000';

interface Runner {
  name: string;
  run(dir: string, extra?: string[]): RunResult;
  /** `tssc run` in the background. */
  start(dir: string, id: string): ChildProcess;
  /** `tssc kill ID SIGNAL`. */
  kill(dir: string, id: string, signal: string): void;
}

let counter = 0;

function runners(dir: string): Runner[] {
  const root: Runner = {
    name: 'root',
    run: (bundle, extra) => tsscRun(bundle, extra),
    start: (bundle, id) => spawn(process.execPath, [path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(bundle, 'state'), 'run', '--bundle', bundle, id]),
    kill: (bundle, id, signal) => {
      execFileSync(process.execPath, [path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(bundle, 'state'), 'kill', id, signal]);
    },
  };
  if (!canSetpriv) return [root];
  const copy = path.join(dir, 'tssc');
  const states = path.join(dir, 'states');
  const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, path.join(copy, 'bin', 'tssc.js'), '--root', path.join(states, 'nobody')];
  const nobody: Runner = {
    name: 'nobody',
    run: (bundle, extra) => tsscRun(bundle, extra, { tsscDir: copy, asUser: NOBODY, stateDir: path.join(states, `nobody-${counter++}`) }),
    start: (bundle, id) => spawn(asNobody[0]!, [...asNobody.slice(1), 'run', '--bundle', bundle, id]),
    kill: (_bundle, id, signal) => {
      execFileSync(asNobody[0]!, [...asNobody.slice(1), 'kill', id, signal]);
    },
  };
  return [root, nobody];
}

/** Runs the bundle in the background until it prints "ready", then `tssc kill ID USR1`. */
function runThenKill(runner: Runner, dir: string, id: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return untilReady(runner.start(dir, id), () => runner.kill(dir, id, 'USR1'));
}

/** A fixture natively, until it prints "ready"; then SIGUSR1. */
function nativeUntilReady(program: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(program, args);
  return untilReady(child, () => child.kill('SIGUSR1'));
}

async function untilReady(child: ChildProcess, kill: () => void): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "ready" after 90 s: ${stdout} ${stderr}`)), 90_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  kill();
  const code = await ended;
  return { stdout, stderr, code };
}

describe.skipIf(!hasBusybox() || !hasCompiler())('exec and the calls the sentry makes in a task, attacked', () => {
  let dir = '';
  let rootfs = '';
  let marker = '';

  beforeAll(() => {
    dir = scratchDir('tssc-boundary-');
    rootfs = makeRootfs(dir);
    for (const name of ['exec-race', 'inject-race', 'seccomp-filters', 'exec-errno']) {
      installCProgram(rootfs, path.join(FIXTURES, `${name}.c`), name, 'static');
    }
    for (const address of [AT_STUB, ON_STUB, ON_EXEC_PAGE, BELOW_STUB]) {
      execFileSync('gcc', ['-static', '-nostdlib', `-Wl,-Ttext-segment=0x${address}`, '-Wl,--build-id=none', '-o', path.join(rootfs, 'bin', `at-${address}`), path.join(FIXTURES, 'at-address.S')]);
    }
    // A host executable outside the rootfs: if the host kernel ever ran it, it would exit 77.
    mkdirSync(path.join(dir, 'host'));
    marker = path.join(dir, 'host', 'marker');
    execFileSync('gcc', ['-static', '-nostdlib', '-o', marker, '-x', 'assembler', '-'], { input: '.globl _start\n_start: mov $231, %eax\n mov $77, %edi\n syscall\n' });
    expect(spawnSync(marker).status).toBe(77);
    if (canSetpriv) {
      worldReadableCopy(path.join(dir, 'tssc'));
      mkdirSync(path.join(dir, 'states'));
      chmodSync(path.join(dir, 'states'), 0o1777);
    }
  });
  afterAll(() => removeDir(dir));

  const users = canSetpriv ? ['root', 'nobody'] : ['root'];
  for (const [index, user] of users.entries()) {
    const runner = (): Runner => runners(dir)[index]!;

    for (const [how, flags, page] of [['sealed exec page', [], 'yes'], ['frozen address space (no mseal)', ['--no-seal'], 'no']] as const) {
      it(`never lets the host kernel exec a path a sibling rewrites (thread, vfork, shared stack), ${how}, as ${user}`, () => {
        writeConfig(dir, { args: ['/bin/exec-race', ...flags, marker, String(EXEC_ATTEMPTS)] });
        const result = runner().run(dir);
        expect(result.stderr).toBe('');
        const attacks = ['thread', 'vfork', 'shared'].map((mode) => `${mode}: true ${EXEC_ATTEMPTS}, marker 0, other 0\n`);
        expect(result.stdout).toBe([`exec page: ${page}\n`, ...attacks].join(''));
        expect(result.status).toBe(0);
      });
    }

    it(`refuses a program loaded over the stub with ENOEXEC, runs one just below it, as ${user}`, () => {
      for (const [address, expected] of [[AT_STUB, 'Exec format error'], [ON_STUB, 'Exec format error'], [ON_EXEC_PAGE, 'Exec format error'], [BELOW_STUB, '']] as const) {
        const program = `/bin/at-${address}`;
        // Linux runs each of them.
        expect(spawnSync(path.join(rootfs, program)).status).toBe(0);
        writeConfig(dir, { args: ['/bin/exec-errno', program] });
        const result = runner().run(dir);
        expect(result.stderr).toBe('');
        expect(result.stdout).toBe(expected ? `${program}: ${expected}\n` : '');
        expect(result.status).toBe(expected ? 126 : 0);
      }
      writeConfig(dir, { args: [`/bin/at-${AT_STUB}`] });
      const asInit = runner().run(dir);
      expect(asInit.stderr).toContain(`/bin/at-${AT_STUB}: ENOEXEC: Exec format error (a loadable segment overlaps the sandbox stub)`);
      expect(asInit.status).not.toBe(0);
    });

    it(`keeps mapping files while a thread makes the caller's code page non-executable, and takes tssc kill, as ${user}`, async () => {
      const native = await nativeUntilReady(path.join(rootfs, 'bin', 'inject-race'), [path.join(dir, 'host'), String(MAPPINGS)]);
      expect(native.stdout).toBe(`mapped ${MAPPINGS} of ${MAPPINGS}\nready\ngot USR1\n`);
      writeConfig(dir, { args: ['/bin/inject-race', '/tmp', String(MAPPINGS)] });
      const result = await runThenKill(runner(), dir, `inject-${process.pid}-${user}`);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`mapped ${MAPPINGS} of ${MAPPINGS}\nready\ngot USR1\n`);
      expect(result.code).toBe(0);
    });

    it(`installs only filters that cannot hand calls to a listener or a tracer, from its own copy, as ${user}`, async () => {
      writeConfig(dir, { args: ['/bin/seccomp-filters', '/tmp', String(FILTER_RACES)] });
      const result = await runThenKill(runner(), dir, `filters-${process.pid}-${user}`);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      const swapped = lines.find((line) => line.startsWith('swapped program:'));
      expect(swapped).toMatch(/, trace installed 0$/);
      expect(lines.filter((line) => line !== swapped).join('\n')).toBe(SANDBOXED_FILTERS);
    });
  }

  it('answers what Linux answers for the filters the sandbox installs (native reference)', async () => {
    const child = await nativeUntilReady(path.join(rootfs, 'bin', 'seccomp-filters'), [path.join(dir, 'host'), '1']);
    const native = new Map(child.stdout.split('\n').map((line) => [line.split(':')[0]!, line] as const));
    const sandboxed = SANDBOXED_FILTERS.split('\n');
    for (const line of sandboxed) {
      const key = line.split(':')[0]!;
      if (SANDBOX_ONLY.some((differs) => key.startsWith(differs))) continue;
      expect(native.get(key), key).toBe(line);
    }
  });
});

/** What the sandbox answers, in the fixture's order (the race's counts apart). */
const SANDBOXED_FILTERS = [
  'flag 1 with no program: Bad address',
  'flag 2 with no program: Bad address',
  'flag 4 with no program: Bad address',
  'flag 8 with no program: Invalid argument',
  'flag 16 with no program: Bad address',
  'flag 32 with no program: Invalid argument',
  'flag 64 with no program: Invalid argument',
  'action 0x80000000: available',
  'action 0: available',
  'action 0x30000: available',
  'action 0x50000: available',
  'action 0x7fc00000: Operation not supported',
  'action 0x7ff00000: Operation not supported',
  'action 0x7ffc0000: available',
  'action 0x7fff0000: available',
  'action 0x7fd00000: Operation not supported',
  'notification sizes: Invalid argument',
  'strict mode: Invalid argument',
  'listener on recvmsg: Invalid argument',
  'USER_NOTIF without a listener: Invalid argument',
  'TRACE: Invalid argument',
  'RET A of a computed value: Invalid argument',
  'RET A of a constant ALLOW: install 0, getppid > 0: 1',
  'a jump out of the program: Invalid argument',
  'ERRNO for uname: install 0, uname: Operation not permitted, getppid > 0: 1',
  'LOG: install 0, getppid > 0: 1',
  'prctl PR_SET_SECCOMP: install 0, uname: Permission denied',
  'TSYNC: install 0, the other thread\'s uname: Operation not permitted',
  'TRAP: install 0, SIGSYS for syscall 110',
  'ERRNO for execveat: install 0, then execve /bin/true (killed by signal 11)',
  'listener, then MAP_SHARED: listener Invalid argument, shared map: through the map',
  'ready',
  'got USR1',
  '',
].join('\n');

/**
 * Where the sandbox answers otherwise than Linux: no listener, TRACE or USER_NOTIF, strict
 * mode or notification sizes; a RET A it cannot pin down; an exec through execveat.
 */
const SANDBOX_ONLY = ['flag 8 ', 'action 0x7fc00000', 'action 0x7ff00000', 'notification sizes', 'strict mode', 'listener', 'USER_NOTIF', 'TRACE', 'RET A of a computed', 'ERRNO for execveat', 'ready', 'got USR1', ''];
