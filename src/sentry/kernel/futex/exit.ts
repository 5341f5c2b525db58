// What a thread's end means for futexes, done at its exit stop (PTRACE_EVENT_EXIT, which
// comes before the kernel releases its memory and walks its robust list).

import { PTRACE_EVENT, REG, STOP, type Tracer } from '../../../native/ptrace.js';
import { piHandOnLocksOf, piOwnerDied, piStopWaiting } from './pi.js';
import { handRobustListToKernel } from './robust.js';
import { SIG } from '../../../abi/linux-signal.js';
import type { Task } from '../task.js';

/** si_code of an exit stop's siginfo. */
const EXIT_STOP_CODE = SIG.TRAP | (PTRACE_EVENT.EXIT << 8);
const siginfo = new Uint8Array(128);
/** kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo: calls that may end their caller. */
const SIGNAL_SENDING_CALLS = new Set([62, 200, 234, 129, 297]);

/**
 * The thread ends: it waits for no PI lock, its robust locks go to the kernel by host
 * tid, its PI locks to their waiters. An execve does the same before the kernel drops
 * the old program (the kernel walks the robust list and releases PI state at exec too).
 */
export function releaseFutexesOf(task: Task): void {
  piStopWaiting(task);
  handRobustListToKernel(task, piOwnerDied);
  piHandOnLocksOf(task);
}

/**
 * Before the sentry resumes a task it holds at a syscall stop (regs hold its registers):
 * a SIGKILL that came meanwhile (a raise(SIGKILL)) may have moved it on to its exit
 * stop, which the resume would then end unseen. Such a task has its futexes released here.
 */
export function releaseFutexesIfEnding(tracer: Tracer, task: Task): void {
  // Asking the kernel costs a ptrace call (about 1 us): an answer given right at the stop
  // asks only after a call that sent a signal; an answer after a wait always asks. (A
  // group exit that races with an answer given right at the stop is not caught.)
  const atTheStop = tracer.stop[STOP.pid] === task.hostTid;
  const nr = Number(tracer.regs[REG.orig_rax]!);
  if (atTheStop && !SIGNAL_SENDING_CALLS.has(nr)) return;
  if (tracer.siginfo(task.hostTid, siginfo, false) !== 0) return;
  const code = Buffer.from(siginfo.buffer).readInt32LE(8);
  if (code === EXIT_STOP_CODE) releaseFutexesOf(task);
}
