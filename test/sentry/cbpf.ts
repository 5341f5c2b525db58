// A seccomp program run as the kernel would run it for one call, through the sentry's own
// interpreter (src/sentry/kernel/bpf.ts): the tests compare its verdicts with the table's rows.
import { runSeccompFilter } from '../../src/sentry/kernel/bpf.js';

export const RET = { KILL_PROCESS: 0x80000000, TRACE: 0x7ff00000, ALLOW: 0x7fff0000, ERRNO: 0x00050000 } as const;
export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003 } as const;

/** args are the six argument registers (numbers or bigints, taken modulo 2^64). */
export function runFilter(program: Uint8Array, nr: number, args: readonly (number | bigint)[] = [], arch: number = AUDIT_ARCH.X86_64): number {
  return runSeccompFilter(program, { nr, arch, instructionPointer: 0n, args: args.map((arg) => BigInt.asUintN(64, BigInt(arg))) });
}
