// System calls the sentry makes a stopped task run (the loader's mmaps in the exec'd stub,
// the recvmsg/mmap/close of a shared mapping): the task's registers are set for the call
// and it runs one syscall instruction; the registers it had are put back for each call.

import { E, fail } from '../abi/errno.js';
import { REG, type Tracer } from '../native/ptrace.js';

const ARGUMENT_REGISTERS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9];

export class Injector {
  private inPlaceNext: boolean;

  /**
   * saved: the task's registers; syscallInsn: the address of a syscall instruction in its
   * memory. With firstInPlace (a task at a seccomp stop), the first call replaces the one
   * the task stopped in, and the others go through that call's own instruction.
   */
  constructor(
    private readonly tracer: Tracer,
    private readonly hostTid: number,
    private readonly saved: BigUint64Array,
    readonly syscallInsn: bigint,
    firstInPlace: boolean,
  ) {
    this.inPlaceNext = firstInPlace;
  }

  /** The call's result as the task would see it: a value or -errno. Fails when ptrace does. */
  call(nr: number, ...args: (bigint | number)[]): bigint {
    const regs = this.tracer.regs;
    regs.set(this.saved);
    const inPlace = this.inPlaceNext;
    this.inPlaceNext = false;
    if (!inPlace) regs[REG.rip] = this.syscallInsn;
    regs[REG.rax] = BigInt(nr);
    regs[REG.orig_rax] = inPlace ? BigInt(nr) : BigInt.asUintN(64, -1n);
    args.forEach((value, i) => {
      regs[ARGUMENT_REGISTERS[i]!] = BigInt.asUintN(64, BigInt(value));
    });
    const result = this.tracer.inject(this.hostTid, inPlace);
    if (result <= -1000) fail(-result - 1000 || E.ESRCH);
    return BigInt.asIntN(64, regs[REG.rax]!);
  }

  /** call(), with a -errno result thrown as that errno. */
  succeed(nr: number, ...args: (bigint | number)[]): bigint {
    const result = this.call(nr, ...args);
    if (result < 0n && result > -4096n) fail(Number(-result));
    return result;
  }
}
