// A trapped call the host kernel runs with its number or some of its arguments replaced
// by the sentry (a HostCall): a virtual tid made a host tid, a clock id translated, a
// struct rewritten (copied below the stack pointer, where a signal frame would go). The
// task's own argument registers are put back at the syscall exit (SyscallStops), as the
// syscall ABI keeps them.

import { E, fail } from '../../../abi/errno.js';
import { REG, type Tracer } from '../../../native/ptrace.js';
import { scratchBelowStack } from './memory.js';

const ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

/**
 * Puts nr and args in the stopped task's registers (tracer.regs must hold them: it is at
 * the call's seccomp stop), bytes through write below its stack; returns the argument
 * registers the host runs the call with.
 */
export function applyHostCall(
  tracer: Tracer,
  hostTid: number,
  write: (addr: bigint, bytes: Uint8Array) => void,
  nr: number | undefined,
  args: readonly (bigint | Uint8Array | undefined)[] = [],
): [bigint, bigint, bigint, bigint, bigint, bigint] {
  const regs = tracer.regs;
  // Memory first: a write that fails (EFAULT) leaves the registers as the task has them.
  let below = regs[REG.rsp]!;
  const values = args.map((value) => {
    if (value === undefined || typeof value === 'bigint') return value;
    below = scratchBelowStack(below, value.length);
    write(below, value);
    return below;
  });
  values.forEach((value, i) => {
    const reg = ARG_REGS[i];
    if (value !== undefined && reg !== undefined) regs[reg] = BigInt.asUintN(64, value);
  });
  if (nr !== undefined) regs[REG.orig_rax] = BigInt(nr);
  if ((nr !== undefined || args.length > 0) && tracer.setRegs(hostTid) !== 0) fail(E.ESRCH);
  return [regs[REG.rdi]!, regs[REG.rsi]!, regs[REG.rdx]!, regs[REG.r10]!, regs[REG.r8]!, regs[REG.r9]!];
}
