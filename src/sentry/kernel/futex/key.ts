// Which futex a shared (not FUTEX_PRIVATE_FLAG) word is: the kernel keys it by the
// memory behind the address, so processes that map the same shared memory at different
// addresses meet on the same futex. The sentry reads that from the host's maps.

import { hostMappings } from '../../platform/host/host-proc.js';

/**
 * The key of the shared mapping (device, inode and offset) holding addr in the host
 * thread's address space; undefined for a private mapping, or when it cannot be read.
 */
export function sharedFutexKey(hostTid: number, addr: bigint): string | undefined {
  const mapping = hostMappings(hostTid)?.find((m) => m.start <= addr && addr < m.end);
  if (!mapping || mapping.perms[3] !== 's') return undefined;
  return `s:${mapping.device}:${mapping.inode}:${mapping.offset + (addr - mapping.start)}`;
}
