// getpriority/setpriority over the sandbox's tasks. The host kernel would read "who" as a
// host pid, process group or uid and reach processes outside the sandbox (PRIO_USER 0 of
// a root sentry is every root process), so the sentry picks the tasks itself and sets
// the nice value of their host threads.

import { getPriority as hostNice, setPriority as setHostNice } from 'node:os';
import { E, fail, SysError } from '../abi/errno.js';
import { CAP } from '../abi/linux-capability.js';
import { hasCapability } from './credentials.js';
import { RLIMIT } from './rlimits.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export const PRIO = { PROCESS: 0, PGRP: 1, USER: 2 } as const;
const NICE_MIN = -20;
const NICE_MAX = 19;

/** The tasks (threads) "which" and "who" name, as Linux's getpriority/setpriority read them. */
export function priorityTargets(caller: Task, groups: readonly ThreadGroup[], which: number, who: number): Task[] {
  const live = (tasks: Iterable<Task>): Task[] => [...tasks].filter((t) => !t.exited && !t.wasmSignal);
  switch (which) {
    case PRIO.PROCESS: {
      if (who === 0) return live([caller]);
      for (const group of groups) {
        const task = [...group.tasks].find((t) => t.tid === who);
        if (task) return live([task]);
      }
      return [];
    }
    case PRIO.PGRP: {
      const pgid = who === 0 ? caller.group.pgid : who;
      return groups.filter((g) => g.pgid === pgid).flatMap((g) => live(g.tasks));
    }
    case PRIO.USER: {
      const uid = who === 0 ? caller.creds.ruid : who;
      return groups.filter((g) => g.creds.ruid === uid).flatMap((g) => live(g.tasks));
    }
    default:
      fail(E.EINVAL);
  }
}

/** getpriority's raw result: 20 - nice of the highest-priority target (1..40). */
export function highestPriority(targets: readonly Task[]): number {
  if (targets.length === 0) fail(E.ESRCH);
  return Math.max(...targets.map((t) => 20 - niceOf(t)));
}

/** setpriority: every target gets nice (clamped), or the call fails with the last error. */
export function setNice(caller: Task, targets: readonly Task[], requested: number): void {
  if (targets.length === 0) fail(E.ESRCH);
  const nice = Math.min(NICE_MAX, Math.max(NICE_MIN, requested));
  const me = caller.creds;
  let error: number | undefined;
  for (const target of targets) {
    const them = target.creds;
    if (them.ruid !== me.euid && them.euid !== me.euid && !hasCapability(me, CAP.SYS_NICE)) {
      error = E.EPERM;
      continue;
    }
    if (nice < niceOf(target) && !mayLowerNice(caller, target, nice)) {
      error = E.EACCES;
      continue;
    }
    try {
      setHostNice(target.hostTid, nice);
    } catch {
      // The thread ended meanwhile, or the host refuses a nice value the sandbox allows.
      error = E.EACCES;
    }
  }
  if (error !== undefined) throw new SysError(error);
}

/** Linux's can_nice: RLIMIT_NICE allows 20 - nice, or CAP_SYS_NICE. */
function mayLowerNice(caller: Task, target: Task, nice: number): boolean {
  return BigInt(20 - nice) <= target.rlimits.get(RLIMIT.NICE).cur || hasCapability(caller.creds, CAP.SYS_NICE);
}

function niceOf(task: Task): number {
  try {
    return hostNice(task.hostTid);
  } catch {
    return 0;
  }
}
