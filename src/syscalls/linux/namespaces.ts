// Namespace syscalls: unshare(2). The namespaces themselves are the sentry's
// (src/sentry/kernel/namespaces): the host kernel makes none.

import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';

function unshare(task: SyscallTask, args: SyscallArgs): number {
  task.process.unshare(args[0]);
  return 0;
}

export const namespaceSyscalls = { unshare } satisfies Record<string, SyscallHandler>;
