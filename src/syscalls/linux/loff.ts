// The loff_t a syscall takes by pointer (splice, copy_file_range): a file position read
// from the caller and written back advanced by what was moved.

import { E, fail } from '../../abi/errno.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';

/** The position at addr; EINVAL when it is negative. */
export function readOffset(task: SyscallTask, addr: bigint): number {
  const offset = task.mem.read(addr, 8).readBigInt64LE();
  if (offset < 0n) fail(E.EINVAL);
  return Number(offset);
}

export function writeOffset(task: SyscallTask, addr: bigint, offset: number): void {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(offset));
  task.mem.write(addr, b);
}
