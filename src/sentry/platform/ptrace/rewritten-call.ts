// A trapped call the host kernel runs with its number or some of its arguments replaced
// by the sentry (a HostCall): a virtual tid made a host tid, a clock id translated, a
// struct rewritten (copied below the stack pointer, where a signal frame would go). The
// task's own argument registers are put back at the syscall exit (SyscallStops.restoreArgs),
// as the syscall ABI keeps them.

import { E, fail } from '../../../abi/errno.js';
import { REG, type Tracer } from '../../../native/ptrace.js';
import { scratchBelowStack } from './memory.js';
import type { HostCall, SyscallArgs } from '../../kernel/syscall.js';
import type { Task } from '../../kernel/task.js';

const ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

/**
 * Puts call's number and arguments in the stopped task's registers (tracer.regs must hold
 * them: it is at the call's seccomp stop); returns the argument registers the host runs
 * the call with.
 */
export function applyHostCall(tracer: Tracer, task: Task, call: HostCall): SyscallArgs {
  const regs = tracer.regs;
  const args = call.args ?? [];
  // Memory first: a write that fails (EFAULT) leaves the registers as the task has them.
  let below = regs[REG.rsp]!;
  const values = args.map((value) => {
    if (value === undefined || typeof value === 'bigint') return value;
    below = scratchBelowStack(below, value.length);
    task.mem.write(below, value);
    return below;
  });
  values.forEach((value, i) => {
    const reg = ARG_REGS[i];
    if (value !== undefined && reg !== undefined) regs[reg] = BigInt.asUintN(64, value);
  });
  if (call.nr !== undefined) regs[REG.orig_rax] = BigInt(call.nr);
  if ((call.nr !== undefined || args.length > 0) && tracer.setRegs(task.hostTid) !== 0) fail(E.ESRCH);
  return [regs[REG.rdi]!, regs[REG.rsi]!, regs[REG.rdx]!, regs[REG.r10]!, regs[REG.r8]!, regs[REG.r9]!];
}
