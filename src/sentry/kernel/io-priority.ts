// ioprio_get/ioprio_set (block/ioprio.c) over the sandbox's tasks. Each task's I/O
// priority is the sandbox's record, its io context, copied to a clone as Linux copies it
// (shared with CLONE_IO, kept when a class is set, else none) and reported as Linux
// reports it; it has no effect on the host's I/O scheduler, and the host kernel never
// reads "who", which it would take for a host tid, process group or uid.

import { E, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { CLONE } from '../../abi/linux-clone.js';
import { IOPRIO_CLASS, IOPRIO_LEVEL_MASK, IOPRIO_WHO, ioprioClass, ioprioValue } from '../../abi/linux-ioprio.js';
import { isRealTime, SCHED } from '../../abi/linux-sched.js';
import { hasCapability } from './credentials.js';
import { niceOf, priorityTargets, PRIO } from './priority.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/** A task's io context: made by the first ioprio_set, shared by CLONE_IO clones. */
export interface IoContext {
  /** As Linux keeps it, an unsigned short. */
  ioprio: number;
}

/** The tasks "which" and "who" name (getpriority's rules, with ioprio's numbering); EINVAL for another which. */
function targets(caller: Task, groups: readonly ThreadGroup[], which: number, who: number): Task[] {
  const prio = which === IOPRIO_WHO.PROCESS ? PRIO.PROCESS : which === IOPRIO_WHO.PGRP ? PRIO.PGRP : which === IOPRIO_WHO.USER ? PRIO.USER : fail(E.EINVAL);
  return priorityTargets(caller, groups, prio, who);
}

/** ioprio_check_cap: a known class, no level for "none", and RT only with CAP_SYS_ADMIN or CAP_SYS_NICE. */
function checkIoprio(caller: Task, ioprio: number): void {
  switch (ioprioClass(ioprio)) {
    case IOPRIO_CLASS.RT:
      if (!hasCapability(caller.creds, CAP.SYS_ADMIN) && !hasCapability(caller.creds, CAP.SYS_NICE)) fail(E.EPERM);
      return;
    case IOPRIO_CLASS.BE:
    case IOPRIO_CLASS.IDLE:
      return;
    case IOPRIO_CLASS.NONE:
      if (ioprio & IOPRIO_LEVEL_MASK) fail(E.EINVAL);
      return;
    default:
      fail(E.EINVAL);
  }
}

/** What a task's I/O runs at: its own class, or for "none" the one its scheduling and nice give. */
function effectiveIoprio(task: Task): number {
  const ioprio = task.io?.ioprio ?? 0;
  if (ioprioClass(ioprio) !== IOPRIO_CLASS.NONE) return ioprio;
  const policy = task.sched.policy;
  const ioClass = policy === SCHED.IDLE ? IOPRIO_CLASS.IDLE : isRealTime(policy) || policy === SCHED.DEADLINE ? IOPRIO_CLASS.RT : IOPRIO_CLASS.BE;
  return ioprioValue(ioClass, Math.trunc((niceOf(task) + 20) / 5));
}

/**
 * ioprio_get: a process (thread) reports what was set (0 for none); a process group or a
 * user the best (lowest) of its tasks' effective priorities.
 */
export function ioPriorityOf(caller: Task, groups: readonly ThreadGroup[], which: number, who: number): number {
  const found = targets(caller, groups, which, who);
  if (found.length === 0) fail(E.ESRCH);
  if (which === IOPRIO_WHO.PROCESS) return found[0]!.io?.ioprio ?? 0;
  return Math.min(...found.map(effectiveIoprio));
}

/** ioprio_set: every target (the owner by real uid, or CAP_SYS_NICE) takes it, until one refuses. */
export function setIoPriority(caller: Task, groups: readonly ThreadGroup[], which: number, who: number, ioprio: number): void {
  checkIoprio(caller, ioprio);
  const found = targets(caller, groups, which, who);
  if (found.length === 0) fail(E.ESRCH);
  const me = caller.creds;
  for (const target of found) {
    const owner = target.creds.ruid;
    if (owner !== me.euid && owner !== me.ruid && !hasCapability(me, CAP.SYS_NICE)) fail(E.EPERM);
    if (target.io) target.io.ioprio = ioprio & 0xffff;
    else target.io = { ioprio: ioprio & 0xffff };
  }
}

/** copy_io: CLONE_IO shares the io context; otherwise a child keeps a set class in its own. */
export function inheritIoContext(parent: Task, child: Task, flags: bigint): void {
  const io = parent.io;
  if (!io) return;
  if (flags & CLONE.IO) child.io = io;
  else if (ioprioClass(io.ioprio) !== IOPRIO_CLASS.NONE) child.io = { ioprio: io.ioprio };
}
