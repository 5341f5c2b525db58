// Thread calls whose arguments name a tid: the sandbox's virtual tids become host ones
// before the host kernel runs them (robust futex lists stay the host's business).

import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallTask } from '../../sentry/syscall.js';
import { int32 } from './decode.js';

/** get_robust_list(pid, head_ptr, len_ptr): pid 0 is the caller. */
function get_robust_list(task: SyscallTask, args: SyscallArgs): typeof RUN_ON_HOST {
  return task.process.robustListOf(int32(args[0]));
}

export const threadSyscalls = { get_robust_list } satisfies Record<string, SyscallHandler>;
