// A trapped syscall's way through the sentry: the handler the table registered runs at the
// seccomp stop; its answer (at once, after an async wait, or by letting the host kernel
// run a rewritten call and finishing at the syscall-exit stop) goes back to the task, with
// restarts and EINTR after signals as Linux gives them.

import { E, ERESTARTNOINTR, isSysError } from '../../abi/errno.js';
import { NR } from '../../abi/linux-syscalls.js';
import { releaseFutexesOf } from './futex/exit.js';
import type { Platform } from './platform.js';
import type { ProfileEnforcement } from './profile-enforcement.js';
import { interruptedOutcome, isRestartCode } from './restart.js';
import type { ExecImage } from './exec-credentials.js';
import type { SyscallObserver } from './sandbox.js';
import type { HostCall, SyscallArgs, SyscallOutcome, SyscallResult, SyscallTable } from './syscall.js';
import { faultyHandler } from './test-faults.js';
import type { Task } from './task.js';
import type { Ptrace } from './ptrace/ptrace.js';

/** What the stop loop needs besides the stopped task. */
export interface SyscallStopsHost {
  readonly platform: Platform;
  readonly table: SyscallTable;
  /** The spec's seccomp profile, asked first at every stop. */
  readonly profile: Pick<ProfileEnforcement, 'atStop'> | undefined;
  readonly observer: SyscallObserver | undefined;
  /** The platform's half of an execve: the task gets a fresh address space, image is loaded into it. */
  exec(task: Task, image: ExecImage): HostCall | Promise<HostCall>;
  /** Takes the platform's events from the one reported at once (0: none yet). */
  pump(next: number): void;
  /** The ptrace relations: a tracer that follows a task's calls sees each one's end. */
  readonly ptrace?: Pick<Ptrace, 'callStop' | 'tracesCalls'>;
  /** A bug of the sentry's while it served task: the task's process is killed (Sandbox.internalError). */
  internalError(task: Task, where: string, error: unknown): void;
}

export class SyscallStops {
  /** The task whose syscall handler is running (for /proc/self and terminals). */
  currentTask: Task | undefined;
  /** The task whose handler runs right now, synchronously (not a continuation after a wait). */
  syncCaller: Task | undefined;

  /** The host's platform, read at every stop. */
  private readonly platform: Platform;

  constructor(private readonly host: SyscallStopsHost) {
    this.platform = host.platform;
  }

  /** A trapped call (the platform's current call): returns the next stop's host tid if answering took one. */
  onSyscall(task: Task): number {
    const host = this.host;
    const platform = this.platform;
    const nr = platform.callNumber();
    const args = platform.callArgs();
    const entry = host.table.entry(nr);
    const name = entry?.name ?? `syscall ${nr}`;
    try {
      const profiled = host.profile?.atStop(task, nr, args);
      if (profiled !== undefined) return this.answer(task, nr, args, name, profiled);
      const handler = faultyHandler(entry?.name) ?? entry?.handler;
      let result: SyscallOutcome | Promise<SyscallOutcome>;
      if (!handler) result = -E.ENOSYS;
      else {
        try {
          this.currentTask = task;
          this.syncCaller = task;
          result = handler(task, args);
        } catch (e) {
          if (!isSysError(e)) throw e;
          result = -e.errno;
        } finally {
          this.syncCaller = undefined;
        }
      }
      // A handler may ask for a restart at once (a background read of the terminal).
      if (typeof result !== 'object' && isRestartCode(-Number(result))) result = this.restartOrInterrupt(task, nr, result);
      return this.answer(task, nr, args, name, result);
    } catch (e) {
      // The task stays stopped at its call until the SIGKILL takes it.
      host.internalError(task, name, e);
      return 0;
    }
  }

