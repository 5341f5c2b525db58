// What the kernel needs of the platform that runs its tasks, named after the need, never
// after ptrace (as gVisor's kernel sees pkg/sentry/platform: a Context it switches to and
// gets an event back from, an AddressSpace it maps into). The kernel owns this interface;
// platform/ptrace/ implements it (ptrace-platform.ts), and another platform (seccomp
// RET_TRAP with a shared-memory slot, or seccomp user_notif) would implement it beside
// ptrace. A platform names a task by its host thread id: every platform's tasks are host
// threads.
//
// A stopped task's trapped call is the platform's "current call": the one whose stop the
// platform last reported, or the one switchTo made current again after a wait. The
// kernel reads and changes that call (its number, arguments, result, restart) and then
// answers it or lets the host run it; those reads and writes cost no host call, so the
// hot path (a call answered in the sentry) is one report and one answer.

import type { HostSignals } from '../platform/host-signals.js';
import type { MapRequest } from '../platform/map-request.js';
import type { TaskMemory } from '../platform/task-memory.js';
import type { HostPrlimit } from './host-rlimits.js';
import type { SyscallArgs } from './syscall.js';
import type { Task } from './task.js';

/** One argument a host call runs with: a value, bytes the platform puts in the task's memory (their address is the argument), or the task's own. */
export type HostCallArgument = bigint | Uint8Array | undefined;

/** How a task runs whenever it is resumed to its next event (see Platform.setRunMode). */
export type RunMode = 'plain' | 'syscalls' | 'step';

export interface Platform {
  /**
   * Starts a new host process for a new task, under filter (the seccomp program that
   * decides which calls trap), with limits set ([resource, soft, hard], -1 unlimited); it
   * reports an exec event once it is ready for the program image (Task.pendingImage) to
   * be loaded. Its host pid, or -errno.
   */
  spawn(filter: Uint8Array, limits: [number, number, number][]): number;
  /** Addresses no program may be loaded at: the platform's own code in every task. */
  readonly reservedRange: { readonly start: number; readonly end: number };
  /** The memory of the task whose host tid hostTid() gives (it changes when a thread execs). */
  memoryOf(hostTid: () => number): TaskMemory;
  /** Reads and sets a host process's resource limits (prlimit(2)). */
  readonly hostLimit: HostPrlimit;
  /**
   * Makes task hostTid's trapped call current again (after a wait, other tasks' stops
   * came meanwhile); false when the task is no longer stopped in it (a kill took it).
   */
  switchTo(hostTid: number): boolean;
  /** The current call's number. */
  callNumber(): number;
  /** The current call's six argument registers (a new array: the caller keeps it). */
  callArgs(): SyscallArgs;
  /** Where the current call was made (a SIGSYS siginfo's si_call_addr). */
  callAddress(): bigint;
  /** At a host-run call's end: what the host returned. */
  hostResult(): bigint;
  /** Changes the current call's number and arguments (undefined: unchanged; args: all six); the next answer or commitCall writes them into the task. */
  setCall(nr: number | undefined, args: SyscallArgs | undefined): void;
  /** Makes the current call run again once answered: the task makes it anew (a restart). */
  restartCall(): void;
  /** Writes a setCall change into the task now; false when the task is gone. */
  commitCall(hostTid: number): boolean;
  /**
   * Answers the current call with result and resumes the task; returns the host tid of
   * the next stopped task when one reported at once (0: none), so the caller handles it
   * without going back to the event loop.
   */
  answer(hostTid: number, result: bigint | number): number;
  /**
   * Before an answer, for a task held at its call: whether it has meanwhile gone on to
   * its end (a SIGKILL moves a stopped task to its exit stop, and the answer would then
   * end it unseen: its futexes must be released first).
   */
  endedWhileStopped(hostTid: number): boolean;
  /**
   * Lets the host run the current call in the task, with nr and args in place of its own
   * (undefined: unchanged). Bytes are copied below the task's stack pointer and their
   * address passed. Returns the six argument registers the host runs it with; the task
   * is not resumed yet (see resume).
   */
  prepareHostCall(hostTid: number, write: (addr: bigint, bytes: Uint8Array) => void, nr: number | undefined, args: readonly HostCallArgument[] | undefined): SyscallArgs;
  /**
   * Resumes the task without answering its call: the host runs it. toCallEnd: the task
   * stops again at the call's end, where the platform reports a call-end event.
   */
  resume(hostTid: number, toCallEnd: boolean): void;
  /**
   * An answer may come without any event of the platform's (a handler's promise): while
   * any is awaited the platform must not sleep waiting for events. awaited: one more
   * (true) or one fewer (false).
   */
  expectAnswer(awaited: boolean): void;
  /** The tasks' host signal state, and raising a signal in one (SIGKILL ends it). */
  readonly hostSignals: HostSignals;
  /** A host memory file (for shared mappings); its fd, or -errno. */
  newMemoryFile(name: string): number;
  /** Writes data into task hostTid's memory whatever the pages' protection; the bytes written. */
  writeProtected(hostTid: number, addr: bigint, data: Uint8Array): number;
  /**
   * Maps host file hostFd into task's address space as request asks (task is stopped at
   * its mmap), with the other tasks of that space held stopped meanwhile; mapped sees the
   * address before they go on. mmap's result.
   */
  mapSharedFile(task: Task, hostFd: number, request: MapRequest, mapped: (address: bigint) => void): bigint | Promise<bigint>;
  /**
   * Installs a seccomp filter (program, seccomp(2)'s flags) in task, stopped at its call,
   * with the other tasks of its address space held stopped meanwhile; answer turns the
   * host's result into the call's before they go on.
   */
  installSeccompFilter<T>(task: Task, program: Uint8Array, flags: number, answer: (hostResult: bigint) => T): T | Promise<Awaited<T>>;
  // What a tracer inside the sandbox needs of its tracees (kernel/ptrace/).
  /**
   * From its next resume on, task hostTid runs to its next event ('plain'), stopping also
   * at every syscall's entry and end ('syscalls': reported as call-entry and call-end
   * events), or one instruction at a time ('step': each step ends in a SIGTRAP).
   */
  setRunMode(hostTid: number, mode: RunMode): void;
  /**
   * Reads a stopped task's register set (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE) into buf,
   * or sets it from buf (write): the bytes, or -errno. The host checks what is written as
   * it checks any tracer's.
   */
  registerSet(hostTid: number, type: number, buf: Uint8Array, write: boolean): number;
  /** Debug register index (0..7) of a stopped task, or with value sets it (the host refuses what it refuses any tracer): the value, 0 once set, or -errno. */
  debugRegister(hostTid: number, index: number, value?: bigint): bigint;
  /** The siginfo of a stopped task's current stop read into buf, or replaced by it (write): 0 or -errno. */
  stopSiginfo(hostTid: number, buf: Uint8Array, write: boolean): number;
  /**
   * Whether task hostTid is still stopped at its current call's trap, so an answer lets it
   * run to the call's end (reported as a call-end event when its run mode is 'syscalls');
   * false when the platform has meanwhile taken it past the call (a host-run call's end).
   */
  atCallTrap(hostTid: number): boolean;
  /** Sets the current call's result in place, without answering it (commitCall writes it). */
  setResult(result: bigint): void;
  /** Resumes a task held at a stop that is no trapped call (a signal, an event, a call's end), delivering sig (0: none). */
  continueStop(hostTid: number, sig: number): void;
  /** Makes a running task stop at its next chance: a stop event with SIGTRAP. 0 or -errno. */
  interrupt(hostTid: number): number;
}
