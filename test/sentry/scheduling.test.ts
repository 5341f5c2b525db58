// The rules of __sched_setscheduler as the sentry applies them to its own record of a
// task's policy (no host thread is touched: these tasks have none).
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { ALL_CAPS, CAP, capBit } from '../../src/abi/linux-capability.js';
import { SCHED, SCHED_FLAG } from '../../src/abi/linux-sched.js';
import { INITIAL_USER_NAMESPACE } from '../../src/sentry/kernel/namespaces/user-namespace.js';
import { RlimitTable } from '../../src/sentry/kernel/rlimits.js';
import { DEFAULT_SCHED, inheritScheduling, setScheduling } from '../../src/sentry/kernel/scheduling.js';
import type { SchedChange, TaskCredentials } from '../../src/sentry/kernel/syscall.js';
import type { Task } from '../../src/sentry/kernel/task.js';
import { errnoOf } from './errno-of.js';

const NO_HOST_THREAD = 0x3fffffff;

function creds(uid: number, caps: bigint): TaskCredentials {
  return { ruid: uid, euid: uid, suid: uid, fsuid: uid, rgid: uid, egid: uid, sgid: uid, fsgid: uid, groups: [], permitted: caps, effective: caps, inheritable: 0n, bounding: ALL_CAPS, userNs: INITIAL_USER_NAMESPACE } as TaskCredentials;
}

function task(uid: number, caps = 0n, limits: { type: string; soft: number; hard: number }[] = []): Task {
  return { sched: DEFAULT_SCHED, creds: creds(uid, caps), rlimits: RlimitTable.fromSpec(limits), hostTid: NO_HOST_THREAD } as unknown as Task;
}

const rtprio = (n: number) => [{ type: 'RLIMIT_RTPRIO', soft: n, hard: n }];
const change = (policy: number | undefined, priority: number, more: Partial<SchedChange> = {}): SchedChange => ({
  ...(policy === undefined ? {} : { policy }),
  priority,
  resetOnFork: false,
  flags: 0,
  ...more,
});

describe('scheduling policies', () => {
  it('grants a real-time policy up to RLIMIT_RTPRIO, or any with CAP_SYS_NICE', () => {
    const t = task(1000, 0n, rtprio(20));
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.FIFO, 99)))).toBe(E.EPERM);
    setScheduling(t, t, change(SCHED.FIFO, 20));
    expect(errnoOf(() => setScheduling(t, t, change(undefined, 21)))).toBe(E.EPERM);
    setScheduling(t, t, change(undefined, 5));
    expect(t.sched).toEqual({ policy: SCHED.FIFO, priority: 5, resetOnFork: false });
    const none = task(1000);
    expect(errnoOf(() => setScheduling(none, none, change(SCHED.RR, 1)))).toBe(E.EPERM);
    const nice = task(1000, capBit(CAP.SYS_NICE));
    setScheduling(nice, nice, change(SCHED.FIFO, 99));
    expect(nice.sched.priority).toBe(99);
  });

  it('refuses what Linux calls invalid before any permission', () => {
    const t = task(0, ALL_CAPS);
    expect(errnoOf(() => setScheduling(t, t, change(4, 0)))).toBe(E.EINVAL);
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.FIFO, 0)))).toBe(E.EINVAL);
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.NORMAL, 1)))).toBe(E.EINVAL);
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.RR, 100)))).toBe(E.EINVAL);
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.NORMAL, 0, { flags: 0x100 })))).toBe(E.EINVAL);
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.NORMAL, 0, { flags: SCHED_FLAG.UTIL_CLAMP_MIN })))).toBe(E.EOPNOTSUPP);
  });

  it('keeps SCHED_RESET_ON_FORK unless privileged, and resets a forked real-time task', () => {
    const t = task(1000, 0n, rtprio(10));
    setScheduling(t, t, change(SCHED.RR, 10, { resetOnFork: true }));
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.RR, 10)))).toBe(E.EPERM);
    const child = task(1000);
    inheritScheduling(t, child);
    expect(child.sched).toEqual(DEFAULT_SCHED);
    setScheduling(t, t, change(SCHED.BATCH, 0, { resetOnFork: true }));
    inheritScheduling(t, child);
    expect(child.sched).toEqual({ policy: SCHED.BATCH, priority: 0, resetOnFork: false });
  });

  it('lets only the same owner, or CAP_SYS_NICE, change another task', () => {
    const target = task(2000);
    expect(errnoOf(() => setScheduling(task(1000), target, change(SCHED.BATCH, 0)))).toBe(E.EPERM);
    setScheduling(task(1000, capBit(CAP.SYS_NICE)), target, change(SCHED.BATCH, 0));
    expect(target.sched.policy).toBe(SCHED.BATCH);
  });

  it('leaves SCHED_IDLE only as far as RLIMIT_NICE allows', () => {
    const t = task(1000, 0n, [{ type: 'RLIMIT_NICE', soft: 0, hard: 0 }]);
    setScheduling(t, t, change(SCHED.IDLE, 0));
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.NORMAL, 0)))).toBe(E.EPERM);
    const allowed = task(1000, 0n, [{ type: 'RLIMIT_NICE', soft: 20, hard: 20 }]);
    setScheduling(allowed, allowed, change(SCHED.IDLE, 0));
    setScheduling(allowed, allowed, change(SCHED.NORMAL, 0));
    expect(allowed.sched.policy).toBe(SCHED.NORMAL);
  });

  it('needs CAP_SYS_NICE and valid parameters for SCHED_DEADLINE', () => {
    const params = { runtime: 10_000_000n, deadline: 30_000_000n, period: 30_000_000n };
    const user = task(1000);
    expect(errnoOf(() => setScheduling(user, user, change(SCHED.DEADLINE, 0, { deadline: params })))).toBe(E.EPERM);
    const t = task(0, capBit(CAP.SYS_NICE));
    expect(errnoOf(() => setScheduling(t, t, change(SCHED.DEADLINE, 0, { deadline: { ...params, runtime: 40_000_000n } })))).toBe(E.EINVAL);
    setScheduling(t, t, change(SCHED.DEADLINE, 0, { deadline: params }));
    expect(t.sched).toEqual({ policy: SCHED.DEADLINE, priority: 0, resetOnFork: false, deadline: params });
  });
});
