// A trapped call the host kernel runs with some of its arguments replaced by the sentry:
// a virtual tid made a host tid, a clock id translated, a struct rewritten (copied below
// the stack pointer, where a signal frame would go). The task's own argument registers
// are put back at the syscall exit (SyscallStops.restoreArgs), as the syscall ABI keeps
// them, and finish turns the host's result into the workload's.

import { E, fail } from '../abi/errno.js';
import { REG, type Tracer } from '../native/ptrace.js';
import { scratchBelowStack } from './memory.js';
import { RUN_ON_HOST, type SyscallResult } from './syscall.js';
import type { Task } from './task.js';

const ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

/** tracer.regs must hold task's registers (it is stopped at the call's seccomp stop). */
export function runRewritten(
  tracer: Tracer,
  task: Task,
  args: readonly (bigint | Uint8Array | undefined)[],
  finish: (hostResult: bigint) => SyscallResult = (result) => result,
): typeof RUN_ON_HOST {
  const regs = tracer.regs;
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
  if (tracer.setRegs(task.hostTid) !== 0) fail(E.ESRCH);
  task.exitHook = finish;
  return RUN_ON_HOST;
}
