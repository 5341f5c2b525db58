// The kernel's Platform (kernel/platform.ts) on ptrace: a trapped call is a seccomp stop
// whose registers the tracer reaped into its shared buffer, an answer is tracer.complete
// (which writes the buffer back with the result and waits a little for the next stop),
// a host-run call is the stop resumed, possibly to its syscall-exit stop. It implements
// the interface by its shape; the kernel names it only where a sandbox picks its platform.

import { loadTracer, PTRACE_EVENT, PTRACE_O, REG, RESUME, RUN, STOP, SYSCALL_OP, type Tracer } from '../../../native/ptrace.js';
import { E } from '../../../abi/errno.js';
import { NR } from '../../../abi/linux-syscalls.js';
import { SIG } from '../../../abi/linux-signal.js';
import type { HostSignals } from '../host-signals.js';
import type { TaskMemory } from '../task-memory.js';
import { Freezer, type FrozenTask, type FrozenTasks } from './freezer.js';
import type { MapRequest } from '../map-request.js';
import { mapHostFile } from './shared-mappings.js';
import { sealedSyscall } from './stub-exec.js';
import { installFilter } from './workload-filter.js';
import { ptraceHostSignals } from './host-signals.js';
import { PtraceMemory } from './memory.js';
import { applyHostCall } from './rewritten-call.js';
import { stubLayout, type StubLayout } from './stub.js';

/**
 * After answering a syscall the next stop usually comes within microseconds: the tracer
 * polls for SPIN_US, then sleeps in waitpid for up to BLOCK_US before it goes back to the
 * event loop (measured in bench/getppid.mjs: a blocking wait is what the C floor does and
 * what holds up on a loaded machine). It never blocks while a woken task waits for its
 * answer in the event loop.
 */
export const SPIN_US = 5;
const BLOCK_US = 1000;
/** What the tracer's wait gives when no tracee is left. */
export const ECHILD_RESULT = -E.ECHILD;

/** si_code of an exit stop's siginfo. */
const EXIT_STOP_CODE = SIG.TRAP | (PTRACE_EVENT.EXIT << 8);
/** Calls that may end their caller. */
const SIGNAL_SENDING_CALLS = new Set<number>([NR.kill, NR.tkill, NR.tgkill, NR.rt_sigqueueinfo, NR.rt_tgsigqueueinfo]);
export const TRACE_OPTIONS =
  PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK | PTRACE_O.TRACECLONE |
  PTRACE_O.TRACEEXEC | PTRACE_O.TRACESECCOMP | PTRACE_O.EXITKILL | PTRACE_O.TRACEEXIT;

export class PtracePlatform {
  readonly tracer: Tracer = loadTracer();
  /** Holds tasks stopped: those of an address space around an injected call or exec, or all (pause). */
  readonly freezer: Freezer;
  readonly hostSignals: HostSignals = ptraceHostSignals(this.tracer);
  /** Where the stub's code sits in a task that exec'd it (no program is loaded over it). */
  readonly stub: StubLayout = stubLayout(this.tracer.stubPath);
  readonly reservedRange = this.stub.reserved;
  readonly hostLimit = (pid: number, resource: number, limit?: BigUint64Array, old?: BigUint64Array): number => this.tracer.prlimit(pid, resource, limit, old);
  /** Read at the exit-stop check (one sentry thread: one buffer). */
  private readonly siginfo = new Uint8Array(128);
  private readonly siginfoView = Buffer.from(this.siginfo.buffer);
  /**
   * Answers on their way from the event loop without any stop: handlers' promises not
   * asleep in one of the task's waits. While there are any, the tracer must not sleep in
   * waitpid.
   */
  private awaitedAnswers = 0;

  /** hostTasks: the sandbox's tasks that run on the host (the freezer walks them). */
  constructor(hostTasks: FrozenTasks['hostTasks']) {
    this.freezer = new Freezer({ tracer: this.tracer, hostTasks });
  }

  /**
   * A new traced host process under filter, with limits set ([resource, soft, hard]),
   * that execs the stub; its host pid, or -errno.
   */
  spawn(filter: Uint8Array, limits: [number, number, number][]): number {
    return this.tracer.spawn(this.tracer.stubFd, [], filter, TRACE_OPTIONS, limits);
  }

  switchTo(hostTid: number): boolean {
    return this.tracer.getRegs(hostTid) === 0;
  }

  callNumber(): number {
    return Number(this.tracer.regs[REG.orig_rax]!);
  }

  callArgs(): [bigint, bigint, bigint, bigint, bigint, bigint] {
    const regs = this.tracer.regs;
    return [regs[REG.rdi]!, regs[REG.rsi]!, regs[REG.rdx]!, regs[REG.r10]!, regs[REG.r8]!, regs[REG.r9]!];
  }

  callAddress(): bigint {
    return this.tracer.regs[REG.rip]!;
  }

  hostResult(): bigint {
    return BigInt.asIntN(64, this.tracer.regs[REG.rax]!);
  }

  setCall(nr: number | undefined, args: readonly bigint[] | undefined): void {
    const regs = this.tracer.regs;
    if (nr !== undefined) regs[REG.orig_rax] = BigInt(nr);
    if (!args) return;
    regs[REG.rdi] = args[0]!;
    regs[REG.rsi] = args[1]!;
    regs[REG.rdx] = args[2]!;
    regs[REG.r10] = args[3]!;
    regs[REG.r8] = args[4]!;
    regs[REG.r9] = args[5]!;
  }

