// The ptrace addon (native/ptrace) as the sentry sees it: typed primitives, no policy.
// Every call must come from the process's main thread (the tracer).

import { existsSync, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Indices into the register buffer (struct user_regs_struct on x86-64). */
export const REG = {
  r15: 0, r14: 1, r13: 2, r12: 3, rbp: 4, rbx: 5, r11: 6, r10: 7, r9: 8, r8: 9,
  rax: 10, rcx: 11, rdx: 12, rsi: 13, rdi: 14, orig_rax: 15, rip: 16, cs: 17,
  eflags: 18, rsp: 19, ss: 20, fs_base: 21, gs_base: 22, ds: 23, es: 24, fs: 25, gs: 26,
} as const;
export const REG_COUNT = 27;

/** Slots of the shared stop record. */
export const STOP = { pid: 0, status: 1, eventMsg: 2, syscallOp: 3 } as const;

/** STOP.syscallOp of a syscall stop (PTRACE_SYSCALL_INFO_*): an entry only for a tracee run with RUN.syscalls. */
export const SYSCALL_OP = { entry: 1, exit: 2, seccomp: 3 } as const;

/** How setRunMode() makes a tracee run whenever it is resumed to its next event. */
export const RUN = { plain: 0, syscalls: 1, step: 2 } as const;
export type RunMode = (typeof RUN)[keyof typeof RUN];

/**
 * The fd of every workload process on which sendFd()'s fds arrive (SCM_RIGHTS): the end of
 * the addon's donor socket that spawn() leaves open in the workload (tracer.c mirrors it).
 */
export const WORKLOAD_DONOR_FD = 3;

/**
 * The fd of every workload process through which the stub is exec'd (execveat with
 * AT_EMPTY_PATH): the sentry's own open file of it, which spawn() leaves open in the
 * workload (tracer.c mirrors it). No exec makes the host kernel look a path up.
 */
export const WORKLOAD_STUB_FD = 4;

/** How inject() runs a call (tracer.c's INJECT_*). */
export const INJECT = {
  /** Single steps over the `syscall` instruction at rip, to the call's exit. */
  step: 0,
  /** In place of the call the task is stopped at a seccomp stop in (no instruction runs). */
  inPlace: 1,
  /** Single steps over the instruction only to the call's seccomp stop, where the task stays. */
  toSeccomp: 2,
} as const;
export type InjectMode = (typeof INJECT)[keyof typeof INJECT];

/** How cont() resumes a task. */
export const RESUME = { cont: 0, toSyscallExit: 1, listen: 2 } as const;

/** ptrace option bits for spawn(). */
export const PTRACE_O = {
  TRACESYSGOOD: 1,
  TRACEFORK: 2,
  TRACEVFORK: 4,
  TRACECLONE: 8,
  TRACEEXEC: 0x10,
  TRACEVFORKDONE: 0x20,
  TRACEEXIT: 0x40,
  TRACESECCOMP: 0x80,
  EXITKILL: 0x100000,
} as const;

/** PTRACE_EVENT_* values (status >> 16 of a stop). */
export const PTRACE_EVENT = { FORK: 1, VFORK: 2, CLONE: 3, EXEC: 4, VFORK_DONE: 5, EXIT: 6, SECCOMP: 7, STOP: 128 } as const;

interface Addon {
  init(regs: BigUint64Array, stop: Int32Array): void;
  /**
   * Starts the workload's first host process: it execs the stub through stubFd (left open
   * in it as WORKLOAD_STUB_FD). limits: [resource, soft, hard] set on it before that exec
   * (-1 = unlimited).
   */
  spawn(stubFd: number, stdio: number[], filter: Uint8Array, options: number, limits?: [number, number, number][]): number;
  waitStop(spinUs: number, blockUs: number): number;
  /** Answers the call the task is stopped in (-ESRCH-1000 once a kill took it to its exit stop) and waits for the next stop. */
  complete(pid: number, result: bigint | number, spinUs: number, blockUs: number): number;
  /** fromSyscall: only from the stop of the call being answered (-ESRCH once a kill took the task to its exit stop). */
  cont(pid: number, signal: number, mode: number, fromSyscall?: boolean): number;
  getRegs(pid: number): number;
  setRegs(pid: number): number;
  /**
   * Runs the call the register buffer describes in a stopped task (see INJECT), within a
   * bounded number of stops and time: 0 when it ended (its result in the buffer's rax), 1
   * when it stopped at its seccomp stop (INJECT.toSeccomp), else -errno: ESRCH when the
   * task died; EFAULT (the step faulted or was no syscall), ELOOP or ETIMEDOUT when the
   * sentry could not drive it, and then the task is killed. Signals arriving meanwhile
   * are queued again afterwards.
   */
  inject(pid: number, mode: InjectMode): number;
  /**
   * Keeps a task from running until thaw(): 1 when it is already stopped under the tracer,
   * 0 when it was interrupted (it reports a stop before it runs an instruction), -errno.
   * Resuming a frozen task (cont, complete) is deferred to its thaw.
   */
  freeze(tid: number): number;
  /** Lets a frozen task run again (a resume deferred meanwhile is made now): 0 or -errno. */
  thaw(tid: number): number;
  /** A new host memory file (O_RDWR, close-on-exec): its fd, or -errno. */
  memfdCreate(name: string): number;
  /** Queues fd for one recvmsg on WORKLOAD_DONOR_FD in a workload process: 0 or -errno. */
  sendFd(fd: number): number;
  /** 1 when fd of tracee pid and the sentry's ownFd are one open file description, else 0; -errno (ENOSYS without kcmp). */
  sameFile(pid: number, fd: number, ownFd: number): number;
  readMem(pid: number, addr: bigint, buf: Uint8Array): number;
  writeMem(pid: number, addr: bigint, buf: Uint8Array): number;
  pokeMem(pid: number, addr: bigint, buf: Uint8Array): number;
  tgkill(tgid: number, tid: number, signal: number): number;
  /** Sets limit ([cur, max]) and/or reads old of a host process's resource (pid 0: the sentry): 0 or -errno. */
  prlimit(pid: number, resource: number, limit?: BigUint64Array, old?: BigUint64Array): number;
  sigmask(pid: number): bigint;
  /** Replaces a stopped tracee's signal mask: 0 or -errno. */
  setSigmask(pid: number, mask: bigint): number;
  /** Siginfos (128 bytes each) of a stopped tracee's pending queue (its own, or its process's when shared) from position off into buf: how many, or -errno. */
  peekSiginfo(pid: number, off: number, shared: boolean, buf: Uint8Array): number;
  /** The siginfo (128 bytes) of a signal-delivery-stop read into buf, or replaced by it (write). */
  siginfo(pid: number, buf: Uint8Array, write: boolean): number;
  /** From the tracee's next resume on, cont()/complete() run it as mode says (RUN): 0 or -errno. */
  setRunMode(tid: number, mode: RunMode): number;
  /** A running tracee stops at its next chance with a PTRACE_EVENT_STOP: 0 or -errno. */
  interrupt(tid: number): number;
  /** The PTRACE_SYSCALL_INFO_* op of the stop a tracee is in (3: a seccomp stop), or -errno. */
  syscallOp(pid: number): number;
  /** A stopped tracee's register set (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE) read into buf or written from it: the bytes, or -errno. */
  regset(pid: number, type: number, buf: Uint8Array, write: boolean): number;
  /** Debug register index (0..7) of a stopped tracee, or with value set it: the value (0 once set), or -errno. */
  debugReg(pid: number, index: number, value?: bigint): bigint;
  /** Starts the stop watcher thread; onStop runs on this thread after each armWatcher(). */
  watchStops(onStop: () => void): void;
  armWatcher(): void;
  /**
   * The watchdog (watchdog.c) watches those of signals that have a Node listener: once one
   * came, graceMs without petWatchdog() ends the process with 128 + its number. 0 or -errno.
   */
  armWatchdog(signals: number[], graceMs: number): number;
  disarmWatchdog(): void;
  petWatchdog(): void;
}

/** The tracer: the addon plus the shared register buffer and stop record it fills. */
export interface Tracer extends Addon {
  readonly regs: BigUint64Array;
  readonly stop: Int32Array;
  /** The static stub every sandboxed execve really runs. */
  readonly stubPath: string;
  /** The sentry's open file of it (close-on-exec), given to spawn(). */
  readonly stubFd: number;
  /** Its device and inode, to recognise it as what a task exec'd (/proc/PID/exe). */
  readonly stubFile: { dev: bigint; ino: bigint };
  /**
   * Called on the main thread when a stop or exit is pending after armWatcher(); one
   * listener at a time (one traced sandbox per process: waitpid(-1) takes every tracee's
   * stops).
   */
  onStop: (() => void) | undefined;
}

const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'ptrace', 'build', 'Release');

let tracer: Tracer | undefined;

/** Loads the addon once; throws a clear error when it was not built. */
export function loadTracer(): Tracer {
  if (tracer) return tracer;
  const addonPath = join(buildDir, 'tssc_ptrace.node');
  const stubPath = join(buildDir, 'tssc-stub');
  if (!existsSync(addonPath) || !existsSync(stubPath)) {
    throw new Error(`the ptrace helper is not built (${addonPath}); run \`npm run build:native\``);
  }
  const addon = createRequire(import.meta.url)(addonPath) as Addon;
  const regs = new BigUint64Array(REG_COUNT);
  const stop = new Int32Array(4);
  addon.init(regs, stop);
  // Node opens it close-on-exec: only spawn()'s dup reaches the workload.
  const stubFd = openSync(stubPath, 'r');
  const { dev, ino } = fstatSync(stubFd, { bigint: true });
  const loaded = Object.assign(Object.create(addon) as Addon, { regs, stop, stubPath, stubFd, stubFile: { dev, ino }, onStop: undefined }) as Tracer;
  addon.watchStops(() => loaded.onStop?.());
  tracer = loaded;
  return tracer;
}
