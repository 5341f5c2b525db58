// getpriority/setpriority over the sandbox's tasks. The host kernel would read "who" as a
// host pid, process group or uid and reach processes outside the sandbox (PRIO_USER 0 of
// a root sentry is every root process), so the sentry picks the tasks itself and sets
// the nice value of their host threads. Unlike a real-time policy (scheduling.ts), a nice
// value is a fair-share weight that leaves every host task its share, so it reaches the
// host thread once the sandbox's rules (RLIMIT_NICE, CAP_SYS_NICE) allow it; a host that
// refuses it (tssc unprivileged) makes the call fail with EACCES.

import { getPriority as hostNice, setPriority as setHostNice } from 'node:os';
import { E, fail, SysError } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { NICE_MAX, NICE_MIN } from '../../abi/linux-sched.js';
import { hasCapability } from './credentials.js';
import { RLIMIT } from './rlimits.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export const PRIO = { PROCESS: 0, PGRP: 1, USER: 2 } as const;

/** The tasks (threads) "which" and "who" name, as Linux's getpriority/setpriority read them. */
export function priorityTargets(caller: Task, groups: readonly ThreadGroup[], which: number, who: number): Task[] {
  const live = (tasks: Iterable<Task>): Task[] => [...tasks].filter((t) => !t.exited && !t.wasmSignal);
  switch (which) {
    case PRIO.PROCESS: {
      if (who === 0) return live([caller]);
      const tid = caller.pidNamespace.idOf(who);
      for (const group of groups) {
        const task = [...group.tasks].find((t) => t.tid === tid);
        if (task) return live([task]);
      }
      return [];
    }
    case PRIO.PGRP: {
      const pgid = who === 0 ? caller.group.pgid : caller.pidNamespace.idOf(who);
      return groups.filter((g) => g.pgid === pgid).flatMap((g) => live(g.tasks));
    }
    case PRIO.USER: {
      // who is a uid_t here: uids past 2^31 come as negative ints.
      const uid = who === 0 ? caller.creds.ruid : who >>> 0;
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
    // Linux's can_nice: RLIMIT_NICE allows it, or CAP_SYS_NICE.
    if (nice < niceOf(target) && !isNiceReduction(target, nice) && !hasCapability(me, CAP.SYS_NICE)) {
      error = E.EACCES;
      continue;
    }
    try {
      applyNice(target, nice);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      error = e.errno;
    }
  }
  if (error !== undefined) throw new SysError(error);
}

/** Linux's is_nice_reduction: the target's RLIMIT_NICE allows nice (as 20 - nice). */
export function isNiceReduction(target: Task, nice: number): boolean {
  return BigInt(20 - nice) <= target.rlimits.get(RLIMIT.NICE).cur;
}

/** Sets the host thread's nice value; EACCES when it ended or the host refuses one the sandbox allows. */
export function applyNice(task: Task, nice: number): void {
  try {
    setHostNice(task.hostTid, nice);
  } catch {
    fail(E.EACCES);
  }
}

export function niceOf(task: Task): number {
  try {
    return hostNice(task.hostTid);
  } catch {
    return 0;
  }
}
