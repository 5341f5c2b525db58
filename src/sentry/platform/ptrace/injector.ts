// System calls the sentry makes a stopped task run (the loader's mmaps in the exec'd stub,
// the calls of a sentry page: sentry-page.ts): the task's registers are set for each call
// and the tracer runs it, bounded (tracer.c's inject: a fault, a task killed meanwhile, too
// many stops or too long end it; the tracer never loops). Each call starts from the
// registers the task had; restore() puts them back.

import { E, fail } from '../../../abi/errno.js';
import { INJECT, REG, type InjectMode, type Tracer } from '../../../native/ptrace.js';

const ARGUMENT_REGISTERS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9];

export class Injector {
  private instruction: bigint | undefined;
  /** The task is still at the seccomp stop of its own call: the next call replaces it. */
  private inPlace: boolean;

  /**
   * saved: the task's registers. syscallInsn: a `syscall` instruction only the sentry can
   * change (the stub's, a sentry page's); without one the task is at a seccomp stop and
   * the first call is made in place of the one it stopped in (no instruction runs), the
   * later ones through the instruction useInstruction() names.
   */
  constructor(
    private readonly tracer: Tracer,
    private readonly hostTid: number,
    private readonly saved: BigUint64Array,
    syscallInsn?: bigint,
  ) {
    this.instruction = syscallInsn;
    this.inPlace = syscallInsn === undefined;
  }

  get syscallInsn(): bigint | undefined {
    return this.instruction;
  }

  /** Later calls run through the `syscall` instruction at insn. */
  useInstruction(insn: bigint): void {
    this.instruction = insn;
  }

  /**
   * The call's result as the task would see it: a value or -errno. Throws when the task
   * cannot run it (ESRCH: it died; or the tracer killed it: see Tracer.inject).
   */
  call(nr: number, ...args: (bigint | number)[]): bigint {
    this.run(this.inPlace ? INJECT.inPlace : INJECT.step, nr, args);
    return BigInt.asIntN(64, this.tracer.regs[REG.rax]!);
  }

  /** call(), with a -errno result thrown as that errno. */
  succeed(nr: number, ...args: (bigint | number)[]): bigint {
    const result = this.call(nr, ...args);
    if (result < 0n && result > -4096n) fail(Number(-result));
    return result;
  }

  /**
   * Runs a call the sentry's filter traps up to its seccomp stop, where the task stays
   * (the sentry then lets the kernel run it). undefined there; else the call ended without
   * that stop (a filter of the workload's answered it) and this is its result.
   */
  toSeccompStop(nr: number, ...args: (bigint | number)[]): bigint | undefined {
    if (this.run(INJECT.toSeccomp, nr, args) === 1) return undefined;
    return BigInt.asIntN(64, this.tracer.regs[REG.rax]!);
  }

  /** Puts the task's own registers back, in the task and in the register buffer. */
  restore(): void {
    this.tracer.regs.set(this.saved);
    this.tracer.setRegs(this.hostTid);
  }

  private run(mode: InjectMode, nr: number, args: (bigint | number)[]): number {
    const regs = this.tracer.regs;
    regs.set(this.saved);
    this.inPlace = false;
    if (mode === INJECT.inPlace) regs[REG.orig_rax] = BigInt(nr);
    else {
      if (this.instruction === undefined) throw new Error('injector: no syscall instruction to run the call through');
      regs[REG.rip] = this.instruction;
      regs[REG.rax] = BigInt(nr);
    }
    args.forEach((value, i) => {
      regs[ARGUMENT_REGISTERS[i]!] = BigInt.asUintN(64, BigInt(value));
    });
    const status = this.tracer.inject(this.hostTid, mode);
    if (status < 0) fail(-status || E.ESRCH);
    return status;
  }
}
