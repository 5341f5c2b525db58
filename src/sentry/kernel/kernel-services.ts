// What every sandbox, ptrace or wasm, gives its first tasks as their kernel: its VFS, its
// uts names, its memory account, its IPC namespace, its network stack, and clocks whose boot
// time is the sandbox's start. Tasks that unshare get copies with new namespaces.

import type { MemoryAccount } from '../../accounting/memory-account.js';
import type { NetworkStack } from '../../netstack/stack.js';
import type { Vfs } from '../../vfs/api.js';
import { PiFutexes } from './futex/pi.js';
import type { IpcNamespace } from './ipc/namespace.js';
import type { KernelServices } from './syscall.js';
import { UtsNamespace } from './namespaces/uts.js';
import { CgroupNamespace, NamespaceFiles } from './namespaces/nsfs.js';

export function makeKernelServices(vfs: Vfs, memory: MemoryAccount, ipc: IpcNamespace, net: NetworkStack, hostname: string, domainname: string): KernelServices {
  const startedAt = process.hrtime.bigint();
  return {
    vfs,
    memory,
    ipc,
    net,
    futexes: new PiFutexes(),
    uts: new UtsNamespace(hostname, domainname),
    cgroup: new CgroupNamespace(),
    nsfs: new NamespaceFiles(),
    realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
    monotonicNs: () => process.hrtime.bigint(),
    uptimeNs: () => process.hrtime.bigint() - startedAt,
  };
}
