// The stop loop's answers, without ptrace: a fake platform reports a task stopped at a
// trapped call and records what the kernel does with it (answers, host runs, restarts).
import { describe, expect, it } from 'vitest';
import { E, ERESTARTNOINTR, ERESTARTSYS, SysError } from '../../src/abi/errno.js';
import { NR } from '../../src/abi/linux-syscalls.js';
import { SIG } from '../../src/abi/linux-signal.js';
import { SA } from '../../src/sentry/kernel/signals.js';
import type { SyscallArgs, SyscallEntry, SyscallHandler, SyscallResult, SyscallTable } from '../../src/sentry/kernel/syscall.js';
import { SyscallStops } from '../../src/sentry/kernel/syscall-stops.js';
import { fakePlatform } from './fake-platform.js';
import { fakeTasks } from './fake-tasks.js';

const GETPPID = NR.getppid;
const NANOSLEEP = NR.nanosleep;
const MMAP = NR.mmap;

/** A table of the handlers given, by number. */
function table(handlers: Record<number, SyscallHandler>): SyscallTable {
  const entries = new Map<number, SyscallEntry>(
    Object.entries(handlers).map(([nr, handler]) => [Number(nr), { nr: Number(nr), name: `call ${nr}`, support: 'full', filter: 'trap', handler }]),
  );
  return { arch: 'linux/x86_64', entry: (nr) => entries.get(nr), entries: () => entries.values() };
}

/** A task of a sandbox whose stop loop runs handlers over a fake platform. */
function stops(handlers: Record<number, SyscallHandler>) {
  const platform = fakePlatform();
  const task = fakeTasks().spawn(undefined);
  const seen: { nr: number; result: SyscallResult | undefined }[] = [];
  const errors: unknown[] = [];
  const pumped: number[] = [];
  const loop = new SyscallStops({
    platform,
    table: table(handlers),
    profile: undefined,
    observer: { syscall: (_task, nr, _args, result) => seen.push({ nr, result }) },
    exec: () => {
      throw new Error('no exec in these tests');
    },
    pump: (next) => pumped.push(next),
    internalError: (_task, _where, error) => errors.push(error),
  });
  /** The platform reports task stopped at nr with args; the loop answers it. */
  const trap = (nr: number, args?: readonly bigint[]): number => {
    platform.stopAt(task.hostTid, nr, args);
    return loop.onSyscall(task);
  };
  return { platform, task, loop, seen, errors, pumped, trap };
}

