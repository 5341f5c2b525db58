// Calls whose arguments name a tid (or a process group or user): the sandbox's virtual
// ids become host threads before the host kernel acts on them.

import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallTask } from '../../sentry/syscall.js';
import { int32 } from './decode.js';

/** get_robust_list(pid, head_ptr, len_ptr): pid 0 is the caller. */
function get_robust_list(task: SyscallTask, args: SyscallArgs): typeof RUN_ON_HOST {
  return task.process.robustListOf(int32(args[0]));
}

function getpriority(task: SyscallTask, args: SyscallArgs): number {
  return task.process.getPriority(int32(args[0]), int32(args[1]));
}

function setpriority(task: SyscallTask, args: SyscallArgs): number {
  task.process.setPriority(int32(args[0]), int32(args[1]), int32(args[2]));
  return 0;
}

export const threadSyscalls = { get_robust_list, getpriority, setpriority } satisfies Record<string, SyscallHandler>;
