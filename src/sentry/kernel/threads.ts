// Thread-group rules the ptrace sandbox needs beyond one task per process: which thread
// takes a process-directed signal, and the virtual tids the workload must find in its
// memory where the host kernel would have written host tids.

import type { Task } from './task.js';

/**
 * Writes a virtual tid where CLONE_PARENT_SETTID / CLONE_CHILD_SETTID point. A bad
 * address is ignored, as Linux ignores it (the fault is the workload's own business).
 */
export function writeTid(task: Task, addr: bigint, tid: number): void {
  if (addr === 0n) return;
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(tid);
  try {
    task.mem.write(addr, buf);
  } catch {
    // Not mapped or not writable: Linux leaves it unwritten too.
  }
}

/** What the choice of a thread reads of a task. */
export interface SignalCandidate {
  readonly tid: number;
  readonly exited: boolean;
  /** Asleep in a sentry wait: the host kernel cannot pick it. */
  readonly waiting: boolean;
}

/** Where a process-directed signal goes. */
export type SignalRoute<T extends SignalCandidate = Task> =
  /** The host kernel picks a running thread that does not block it (or keeps it pending). */
  | { kind: 'host' }
  /** A thread asleep in a sentry wait is the one that takes it: its wait must end. */
  | { kind: 'task'; task: T };

/**
 * Linux gives a process-directed signal to the leader (tid == pid) if it does not block
 * it, else to any other thread that does not; it stays pending for the process when all
 * block it. The host kernel makes that choice among threads that run, but never picks one
 * the sentry holds stopped in a blocking call: such a thread is chosen here, so its wait
 * ends. A running thread that takes it is left to the host, which delivers it at once.
 */
export function routeProcessSignal<T extends SignalCandidate>(
  pid: number,
  tasks: Iterable<T>,
  sig: number,
  blocked: (task: T) => bigint | undefined,
): SignalRoute<T> {
  const bit = 1n << BigInt(sig - 1);
  const live = [...tasks].filter((t) => !t.exited);
  // Without a sleeper the host decides in any case: no mask needs reading.
  if (!live.some((t) => t.waiting)) return { kind: 'host' };
  const leader = live.find((t) => t.tid === pid);
  const ordered = leader ? [leader, ...live.filter((t) => t !== leader)] : live;
  for (const task of ordered) {
    const mask = blocked(task);
    if (mask === undefined || mask & bit) continue;
    return task.waiting ? { kind: 'task', task } : { kind: 'host' };
  }
  return { kind: 'host' };
}
