// Namespace syscalls: unshare(2), setns(2). The namespaces themselves are the sentry's
// (src/sentry/kernel/namespaces): the host kernel makes none.

import { int32 } from './decode.js';
import { openFile } from './task-files.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';

function unshare(task: SyscallTask, args: SyscallArgs): number {
  task.process.unshare(args[0]);
  return 0;
}

function setns(task: SyscallTask, args: SyscallArgs): number {
  task.process.setns(openFile(task, int32(args[0])), int32(args[1]));
  return 0;
}

export const namespaceSyscalls = { unshare, setns } satisfies Record<string, SyscallHandler>;
