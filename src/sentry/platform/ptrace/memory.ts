// A traced task's memory through process_vm_readv/writev: a bad address is EFAULT for
// the syscall that passed it, never an exception of the sentry.

import { E, fail } from '../../../abi/errno.js';
import type { Tracer } from '../../../native/ptrace.js';
import type { TaskMemory } from '../task-memory.js';

const PAGE = 4096n;
/** The 128 bytes below rsp the x86-64 ABI lets a function use without moving rsp. */
const RED_ZONE = 128n;
const FIRST_READ = 256;
/** Where C strings are read: the sentry is single-threaded and copies them out at once. */
const scratch = Buffer.allocUnsafe(Number(PAGE));

export class PtraceMemory implements TaskMemory {
  constructor(
    private readonly tracer: Tracer,
    private readonly hostTid: () => number,
  ) {}

  read(addr: bigint, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    if (length === 0) return buf;
    if (this.tracer.readMem(this.hostTid(), addr, buf) !== length) fail(E.EFAULT);
    return buf;
  }

  readInto(addr: bigint, into: Uint8Array): void {
    if (into.length === 0) return;
    if (this.tracer.readMem(this.hostTid(), addr, into) !== into.length) fail(E.EFAULT);
  }

  write(addr: bigint, data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.tracer.writeMem(this.hostTid(), addr, data) !== data.length) fail(E.EFAULT);
  }

  readCString(addr: bigint, maxLength: number): string {
    const parts: string[] = [];
    let total = 0;
    let at = addr;
    // Most strings are short paths: a small first read, then up to a page at a time. Never
    // read across a page boundary in one go: the next page may be unmapped while the
    // string ends before it.
    let want = FIRST_READ;
    for (;;) {
      const chunk = Math.min(want, Number(PAGE - (at % PAGE)));
      const buf = scratch.subarray(0, chunk);
      const n = this.tracer.readMem(this.hostTid(), at, buf);
      if (n <= 0) fail(E.EFAULT);
      const nul = buf.subarray(0, n).indexOf(0);
      const take = nul < 0 ? n : nul;
      total += take;
      if (total >= maxLength) fail(E.ENAMETOOLONG);
      parts.push(buf.toString('latin1', 0, take));
      if (nul >= 0) return parts.length === 1 ? parts[0]! : parts.join('');
      if (n < chunk) fail(E.EFAULT);
      at += BigInt(n);
      want = Number(PAGE);
    }
  }
}

/**
 * Where the sentry may put length bytes of its own in a task stopped at a syscall (the
 * timeout and mask of the ppoll a masked wait ends with): below the stack pointer, past
 * the red zone, 16-byte aligned, where a signal frame would go. Memory the workload can
 * rewrite while the host kernel reads it: only for calls whose arguments concern the
 * calling task alone (docs/security.md); anything else goes through a sentry page.
 */
export function scratchBelowStack(sp: bigint, length: number): bigint {
  return (sp - RED_ZONE - BigInt(length)) & ~15n;
}
