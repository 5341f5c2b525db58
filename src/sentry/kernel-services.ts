// What every sandbox, ptrace or wasm, gives its tasks as the shared kernel: its VFS, its
// uts names, its memory account, and clocks whose boot time is the sandbox's start.

import type { MemoryAccount } from '../accounting/memory-account.js';
import type { Vfs } from '../vfs/api.js';
import type { KernelServices } from './syscall.js';

export function makeKernelServices(vfs: Vfs, memory: MemoryAccount, hostname: string, domainname: string): KernelServices {
  const startedAt = process.hrtime.bigint();
  return {
    vfs,
    memory,
    hostname,
    domainname,
    realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
    monotonicNs: () => process.hrtime.bigint(),
    uptimeNs: () => process.hrtime.bigint() - startedAt,
  };
}
