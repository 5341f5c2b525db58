// A trapped syscall's way through the sentry: the handler the table registered runs at the
// seccomp stop; its answer (at once, after an async wait, or by letting the host kernel
// run a rewritten call and finishing at the syscall-exit stop) goes back to the task, with
// restarts and EINTR after signals as Linux gives them.

import { E, ERESTARTNOINTR, isSysError } from '../../abi/errno.js';
import { NR } from '../../abi/linux-syscalls.js';
import { REG, RESUME } from '../../native/ptrace.js';
import type { Sandbox } from './sandbox.js';
import { applyHostCall } from '../platform/ptrace/rewritten-call.js';
import { execStub, stubExecFailed } from '../platform/ptrace/stub-exec.js';
import { interruptedOutcome, isRestartCode } from './restart.js';
import type { HostCall, SyscallArgs, SyscallOutcome, SyscallResult } from './syscall.js';
import { faultyHandler } from './test-faults.js';
import type { Task } from './task.js';

export class SyscallStops {
  constructor(private readonly sandbox: Sandbox) {}

  /** A seccomp stop: returns the next stop's pid if answering took one. */
  onSyscall(task: Task): number {
    const sandbox = this.sandbox;
    const tracer = sandbox.tracer;
    const regs = tracer.regs;
    const nr = Number(regs[REG.orig_rax]!);
    if (task.phase === 'spawning' && !task.exited && nr === NR.execveat) {
      // The helper's own exec of the stub, before any code of the workload's has run.
      tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    if (task.phase === 'exec') {
      // Back from the stub's exec without it: the exec failed.
      stubExecFailed(sandbox, task);
      tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    const args: SyscallArgs = [regs[REG.rdi]!, regs[REG.rsi]!, regs[REG.rdx]!, regs[REG.r10]!, regs[REG.r8]!, regs[REG.r9]!];
    const entry = sandbox.table.entry(nr);
    const name = entry?.name ?? `syscall ${nr}`;
    try {
      const profiled = sandbox.profile?.atStop(task, nr, args);
      if (profiled !== undefined) return this.answer(task, nr, args, name, profiled);
      const handler = faultyHandler(entry?.name) ?? entry?.handler;
      let result: SyscallOutcome | Promise<SyscallOutcome>;
      if (!handler) result = -E.ENOSYS;
      else {
        try {
          sandbox.currentTask = task;
          sandbox.syncCaller = task;
          result = handler(task, args);
        } catch (e) {
          if (!isSysError(e)) throw e;
          result = -e.errno;
        } finally {
          sandbox.syncCaller = undefined;
        }
      }
      // A handler may ask for a restart at once (a background read of the terminal).
      if (typeof result !== 'object' && isRestartCode(-Number(result))) result = this.restartOrInterrupt(task, nr, result);
      return this.answer(task, nr, args, name, result);
    } catch (e) {
      // The task stays stopped at this seccomp stop until the SIGKILL takes it.
      sandbox.internalError(task, name, e);
      return 0;
    }
  }

  /** A syscall-exit stop of a call the host ran for the sentry (clone, a rewritten mmap). */
  onSyscallExit(task: Task): number {
    const sandbox = this.sandbox;
    const tracer = sandbox.tracer;
    const hook = task.exitHook;
    const hostResult = BigInt.asIntN(64, tracer.regs[REG.rax]!);
    if (hostResult < 0n && isRestartCode(Number(-hostResult))) {
      // A signal interrupted the host's run of the rewritten call (fork gives
      // ERESTARTNOINTR): put the original call back, so the kernel's restart makes it
      // again and the sentry sees it afresh.
      hook?.(hostResult);
      task.exitHook = undefined;
      task.cloneInFlight = undefined;
      tracer.regs[REG.orig_rax] = BigInt(task.savedNr);
      this.restoreArgs(task);
      tracer.setRegs(task.hostTid);
      tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    this.restoreArgs(task);
    if (hook) {
      task.exitHook = undefined;
      const result = hook(hostResult);
      // The completion asks for the workload's own call again (see HostCall.complete).
      if (BigInt(result) === -BigInt(ERESTARTNOINTR)) return sandbox.stops.complete(task, this.restartCall(task.savedNr));
      return sandbox.stops.complete(task, result);
    }
    const flight = task.cloneInFlight;
    task.cloneInFlight = undefined;
    if (!flight || hostResult < 0n || !flight.child) return sandbox.stops.complete(task, hostResult);
    const vtid = flight.child.tid;
    flight.started?.(vtid);
    sandbox.observer?.syscall(task, NR.clone, [flight.flags, 0n, 0n, 0n, 0n, 0n], vtid);
    return sandbox.stops.complete(task, vtid);
  }

  /** Puts back the argument registers a rewritten call changed (regs must hold task's). */
  restoreArgs(task: Task): void {
    const saved = task.savedArgs;
    if (!saved) return;
    task.savedArgs = undefined;
    const regs = this.sandbox.tracer.regs;
    [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9].forEach((reg, i) => {
      regs[reg] = saved[i]!;
    });
  }

  /**
   * The one place a handler's outcome is acted on (the task is at the call's seccomp stop,
   * its registers in the tracer's buffer): returns the next stop's pid if answering took one.
   */
  private answer(task: Task, nr: number, args: SyscallArgs, name: string, outcome: SyscallOutcome | Promise<SyscallOutcome>): number {
    if (outcome instanceof Promise) {
      this.awaitOutcome(task, nr, args, name, outcome);
      return 0;
    }
    const sandbox = this.sandbox;
    if (typeof outcome !== 'object') {
      sandbox.observer?.syscall(task, nr, args, outcome);
      return sandbox.stops.complete(task, outcome);
    }
    try {
      switch (outcome.kind) {
        case 'host':
          return this.runOnHost(task, nr, args, outcome);
        case 'exec':
          return this.answer(task, nr, args, name, execStub(sandbox, task, outcome.image));
        case 'exit':
          if (outcome.scope === 'thread') return this.runOnHost(task, nr, args, { kind: 'host', nr: NR.exit, args: [0n] });
          // The process is ending, or runs elsewhere now: its thread has no call to answer.
          return 0;
      }
    } catch (e) {
      if (!isSysError(e)) throw e;
      sandbox.observer?.syscall(task, nr, args, -e.errno);
      return sandbox.stops.complete(task, -e.errno);
    }
  }

  /** The host kernel runs call in the task; a completion, a clone or a rewrite is finished at its syscall exit. */
  private runOnHost(task: Task, nr: number, args: SyscallArgs, call: HostCall): number {
    const sandbox = this.sandbox;
    let ran: SyscallArgs;
    try {
      ran = applyHostCall(sandbox.tracer, task, call);
    } catch (e) {
      // The call never ran: its completion still hears of it, to let go of what it holds
      // (a break in motion, a file reference).
      if (isSysError(e)) call.complete?.(-BigInt(e.errno), args);
      throw e;
    }
    sandbox.observer?.syscall(task, nr, args, undefined);
    // exit(2) has no syscall exit: nothing of the task's to put back.
    const rewritten = call.nr !== NR.exit && (call.complete !== undefined || call.clone !== undefined || call.args !== undefined || call.nr !== undefined);
    if (rewritten) {
      task.savedArgs = args;
      task.savedNr = nr;
      const complete = call.complete;
      if (complete) task.exitHook = (hostResult) => complete(hostResult, ran);
      if (call.clone) task.cloneInFlight = { ...call.clone };
    }
    sandbox.tracer.cont(task.hostTid, 0, rewritten ? RESUME.toSyscallExit : RESUME.cont, true);
    return 0;
  }

  /** A handler (or an exec) waits: the task stays stopped at its seccomp stop until outcome settles. */
  private awaitOutcome(task: Task, nr: number, args: SyscallArgs, name: string, outcome: Promise<SyscallOutcome>): void {
    const sandbox = this.sandbox;
    task.blocked = true;
    sandbox.stops.setAwake(task, true);
    // Settles from the event loop: an internal error there kills the task (sandbox.guard).
    const settle = (value: () => SyscallOutcome): void => {
      sandbox.stops.setAwake(task, false);
      task.blocked = false;
      sandbox.guard(task, name, () => this.finishBlocked(task, nr, args, name, value()));
    };
    outcome.then(
      (value) => settle(() => value),
      (e: unknown) => settle(() => errnoResult(e)),
    );
  }

  /** A handler's Promise settled: the task is still stopped at its seccomp stop. */
  private finishBlocked(task: Task, nr: number, args: SyscallArgs, name: string, value: SyscallOutcome): void {
    if (task.exited || task.wasmSignal) return;
    if (this.sandbox.tracer.getRegs(task.hostTid) !== 0) return;
    const result = typeof value === 'object' ? value : this.restartOrInterrupt(task, nr, value);
    this.sandbox.stops.pump(this.answer(task, nr, args, name, result));
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

  /** Makes the stopped task make call nr again (regs must hold the task's). */
  private restartCall(nr: number): number {
    // Back up over the 2-byte syscall instruction with the number in rax: after the
    // handler returns, the task makes the call again.
    const regs = this.sandbox.tracer.regs;
    regs[REG.rip] = regs[REG.rip]! - 2n;
    return nr;
  }
}

/** A handler's failure as its -errno; anything but a SysError is an internal error, thrown on. */
function errnoResult(e: unknown): SyscallResult {
  if (isSysError(e)) return -e.errno;
  throw e;
}