  restartCall(): void {
    // Back up over the 2-byte syscall instruction with the number in rax: after the
    // handler returns, the task makes the call again.
    const regs = this.tracer.regs;
    regs[REG.rip] = regs[REG.rip]! - 2n;
  }

  commitCall(hostTid: number): boolean {
    return this.tracer.setRegs(hostTid) === 0;
  }

  answer(hostTid: number, result: bigint | number): number {
    const next = this.tracer.complete(hostTid, result, SPIN_US, this.blockUs());
    return next > 0 || next === ECHILD_RESULT ? next : 0;
  }

  endedWhileStopped(hostTid: number): boolean {
    const tracer = this.tracer;
    // Asking the kernel costs a ptrace call (about 1 us): an answer given right at the stop
    // asks only after a call that sent a signal; an answer after a wait always asks. (A
    // group exit that races with an answer given right at the stop is not caught.)
    const atTheStop = tracer.stop[STOP.pid] === hostTid;
    if (atTheStop && !SIGNAL_SENDING_CALLS.has(Number(tracer.regs[REG.orig_rax]!))) return false;
    if (tracer.siginfo(hostTid, this.siginfo, false) !== 0) return false;
    return this.siginfoView.readInt32LE(8) === EXIT_STOP_CODE;
  }

  prepareHostCall(hostTid: number, write: (addr: bigint, bytes: Uint8Array) => void, nr: number | undefined, args: readonly (bigint | Uint8Array | undefined)[] | undefined): [bigint, bigint, bigint, bigint, bigint, bigint] {
    return applyHostCall(this.tracer, hostTid, write, nr, args);
  }

  resume(hostTid: number, toCallEnd: boolean): void {
    this.tracer.cont(hostTid, 0, toCallEnd ? RESUME.toSyscallExit : RESUME.cont, true);
  }

  expectAnswer(awaited: boolean): void {
    this.awaitedAnswers += awaited ? 1 : -1;
  }

  newMemoryFile(name: string): number {
    return this.tracer.memfdCreate(name);
  }

  writeProtected(hostTid: number, addr: bigint, data: Uint8Array): number {
    // /proc/PID/mem writes reach the pages whatever their protection.
    return this.tracer.pokeMem(hostTid, addr, data);
  }

  memoryOf(hostTid: () => number): TaskMemory {
    return new PtraceMemory(this.tracer, hostTid);
  }

  /** Whether a sandbox takes this process's stops already (one tracer per process: waitpid(-1) takes every tracee's stops). */
  get taken(): boolean {
    return this.tracer.onStop !== undefined;
  }

  /** Runs onStop on the main thread when a stop is pending after the watcher was armed (undefined: nobody). */
  watch(onStop: (() => void) | undefined): void {
    this.tracer.onStop = onStop;
  }

  /**
   * Maps host file hostFd into task's address space as request asks, with the other tasks
   * of that space frozen meanwhile; mapped sees the address before they thaw. mmap's result.
   */
  mapSharedFile(task: FrozenTask, hostFd: number, request: MapRequest, mapped: (address: bigint) => void): bigint | Promise<bigint> {
    return this.freezer.whileFrozen(task, () => {
      const address = mapHostFile(this.tracer, task.hostTid, hostFd, request, sealedSyscall(task));
      if (address >= 0n) mapped(address);
      return address;
    });
  }

  /**
   * Installs seccomp filter program (flags: seccomp(2)'s) in task, with the other tasks of
   * its address space frozen meanwhile; answer turns the host's result into the call's
   * before they thaw.
   */
  installSeccompFilter<T>(task: FrozenTask, program: Uint8Array, flags: number, answer: (hostResult: bigint) => T): T | Promise<Awaited<T>> {
    return this.freezer.whileFrozen(task, () => answer(installFilter(this.tracer, task.hostTid, program, flags, sealedSyscall(task))));
  }

  setRunMode(hostTid: number, mode: keyof typeof RUN): void {
    this.tracer.setRunMode(hostTid, RUN[mode]);
  }

  registerSet(hostTid: number, type: number, buf: Uint8Array, write: boolean): number {
    return this.tracer.regset(hostTid, type, buf, write);
  }

  debugRegister(hostTid: number, index: number, value?: bigint): bigint {
    return value === undefined ? this.tracer.debugReg(hostTid, index) : this.tracer.debugReg(hostTid, index, value);
  }

  stopSiginfo(hostTid: number, buf: Uint8Array, write: boolean): number {
    return this.tracer.siginfo(hostTid, buf, write);
  }

  atCallTrap(hostTid: number): boolean {
    return this.tracer.syscallOp(hostTid) === SYSCALL_OP.seccomp;
  }

  setResult(result: bigint): void {
    this.tracer.regs[REG.rax] = BigInt.asUintN(64, result);
  }

  continueStop(hostTid: number, sig: number): void {
    this.tracer.cont(hostTid, sig, RESUME.cont);
  }

  interrupt(hostTid: number): number {
    return this.tracer.interrupt(hostTid);
  }

  /** How long the tracer may sleep waiting for a stop (see SPIN_US). */
  blockUs(): number {
    return this.awaitedAnswers > 0 ? 0 : BLOCK_US;
  }
}
