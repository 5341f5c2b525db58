// What a thread's end means for futexes, done at its exit stop (PTRACE_EVENT_EXIT, which
// comes before the kernel releases its memory and walks its robust list).

import { handRobustListToKernel } from './robust.js';
import type { Task } from '../task.js';

/**
 * The thread ends: it waits for no PI lock, its robust locks go to the kernel by host
 * tid, its PI locks to their waiters. An execve does the same before the kernel drops
 * the old program (the kernel walks the robust list and releases PI state at exec too).
 */
export function releaseFutexesOf(task: Task): void {
  const pi = task.kernel.futexes;
  const hostPid = task.group.hostPid;
  pi.stopWaiting(task);
  handRobustListToKernel(task, (thread, addr) => pi.ownerDied(thread, hostPid, addr));
  pi.handOnLocksOf(task);
}