  /** The end of a call the host ran for the sentry (clone, a rewritten mmap): the platform's current call. */
  onSyscallExit(task: Task): number {
    const platform = this.platform;
    const hook = task.exitHook;
    const hostResult = platform.hostResult();
    if (hostResult < 0n && isRestartCode(Number(-hostResult))) {
      // A signal interrupted the host's run of the rewritten call (fork gives
      // ERESTARTNOINTR): put the original call back, so the kernel's restart makes it
      // again and the sentry sees it afresh.
      hook?.(hostResult);
      task.exitHook = undefined;
      task.cloneInFlight = undefined;
      platform.setCall(task.savedNr, this.takeSavedArgs(task));
      platform.commitCall(task.hostTid);
      platform.resume(task.hostTid, false);
      return 0;
    }
    this.restoreArgs(task);
    if (hook) {
      task.exitHook = undefined;
      const result = hook(hostResult);
      // The completion asks for the workload's own call again (see HostCall.complete).
      if (BigInt(result) === -BigInt(ERESTARTNOINTR)) return this.complete(task, this.restartCall(task.savedNr));
      return this.complete(task, result);
    }
    const flight = task.cloneInFlight;
    task.cloneInFlight = undefined;
    if (!flight || hostResult < 0n || !flight.child) return this.complete(task, hostResult);
    flight.started?.(flight.child.tid);
    // The caller sees its child by the number its own pid namespace gives it.
    const vtid = task.pidNamespace.numberOf(flight.child.tid);
    this.host.observer?.syscall(task, NR.clone, [flight.flags, 0n, 0n, 0n, 0n, 0n], vtid);
    return this.complete(task, vtid);
  }

  /** Puts back the argument registers a rewritten call changed (the task's call must be the platform's current one). */
  restoreArgs(task: Task): void {
    const saved = this.takeSavedArgs(task);
    if (saved) this.platform.setCall(undefined, saved);
  }

  private takeSavedArgs(task: Task): SyscallArgs | undefined {
    const saved = task.savedArgs;
    task.savedArgs = undefined;
    return saved;
  }

  /**
   * Answers a stopped task's call with result; returns the next stop's host tid if one
   * came at once. A task a SIGKILL moved on to its end meanwhile has its futexes released
   * first: the platform drops the answer, and its end would go unseen by them.
   */
  private complete(task: Task, result: SyscallResult): number {
    const platform = this.platform;
    if (platform.endedWhileStopped(task.hostTid)) releaseFutexesOf(task);
    const ptrace = this.host.ptrace;
    if (ptrace?.tracesCalls(task) && !platform.atCallTrap(task.hostTid)) {
      // Past the call's trap already (the host ran it): a tracer that follows the task's
      // calls gets its syscall-exit stop here, with the result in place, and resumes it.
      platform.setResult(BigInt(result));
      platform.commitCall(task.hostTid);
      ptrace.callStop(task, 'exit', (sig) => platform.continueStop(task.hostTid, sig));
      return 0;
    }
    return platform.answer(task.hostTid, result);
  }

  /**
   * The one place a handler's outcome is acted on (the task is stopped at the call, the
   * platform's current one): returns the next stop's host tid if answering took one.
   */
  private answer(task: Task, nr: number, args: SyscallArgs, name: string, outcome: SyscallOutcome | Promise<SyscallOutcome>): number {
    if (outcome instanceof Promise) {
      this.awaitOutcome(task, nr, args, name, outcome);
      return 0;
    }
    const host = this.host;
    if (typeof outcome !== 'object') {
      host.observer?.syscall(task, nr, args, outcome);
      return this.complete(task, outcome);
    }
    try {
      switch (outcome.kind) {
        case 'host':
          return this.runOnHost(task, nr, args, outcome);
        case 'exec':
          return this.answer(task, nr, args, name, host.exec(task, outcome.image));
        case 'exit':
          if (outcome.scope === 'thread') return this.runOnHost(task, nr, args, { kind: 'host', nr: NR.exit, args: [0n] });
          // The process is ending, or runs elsewhere now: its thread has no call to answer.
          return 0;
      }
    } catch (e) {
      if (!isSysError(e)) throw e;
      host.observer?.syscall(task, nr, args, -e.errno);
      return this.complete(task, -e.errno);
    }
  }

