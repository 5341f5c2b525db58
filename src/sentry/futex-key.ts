// Which futex a shared (not FUTEX_PRIVATE_FLAG) word is: the kernel keys it by the
// memory behind the address, so processes that map the same shared memory at different
// addresses meet on the same futex. The sentry reads that from the host's maps.

import { readFileSync } from 'node:fs';

/**
 * The key of the shared mapping (device, inode and offset) holding addr in the host
 * thread's address space; undefined for a private mapping, or when it cannot be read.
 */
export function sharedFutexKey(hostTid: number, addr: bigint): string | undefined {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${hostTid}/maps`, 'latin1');
  } catch {
    return undefined;
  }
  for (const line of maps.split('\n')) {
    const [range, perms, offset, dev, inode] = line.split(/\s+/, 5);
    if (!range || !perms || !offset || !dev || !inode) continue;
    const dash = range.indexOf('-');
    const start = BigInt(`0x${range.slice(0, dash)}`);
    const end = BigInt(`0x${range.slice(dash + 1)}`);
    if (addr < start || addr >= end) continue;
    if (perms[3] !== 's') return undefined;
    return `s:${dev}:${inode}:${BigInt(`0x${offset}`) + (addr - start)}`;
  }
  return undefined;
}
