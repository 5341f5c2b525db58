// Scheduling policies (linux/sched.h, uapi/linux/sched/types.h): the policies, the flags
// of sched_setattr, and the layout of struct sched_attr.

export const SCHED = { NORMAL: 0, FIFO: 1, RR: 2, BATCH: 3, IDLE: 5, DEADLINE: 6 } as const;

/** ORed into sched_setscheduler's policy (and reported by sched_getscheduler). */
export const SCHED_RESET_ON_FORK = 0x40000000;

export const SCHED_FLAG = {
  RESET_ON_FORK: 0x01,
  RECLAIM: 0x02,
  DL_OVERRUN: 0x04,
  KEEP_POLICY: 0x08,
  KEEP_PARAMS: 0x10,
  UTIL_CLAMP_MIN: 0x20,
  UTIL_CLAMP_MAX: 0x40,
} as const;
export const SCHED_FLAG_KEEP_ALL = SCHED_FLAG.KEEP_POLICY | SCHED_FLAG.KEEP_PARAMS;
export const SCHED_FLAG_UTIL_CLAMP = SCHED_FLAG.UTIL_CLAMP_MIN | SCHED_FLAG.UTIL_CLAMP_MAX;
export const SCHED_FLAG_ALL = SCHED_FLAG.RESET_ON_FORK | SCHED_FLAG.RECLAIM | SCHED_FLAG.DL_OVERRUN | SCHED_FLAG_KEEP_ALL | SCHED_FLAG_UTIL_CLAMP;

/** The highest real-time priority (MAX_RT_PRIO - 1). */
export const MAX_RT_PRIORITY = 99;
export const NICE_MIN = -20;
export const NICE_MAX = 19;

/** struct sched_attr: its first size (VER0) and the one with the utilization clamps (VER1). */
export const SCHED_ATTR_SIZE_VER0 = 48;
export const SCHED_ATTR_SIZE_VER1 = 56;
export const SCHED_ATTR_OFFSET = {
  size: 0, policy: 4, flags: 8, nice: 16, priority: 20, runtime: 24, deadline: 32, period: 40, utilMin: 48, utilMax: 52,
} as const;

/** SCHED_RR's time slice (RR_TIMESLICE, 100 ms), as sched_rr_get_interval reports it. */
export const RR_TIMESLICE_NS = 100_000_000n;

export function isRealTime(policy: number): boolean {
  return policy === SCHED.FIFO || policy === SCHED.RR;
}

/** CFS policies, whose weight is the nice value. */
export function isFair(policy: number): boolean {
  return policy === SCHED.NORMAL || policy === SCHED.BATCH;
}
