// The host half of a sandboxed execve: the task really execs the stub, only to get a
// fresh address space (the loader then maps the program into it at the stub's first
// trap, stop-dispatch.ts). The host kernel never looks a path up for it and never reads
// memory the workload can change while it reads:
// - the stub is exec'd through WORKLOAD_STUB_FD, the sentry's open file of it that every
//   workload process holds (execveat with AT_EMPTY_PATH);
// - the empty path, argv and envp execveat still reads from the task are in the exec page
//   the stub left in the address space, sealed (mseal: nothing can unmap, remap, reprotect
//   or discard it; private, so no other process shares it; read-only): the task's own
//   execve becomes the execveat in place, nothing else runs, nothing needs to stop;
// - where the kernel could not seal that page (before Linux 6.10, or a filter of the
//   workload's refused mseal), they are in a sentry page (sentry-page.ts): fresh private
//   memory of the task, shared with no other process, and every other task of the address
//   space is frozen (freezer.ts) from before that page is mapped until the exec is over
//   (its PTRACE_EVENT_EXEC) or has failed.
// A failed execveat returns to an int3 of the sentry's, never to the old program: any
// failure (the kernel's or the sentry's) kills the process, with the status Linux gives an
// exec that fails past its point of no return (SIGSEGV). That gives a workload no errno to
// learn host paths from.

import { NR } from '../../../abi/linux-syscalls.js';
import { statSync } from 'node:fs';
import { E, fail } from '../../../abi/errno.js';
import { REG, WORKLOAD_STUB_FD, type Tracer } from '../../../native/ptrace.js';
import { AddressSpace, afterFreeze, type Freeze, type Freezer, type FrozenTask } from './freezer.js';
import { EXEC_PAGE } from './stub.js';
import { SentryPage } from './sentry-page.js';
import { SIG } from '../../../abi/linux-signal.js';

/**
 * Where a task's host thread is:
 * - 'spawning': forked by the helper, its own exec of the stub is still to come;
 * - 'exec': at the seccomp stop of the stub's exec for a sandboxed execve (stub-exec.ts),
 *   which the kernel runs next;
 * - 'stub': the kernel exec'd the stub; its first trap starts the load;
 * - 'running': running the workload.
 */
export type TaskPhase = 'spawning' | 'exec' | 'stub' | 'running';

/** What the stub's exec keeps of a task (the kernel's Task is one), Image: the program it starts. */
export interface StubTask<Image> extends FrozenTask {
  mm: AddressSpace;
  phase: TaskPhase;
  /** The program the stub's first trap loads. */
  pendingImage: Image | undefined;
  /** The other tasks of its address space, held while the exec goes through a sentry page. */
  execFreeze: Freeze | undefined;
}

const AT_EMPTY_PATH = 0x1000;
/** In a sentry page: argv = { "tssc-stub", NULL }, envp = { NULL }, the empty path (a zero word), argv[0]. */
const EXEC_DATA = { argv: 0n, envp: 16n, path: 24n, name: 32n, size: 48 } as const;
const STUB_NAME = 'tssc-stub';
/** How Linux ends a process whose exec failed past its point of no return. */
export const BAD_EXEC_STATUS = SIG.SEGV;

export interface StubExecHost<Image, T extends StubTask<Image>> {
  readonly tracer: Tracer;
  readonly freezer: Freezer;
  /** Ends task's process as a fatal signal with this wait status would. */
  killProcess(task: T, status: number): void;
  /** The old program's robust list and PI locks go before the kernel drops them at the exec. */
  releaseFutexes(task: T): void;
}

/**
 * Starts the exec of the stub for program in task, stopped at its execve's seccomp stop:
 * once it returns (or its promise settles) the host is to run the task's call, the stub's
 * execveat, which the task is then stopped in (its own call rewritten, or, through a
 * sentry page, a later one). Without an exec page it first waits for the other tasks of
 * its address space to stop.
 */
export function execStub<Image, T extends StubTask<Image>>(host: StubExecHost<Image, T>, task: T, program: Image): void | Promise<void> {
  const execPage = task.mm.execPage;
  if (execPage !== undefined) {
    execThroughSealedPage(host.tracer, task, execPage);
    execStarted(host, task, program);
    return;
  }
  return afterFreeze(host.freezer.freezeOthers(task), (freeze) => {
    try {
      execThroughSentryPage(host, task, freeze);
    } catch (e) {
      freeze.release();
      throw e;
    }
    execStarted(host, task, program);
  });
}

