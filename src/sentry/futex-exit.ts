// What a thread's end means for futexes, done at its exit stop (PTRACE_EVENT_EXIT, which
// comes before the kernel releases its memory and walks its robust list).

import { PTRACE_EVENT, type Tracer } from '../native/ptrace.js';
import { piHandOnLocksOf, piOwnerDied, piStopWaiting } from './futex-pi.js';
import { handRobustListToKernel } from './robust-futex.js';
import { SIG } from './signals.js';
import type { Task } from './task.js';

/** si_code of an exit stop's siginfo. */
const EXIT_STOP_CODE = SIG.TRAP | (PTRACE_EVENT.EXIT << 8);
const siginfo = new Uint8Array(128);

export function releaseFutexesOf(task: Task): void {
  piStopWaiting(task);
  handRobustListToKernel(task, piOwnerDied);
  piHandOnLocksOf(task);
}

/**
 * Before the sentry resumes a task it holds at a syscall stop: a SIGKILL that came
 * meanwhile (a raise(SIGKILL), a group exit) may have moved it on to its exit stop, which
 * the resume would then end unseen. Such a task has its futexes released here.
 */
export function releaseFutexesIfEnding(tracer: Tracer, task: Task): void {
  if (tracer.siginfo(task.hostTid, siginfo, false) !== 0) return;
  const code = Buffer.from(siginfo.buffer).readInt32LE(8);
  if (code === EXIT_STOP_CODE) releaseFutexesOf(task);
}
