// personality(2): the task's execution domain and flags (src/sentry/kernel/personality.ts).

import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { uint32 } from './decode.js';

function personality(task: SyscallTask, args: SyscallArgs): number {
  // The old personality comes back as a non-negative int: Linux returns it whole.
  return task.process.personality(uint32(args[0]));
}

export const personalitySyscalls = { personality } satisfies Record<string, SyscallHandler>;