function execStarted<Image, T extends StubTask<Image>>(host: StubExecHost<Image, T>, task: T, program: Image): void {
  // The kernel drops the old program's robust list and PI state at exec: hand them over first.
  host.releaseFutexes(task);
  task.phase = 'exec';
  task.pendingImage = program;
}

/** The task's execve, at its seccomp stop, becomes the stub's execveat in place. */
function execThroughSealedPage(tracer: Tracer, task: FrozenTask, page: bigint): void {
  if (tracer.getRegs(task.hostTid) !== 0) fail(E.ESRCH);
  const regs = tracer.regs;
  regs[REG.orig_rax] = BigInt(NR.execveat);
  regs[REG.rdi] = BigInt(WORKLOAD_STUB_FD);
  regs[REG.rsi] = page + EXEC_PAGE.path;
  regs[REG.rdx] = page + EXEC_PAGE.argv;
  regs[REG.r10] = page + EXEC_PAGE.envp;
  regs[REG.r8] = BigInt(AT_EMPTY_PATH);
  // A failed execveat returns to the page's int3, not to the old program.
  regs[REG.rip] = page + EXEC_PAGE.trap;
  if (tracer.setRegs(task.hostTid) !== 0) fail(E.ESRCH);
}

function execThroughSentryPage<Image, T extends StubTask<Image>>(host: StubExecHost<Image, T>, task: T, freeze: Freeze): void {
  const tracer = host.tracer;
  if (task.exited || tracer.getRegs(task.hostTid) !== 0) fail(E.ESRCH);
  const page = SentryPage.open(tracer, task.hostTid, tracer.regs.slice(), { readOnly: EXEC_DATA.size });
  // From here on the old program's call is used up: no errno can go back to it.
  try {
    const data = page.dataAddress;
    const bytes = Buffer.alloc(EXEC_DATA.size);
    bytes.writeBigUInt64LE(data + EXEC_DATA.name, Number(EXEC_DATA.argv));
    bytes.write(STUB_NAME, Number(EXEC_DATA.name), 'latin1');
    page.poke(data, bytes);
    const ended = page.injector.toSeccompStop(NR.execveat, WORKLOAD_STUB_FD, data + EXEC_DATA.path, data + EXEC_DATA.argv, data + EXEC_DATA.envp, AT_EMPTY_PATH);
    // A filter of the workload's answered the exec itself (refused it).
    if (ended !== undefined) fail(E.ESRCH);
  } catch (e) {
    host.killProcess(task, BAD_EXEC_STATUS);
    throw e;
  }
  task.execFreeze = freeze;
}

/**
 * The syscall instruction of the task's sealed exec page: the sentry's other calls in the
 * task can run through it (sentry-page.ts); undefined without one.
 */
export function sealedSyscall(task: { readonly mm: AddressSpace }): bigint | undefined {
  const page = task.mm.execPage;
  return page === undefined ? undefined : page + EXEC_PAGE.syscall;
}

/** The exec is over for the task (done, failed, or the task is ending): its address space thaws. */
export function endStubExec(task: { execFreeze: Freeze | undefined }): void {
  task.execFreeze?.release();
  task.execFreeze = undefined;
}

/**
 * PTRACE_EVENT_EXEC: the task exec'd, in a new address space of its own. It must be the
 * stub, exec'd by the sentry (the file behind /proc/PID/exe is the stub's open file);
 * anything else ends the process as a failed exec.
 */
export function stubExecuted<Image, T extends StubTask<Image>>(host: StubExecHost<Image, T>, task: T): void {
  endStubExec(task);
  task.mm = new AddressSpace();
  const started = task.phase === 'exec' || task.phase === 'spawning';
  task.phase = 'stub';
  if (!started || !isStub(host.tracer, task.hostTid)) host.killProcess(task, BAD_EXEC_STATUS);
}

/** The task came back from the stub's exec without it (any stop before PTRACE_EVENT_EXEC). */
export function stubExecFailed<Image, T extends StubTask<Image>>(host: StubExecHost<Image, T>, task: T): void {
  endStubExec(task);
  task.phase = 'running';
  task.pendingImage = undefined;
  host.killProcess(task, BAD_EXEC_STATUS);
}

function isStub(tracer: Tracer, hostTid: number): boolean {
  try {
    const exe = statSync(`/proc/${hostTid}/exe`, { bigint: true });
    return exe.dev === tracer.stubFile.dev && exe.ino === tracer.stubFile.ino;
  } catch {
    return false;
  }
}