/** Lets the promise callbacks queued so far run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a trapped call', () => {
  it('is answered with its handler\'s result, once, and seen by the observer', () => {
    const s = stops({ [GETPPID]: () => 7n });
    expect(s.trap(GETPPID)).toBe(0);
    expect(s.platform.answers).toEqual([{ hostTid: s.task.hostTid, result: 7n }]);
    expect(s.seen).toEqual([{ nr: GETPPID, result: 7n }]);
    expect(s.platform.resumes).toEqual([]);
  });

  it('gets ENOSYS without a handler, and its handler\'s errno when it throws one', () => {
    const s = stops({ [GETPPID]: () => { throw new SysError(E.EPERM); } });
    s.trap(NR.acct);
    s.trap(GETPPID);
    expect(s.platform.answers.map((a) => a.result)).toEqual([BigInt(-E.ENOSYS), BigInt(-E.EPERM)]);
  });

  it('is no answer when its handler breaks: the sentry\'s error kills the task instead', () => {
    const s = stops({ [GETPPID]: () => { throw new TypeError('a bug'); } });
    s.trap(GETPPID);
    expect(s.platform.answers).toEqual([]);
    expect(s.errors).toHaveLength(1);
  });

  it('of a task a kill moved on to its end meanwhile is still handed to the platform, which drops it', () => {
    const s = stops({ [GETPPID]: () => 1n });
    s.platform.ended.add(s.task.hostTid);
    s.trap(GETPPID);
    expect(s.platform.answers).toEqual([{ hostTid: s.task.hostTid, result: 1n }]);
  });
});

describe('a call the host runs', () => {
  it('runs with replaced arguments; its completion answers it and the task\'s own arguments come back', () => {
    const ran: SyscallArgs[] = [];
    const s = stops({
      [MMAP]: () => ({ kind: 'host', args: [undefined, undefined, undefined, 0x22n], complete: (result, args) => {
        ran.push(args);
        return result + 1n;
      } }),
    });
    const own = [0n, 4096n, 3n, 0x2n, 5n, 0n];
    s.trap(MMAP, own);
    expect(s.platform.resumes).toEqual([{ hostTid: s.task.hostTid, toCallEnd: true, nr: MMAP, args: [0n, 4096n, 3n, 0x22n, 5n, 0n] }]);
    expect(s.platform.answers).toEqual([]);
    expect(s.seen).toEqual([{ nr: MMAP, result: undefined }]);

    s.platform.ranOnHost(0x7f0000n);
    s.loop.onSyscallExit(s.task);
    expect(ran).toEqual([[0n, 4096n, 3n, 0x22n, 5n, 0n]]);
    expect(s.platform.answers).toEqual([{ hostTid: s.task.hostTid, result: 0x7f0001n }]);
    expect(s.platform.current).toBeUndefined();
  });

  it('as it is, untouched, is resumed without a stop at its end', () => {
    const s = stops({ [GETPPID]: () => ({ kind: 'host' }) });
    s.trap(GETPPID, [1n, 2n, 3n, 4n, 5n, 6n]);
    expect(s.platform.resumes).toEqual([{ hostTid: s.task.hostTid, toCallEnd: false, nr: GETPPID, args: [1n, 2n, 3n, 4n, 5n, 6n] }]);
    expect(s.task.savedArgs).toBeUndefined();
  });

  it('that a signal interrupted on the host is put back as the task made it, for the kernel to restart', () => {
    const results: bigint[] = [];
    const s = stops({ [MMAP]: () => ({ kind: 'host', nr: NR.munmap, args: [9n], complete: (result) => (results.push(result), 0n) }) });
    s.trap(MMAP, [1n, 2n, 3n, 4n, 5n, 6n]);
    s.platform.ranOnHost(-BigInt(ERESTARTNOINTR));
    s.loop.onSyscallExit(s.task);
    // Its completion hears of it; the task resumes (no answer) with its own call back in place.
    expect(results).toEqual([-BigInt(ERESTARTNOINTR)]);
    expect(s.platform.answers).toEqual([]);
    expect(s.platform.resumes.at(-1)).toEqual({ hostTid: s.task.hostTid, toCallEnd: false, nr: MMAP, args: [1n, 2n, 3n, 4n, 5n, 6n] });
  });

  it('whose completion asks for the call again is answered with its number, to be made anew', () => {
    const s = stops({ [MMAP]: () => ({ kind: 'host', args: [1n], complete: () => -BigInt(ERESTARTNOINTR) }) });
    s.trap(MMAP);
    const call = s.platform.callOf(s.task.hostTid)!;
    const before = call.address;
    s.platform.ranOnHost(0n);
    s.loop.onSyscallExit(s.task);
    expect(s.platform.answers).toEqual([{ hostTid: s.task.hostTid, result: BigInt(MMAP) }]);
    expect(call.address).toBe(before - 2n);
  });
});

describe('a call that waits', () => {
  /** nanosleep that a signal ends (ERESTARTSYS), with or without SA_RESTART on sig's handler. */
  async function interruptedSleep(flags: number) {
    let interrupt: (() => void) | undefined;
    const s = stops({
      [NANOSLEEP]: () => new Promise<SyscallResult>((_resolve, reject) => {
        interrupt = () => reject(new SysError(ERESTARTSYS));
      }),
    });
    s.task.group.sigactions.set(SIG.USR1, { handler: 0x401000n, flags });
    s.trap(NANOSLEEP);
    expect(s.platform.answers).toEqual([]);
    expect(s.platform.awaited).toBe(1);
    const call = s.platform.current!;
    const address = call.address;
    // Other tasks' stops come meanwhile: the platform's current call is another one.
    s.platform.stopAt(s.task.hostTid + 1, GETPPID);
    s.task.interrupt(SIG.USR1);
    interrupt!();
    await settled();
    return { s, call, address };
  }

  it('is restarted after the handler when the handler asked for it (SA_RESTART)', async () => {
    const { s, call, address } = await interruptedSleep(SA.RESTART);
    expect(s.platform.awaited).toBe(0);
    // Answered with its own number, the instruction pointer back on the syscall instruction.
    expect(s.platform.answers).toEqual([{ hostTid: s.task.hostTid, result: BigInt(NANOSLEEP) }]);
    expect(call.address).toBe(address - 2n);
    expect(s.pumped).toEqual([0]);
  });

  it('fails with EINTR when the handler did not ask for a restart', async () => {
    const { s, call, address } = await interruptedSleep(0);
    expect(s.platform.answers).toEqual([{ hostTid: s.task.hostTid, result: BigInt(-E.EINTR) }]);
    expect(call.address).toBe(address);
  });

  it('is not answered when its task is gone by the time it settles', async () => {
    let done: ((value: SyscallResult) => void) | undefined;
    const s = stops({ [NANOSLEEP]: () => new Promise<SyscallResult>((resolve) => (done = resolve)) });
    s.trap(NANOSLEEP);
    s.task.exited = true;
    done!(0n);
    await settled();
    expect(s.platform.answers).toEqual([]);
  });
});

describe('a call that ends its caller', () => {
  it('ends only the thread when it asks so: the host runs exit(0) in it, nothing to answer', () => {
    const s = stops({ [GETPPID]: () => ({ kind: 'exit', scope: 'thread' }) });
    s.trap(GETPPID, [1n, 2n, 3n, 4n, 5n, 6n]);
    expect(s.platform.answers).toEqual([]);
    expect(s.platform.resumes).toEqual([{ hostTid: s.task.hostTid, toCallEnd: false, nr: NR.exit, args: [0n, 2n, 3n, 4n, 5n, 6n] }]);
  });

  it('leaves the thread without an answer when its whole process ends', () => {
    const s = stops({ [GETPPID]: () => ({ kind: 'exit', scope: 'process' }) });
    s.trap(GETPPID);
    expect(s.platform.answers).toEqual([]);
    expect(s.platform.resumes).toEqual([]);
  });
});
