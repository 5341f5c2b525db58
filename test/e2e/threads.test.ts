// Threaded C programs (glibc pthreads, static and dynamic) under `tssc run` print what
// they print natively: mutexes and condition variables over futexes, thread ids, signals
// between threads and to the process, execve from a thread that is not the leader.
import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, tsscStart, writeConfig } from './busybox-bundle.js';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'threads');
const PROGRAMS = ['mutex-condvar', 'ids-signals', 'exec-from-thread'] as const;
const LINKAGES = ['static', 'dynamic'] as const;

describe.skipIf(!hasBusybox() || !hasCompiler())('threads', () => {
  let dir: string;
  let rootfs: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-threads-');
    rootfs = makeRootfs(dir);
    for (const program of PROGRAMS) {
      for (const linkage of LINKAGES) {
        const name = `${program}-${linkage}`;
        binaries.set(name, installCProgram(rootfs, path.join(FIXTURES, `${program}.c`), name, linkage));
      }
    }
    installCProgram(rootfs, path.join(FIXTURES, 'term-in-worker.c'), 'term-in-worker', 'static');
    installCProgram(rootfs, path.join(FIXTURES, 'priority.c'), 'priority', 'static');
  });
  afterAll(() => removeDir(dir));

  for (const program of PROGRAMS) {
    for (const linkage of LINKAGES) {
      it(`${program} (${linkage}) gives the native output`, () => {
        const name = `${program}-${linkage}`;
        const native = spawnSync(binaries.get(name)!, [], { encoding: 'utf8', timeout: 30_000 });
        writeConfig(dir, { args: [`/bin/${name}`] });
        const sandboxed = tsscRun(dir);
        expect(sandboxed.stderr).toBe('');
        expect(sandboxed.stdout).toBe(native.stdout);
        expect(sandboxed.status).toBe(native.status);
      });
    }
  }

  // Never run natively: as root, its PRIO_USER 0 would renice every root process of the host.
  it('keeps nice values and affinity per thread and inside the sandbox (PRIO_USER never reaches the host)', () => {
    const ownNice = getPriority();
    writeConfig(dir, { args: ['/bin/priority'], uid: 1000, gid: 1000 });
    const result = tsscRun(dir);
    expect(result.stdout).toBe([
      'set own nice 5: ok, now 5',
      "set the thread's nice 7 by tid: ok",
      'thread sees its own nice 7',
      'main still 5, thread by tid 7',
      'lower to 2 without CAP_SYS_NICE: Permission denied',
      'tid 4242: No such process',
      'own user to 12: ok, main 12, thread 12',
      'own process group to 15: ok, main 15, highest of the group 15',
      'user 4321: No such process',
      'pin the thread to cpu 0: Success',
      'its affinity: 1 cpu, cpu 0 yes; its policy 0',
      'affinity of tid 4242: No such process',
      '',
    ].join('\n'));
    expect(result.status).toBe(0);
    expect(getPriority()).toBe(ownNice);
  });

  it('ends with 143 when SIGTERM to tssc reaches the one thread of init that takes it', async () => {
    writeConfig(dir, { args: ['/bin/term-in-worker'] });
    const child = tsscStart(dir, `threads-${process.pid}-term`);
    let stdout = '';
    const ready = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready\n')) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await ready;
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(stdout).toBe('ready\nTERM handled by the worker\n');
  });
});
