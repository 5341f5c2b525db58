// Scheduling policies of the sandbox's tasks. SCHED_FIFO, RR, DEADLINE, BATCH and IDLE
// are the sandbox's: checked with Linux's rules (__sched_setscheduler) against the
// sandbox's credentials and rlimits, recorded and reported, and never applied to a host
// thread: a real-time host thread takes the CPU from the host itself, whatever the
// sandbox's limits say (as gVisor, which records them too). The nice value is the host
// thread's (priority.ts): a fair-share weight that leaves every other host task its share.

import { E, fail, SysError } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { isFair, isRealTime, MAX_RT_PRIORITY, NICE_MAX, NICE_MIN, SCHED, SCHED_FLAG_ALL, SCHED_FLAG_UTIL_CLAMP } from '../../abi/linux-sched.js';
import { hasCapability } from './credentials.js';
import { applyNice, isNiceReduction, niceOf } from './priority.js';
import { RLIMIT } from './rlimits.js';
import type { SchedChange, SchedPolicy, TaskCredentials } from './syscall.js';
import type { Task } from './task.js';

export const DEFAULT_SCHED: SchedPolicy = { policy: SCHED.NORMAL, priority: 0, resetOnFork: false };

const POLICIES = new Set<number>(Object.values(SCHED));
/** sysctl_sched_dl_period_min and _max (100 us, about 4 s) in nanoseconds; DL_SCALE. */
const DL_PERIOD_MIN = 100_000n;
const DL_PERIOD_MAX = (1n << 22n) * 1000n;
const DL_RUNTIME_MIN = 1n << 10n;

/** The scheduler's check_same_owner, or CAP_SYS_NICE (sched_setaffinity, sched_setscheduler). */
export function mayReschedule(caller: TaskCredentials, target: TaskCredentials): boolean {
  return sameOwner(caller, target) || hasCapability(caller, CAP.SYS_NICE);
}

function sameOwner(caller: TaskCredentials, target: TaskCredentials): boolean {
  return caller.euid === target.euid || caller.euid === target.ruid;
}

/** sched_fork: a new thread or process inherits its creator's policy, unless reset-on-fork. */
export function inheritScheduling(parent: Task, child: Task): void {
  const sched = parent.sched;
  if (!sched.resetOnFork) {
    child.sched = sched;
    return;
  }
  child.sched = isRealTime(sched.policy) || sched.policy === SCHED.DEADLINE ? DEFAULT_SCHED : { ...sched, resetOnFork: false };
  // The host thread inherited its creator's nice; reset-on-fork gives a negative one back.
  if (niceOf(child) < 0) tryApplyNice(child, 0);
}

/** sched_getattr's view: the recorded policy and the host thread's nice value. */
export function schedulingOf(task: Task): SchedPolicy & { readonly nice: number } {
  return { ...task.sched, nice: niceOf(task) };
}

/** __sched_setscheduler for a user: the checks in Linux's order, then the new policy recorded. */
export function setScheduling(caller: Task, target: Task, change: SchedChange): void {
  const old = target.sched;
  const policy = change.policy ?? old.policy;
  const resetOnFork = change.policy === undefined ? old.resetOnFork : change.resetOnFork;
  if (!POLICIES.has(policy)) fail(E.EINVAL);
  if (change.flags & ~SCHED_FLAG_ALL) fail(E.EINVAL);
  const { priority } = change;
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_RT_PRIORITY) fail(E.EINVAL);
  if (policy === SCHED.DEADLINE && !validDeadline(change.deadline)) fail(E.EINVAL);
  if (isRealTime(policy) !== (priority !== 0)) fail(E.EINVAL);
  const currentNice = niceOf(target);
  const nice = isFair(policy) && change.nice !== undefined ? Math.min(NICE_MAX, Math.max(NICE_MIN, change.nice)) : currentNice;
  if (needsPrivilege(caller, target, { policy, priority, nice, resetOnFork }, currentNice) && !hasCapability(caller.creds, CAP.SYS_NICE)) fail(E.EPERM);
  // No utilization clamping here, as in a kernel built without CONFIG_UCLAMP_TASK.
  if (change.flags & SCHED_FLAG_UTIL_CLAMP) fail(E.EOPNOTSUPP);
  if (nice !== currentNice && !tryApplyNice(target, nice)) fail(E.EPERM);
  target.sched = {
    policy,
    priority,
    resetOnFork,
    ...(policy === SCHED.DEADLINE && change.deadline ? { deadline: change.deadline } : {}),
  };
}

/** user_check_sched_setscheduler: whether the change needs CAP_SYS_NICE. */
function needsPrivilege(caller: Task, target: Task, next: { policy: number; priority: number; nice: number; resetOnFork: boolean }, currentNice: number): boolean {
  const old = target.sched;
  if (isFair(next.policy) && next.nice < currentNice && !isNiceReduction(target, next.nice)) return true;
  if (isRealTime(next.policy)) {
    const rtprio = target.rlimits.get(RLIMIT.RTPRIO).cur;
    if (next.policy !== old.policy && rtprio === 0n) return true;
    if (next.priority > old.priority && BigInt(next.priority) > rtprio) return true;
  }
  if (next.policy === SCHED.DEADLINE) return true;
  // SCHED_IDLE counts as nice 20: leaving it is lowering the nice value.
  if (old.policy === SCHED.IDLE && next.policy !== SCHED.IDLE && !isNiceReduction(target, currentNice)) return true;
  if (!sameOwner(caller.creds, target.creds)) return true;
  return old.resetOnFork && !next.resetOnFork;
}

/** __checkparam_dl: runtime <= deadline <= period, within the kernel's period bounds. */
function validDeadline(params: SchedChange['deadline']): boolean {
  if (!params) return false;
  const { runtime, deadline } = params;
  if (deadline === 0n || runtime < DL_RUNTIME_MIN) return false;
  if (deadline >= 1n << 63n || params.period >= 1n << 63n) return false;
  const period = params.period === 0n ? deadline : params.period;
  if (period < deadline || deadline < runtime) return false;
  return period >= DL_PERIOD_MIN && period <= DL_PERIOD_MAX;
}

function tryApplyNice(task: Task, nice: number): boolean {
  try {
    applyNice(task, nice);
    return true;
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
}
