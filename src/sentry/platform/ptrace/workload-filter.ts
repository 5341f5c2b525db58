// A seccomp filter of the workload's, installed by the host kernel on the task's behalf
// (seccomp(SECCOMP_SET_MODE_FILTER) made in the task): the kernel copies the program
// from a sentry page (sentry-page.ts) holding the sentry's checked copy, while the other
// tasks of the address space are frozen, so no sibling can swap the program between the
// sentry's check and the kernel's copy.

import { NR } from '../../../abi/linux-syscalls.js';
import { E, fail } from '../../../abi/errno.js';
import type { Tracer } from '../../../native/ptrace.js';
import { SentryPage } from './sentry-page.js';

const SECCOMP_SET_MODE_FILTER = 1;
/** struct sock_fprog: u16 len, padding, the filter's address. */
const FPROG_SIZE = 16;

/**
 * Installs program (struct sock_filter[]) in the task stopped at its seccomp call: its
 * result. instruction: a sealed syscall instruction of the task's, if it has one.
 */
export function installFilter(tracer: Tracer, hostTid: number, program: Uint8Array, flags: number, instruction: bigint | undefined): bigint {
  if (tracer.getRegs(hostTid) !== 0) fail(E.ESRCH);
  const page = SentryPage.open(tracer, hostTid, tracer.regs.slice(), { readOnly: FPROG_SIZE + program.length, ...(instruction === undefined ? {} : { instruction }) });
  try {
    const data = Buffer.alloc(FPROG_SIZE + program.length);
    data.writeUInt16LE(program.length / 8, 0);
    data.writeBigUInt64LE(page.dataAddress + BigInt(FPROG_SIZE), 8);
    data.set(program, FPROG_SIZE);
    page.poke(page.dataAddress, data);
    return page.injector.call(NR.seccomp, SECCOMP_SET_MODE_FILTER, flags, page.dataAddress);
  } finally {
    page.close();
  }
}
