// Reading and writing a PI or robust lock word in a task's memory while other threads run
// freely in user space, where glibc changes a word only by compare-and-swap: from 0 to a
// tid, or from exactly a tid to 0 (see futex-pi.ts and robust-futex.ts for how each uses it).

import { FUTEX } from '../../../abi/linux-futex.js';
import type { TaskMemory } from '../syscall.js';

export function readWord(mem: TaskMemory, addr: bigint): number {
  return mem.read(addr, 4).readUInt32LE(0);
}

/**
 * Stores value in a word no user-space swap may change midway. The sentry has no
 * compare-and-swap, so the high byte goes first, alone, with FUTEX_WAITERS: from then on
 * the word is never 0 or a bare tid, so no fast path matches it while the low three bytes
 * are written; the true high byte comes last, when value lacks WAITERS.
 */
export function storeWord(mem: TaskMemory, addr: bigint, value: number): void {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  mem.write(addr + 3n, Uint8Array.of(bytes[3]! | (FUTEX.WAITERS >>> 24)));
  mem.write(addr, bytes.subarray(0, 3));
  if ((value & FUTEX.WAITERS) === 0) mem.write(addr + 3n, bytes.subarray(3));
}
