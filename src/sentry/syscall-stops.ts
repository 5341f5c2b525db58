// A trapped syscall's way through the sentry: the handler the table registered runs at the
// seccomp stop; its answer (at once, after an async wait, or by letting the host kernel
// run a rewritten call and finishing at the syscall-exit stop) goes back to the task, with
// restarts and EINTR after signals as Linux gives them.

import { E, isSysError } from '../abi/errno.js';
import { NR } from '../abi/linux-syscalls.js';
import { REG, RESUME } from '../native/ptrace.js';
import type { Sandbox } from './sandbox.js';
import { stubExecFailed } from './stub-exec.js';
import { interruptedOutcome, isRestartCode } from './restart.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallResult } from './syscall.js';
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
    const profiled = sandbox.profile?.atStop(task, nr, args);
    if (profiled !== undefined) return this.answer(task, nr, args, profiled);
    const entry = sandbox.table.entry(nr);
    const name = entry?.name ?? `syscall ${nr}`;
    const handler = faultyHandler(entry?.name) ?? entry?.handler;
    let result: ReturnType<NonNullable<typeof handler>>;
    if (!handler) result = -E.ENOSYS;
    else {
      try {
        sandbox.currentTask = task;
        sandbox.syncCaller = task;
        result = handler(task, args);
      } catch (e) {
        if (!isSysError(e)) {
          // The task stays stopped at this seccomp stop until the SIGKILL takes it.
          sandbox.internalError(task, name, e);
          return 0;
        }
        result = -e.errno;
      } finally {
        sandbox.syncCaller = undefined;
      }
    }
    if (result instanceof Promise) {
      task.blocked = true;
      sandbox.stops.setAwake(task, true);
      // Settles from the event loop: an internal error there kills the task (sandbox.guard).
      const settle = (answer: () => SyscallResult | typeof RUN_ON_HOST): void => {
        sandbox.stops.setAwake(task, false);
        task.blocked = false;
        sandbox.guard(task, name, () => this.finishBlocked(task, nr, args, answer()));
      };
      result.then(
        (value) => settle(() => value),
        (e: unknown) => settle(() => errnoResult(e)),
      );
      return 0;
    }
    // A handler may ask for a restart at once (a background read of the terminal).
    if (typeof result !== 'symbol' && isRestartCode(-Number(result))) return this.answer(task, nr, args, this.restartOrInterrupt(task, nr, result));
    return this.answer(task, nr, args, result);
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
      return sandbox.stops.complete(task, hook(hostResult));
    }
    const flight = task.cloneInFlight;
    task.cloneInFlight = undefined;
    if (!flight || hostResult < 0n || !flight.child) return sandbox.stops.complete(task, hostResult);
    const vtid = flight.child.tid;
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

  private answer(task: Task, nr: number, args: SyscallArgs, result: SyscallResult | typeof RUN_ON_HOST): number {
    const sandbox = this.sandbox;
    if (result === RUN_ON_HOST) {
      sandbox.observer?.syscall(task, nr, args, undefined);
      const rewritten = task.cloneInFlight !== undefined || task.exitHook !== undefined;
      if (rewritten) {
        task.savedArgs = args;
        task.savedNr = nr;
      }
      sandbox.tracer.cont(task.hostTid, 0, rewritten ? RESUME.toSyscallExit : RESUME.cont, true);
      return 0;
    }
    sandbox.observer?.syscall(task, nr, args, result);
    return sandbox.stops.complete(task, result);
  }

  /** A handler's Promise settled: the task is still stopped at its seccomp stop. */
  private finishBlocked(task: Task, nr: number, args: SyscallArgs, value: SyscallResult | typeof RUN_ON_HOST): void {
    if (task.exited || task.wasmSignal) return;
    if (this.sandbox.tracer.getRegs(task.hostTid) !== 0) return;
    let result = value;
    if (typeof result !== 'symbol') result = this.restartOrInterrupt(task, nr, result);
    this.sandbox.stops.pump(this.answer(task, nr, args, result));
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