  /** The host kernel runs call in the task; a completion, a clone or a rewrite is finished at its end. */
  private runOnHost(task: Task, nr: number, args: SyscallArgs, call: HostCall): number {
    const platform = this.platform;
    let ran: SyscallArgs;
    try {
      ran = platform.prepareHostCall(task.hostTid, (addr, bytes) => task.mem.write(addr, bytes), call.nr, call.args);
    } catch (e) {
      // The call never ran: its completion still hears of it, to let go of what it holds
      // (a break in motion, a file reference).
      if (isSysError(e)) call.complete?.(-BigInt(e.errno), args);
      throw e;
    }
    this.host.observer?.syscall(task, nr, args, undefined);
    // exit(2) has no end to stop at: nothing of the task's to put back.
    const rewritten = call.nr !== NR.exit && (call.complete !== undefined || call.clone !== undefined || call.args !== undefined || call.nr !== undefined);
    if (rewritten) {
      task.savedArgs = args;
      task.savedNr = nr;
      const complete = call.complete;
      if (complete) task.exitHook = (hostResult) => complete(hostResult, ran);
      if (call.clone) task.cloneInFlight = { ...call.clone };
    }
    platform.resume(task.hostTid, rewritten);
    return 0;
  }

  /** A handler (or an exec) waits: the task stays stopped at its call until outcome settles. */
  private awaitOutcome(task: Task, nr: number, args: SyscallArgs, name: string, outcome: Promise<SyscallOutcome>): void {
    task.blocked = true;
    this.setAwake(task, true);
    // Settles from the event loop: an internal error there kills the task.
    const settle = (value: () => SyscallOutcome): void => {
      this.setAwake(task, false);
      task.blocked = false;
      try {
        this.finishBlocked(task, nr, args, name, value());
      } catch (error) {
        this.host.internalError(task, name, error);
      }
    };
    outcome.then(
      (value) => settle(() => value),
      (e: unknown) => settle(() => errnoResult(e)),
    );
  }

  /** Whether a task's answer is on its way from the event loop, with no event of the platform's to bring it. */
  setAwake(task: Task, awake: boolean): void {
    if (task.awake === awake) return;
    task.awake = awake;
    this.platform.expectAnswer(awake);
  }

  /** A handler's Promise settled: the task is still stopped at its call. */
  private finishBlocked(task: Task, nr: number, args: SyscallArgs, name: string, value: SyscallOutcome): void {
    if (task.exited || task.wasmSignal) return;
    if (!this.platform.switchTo(task.hostTid)) return;
    const result = typeof value === 'object' ? value : this.restartOrInterrupt(task, nr, value);
    this.host.pump(this.answer(task, nr, args, name, result));
  }

  /** A wait a signal ended: restart the call after the handler, or fail it with EINTR. */
  private restartOrInterrupt(task: Task, nr: number, result: SyscallResult): SyscallResult {
    const errno = -Number(result);
    const stoppedBy = task.interruptedBy !== 0 && task.group.sigactions.effect(task.interruptedBy) === 'stop';
    // A stop is no handler: after SIGCONT the call goes on, as Linux restarts it (a
    // handler's own EINTR, as sleeps give, included).
    if (stoppedBy && (errno === E.EINTR || isRestartCode(errno))) return this.restartCall(nr);
    if (!isRestartCode(errno)) return result;
    const outcome = interruptedOutcome(errno, task.interruptedBy, task.group.sigactions);
    if (outcome !== 'restart') return outcome;
    return this.restartCall(nr);
  }

  /** Makes the stopped task make call nr again once answered (the answer puts nr back in rax). */
  private restartCall(nr: number): number {
    this.platform.restartCall();
    return nr;
  }
}

/** A handler's failure as its -errno; anything but a SysError is an internal error, thrown on. */
function errnoResult(e: unknown): SyscallResult {
  if (isSysError(e)) return -e.errno;
  throw e;
}
