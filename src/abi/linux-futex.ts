// The Linux futex ABI (linux/futex.h): the bits of a lock word and the operations of futex(2).

/** The parts of a PI or robust lock word. */
export const FUTEX = {
  WAITERS: 0x80000000,
  OWNER_DIED: 0x40000000,
  TID_MASK: 0x3fffffff,
} as const;

/** futex(2) commands (op & FUTEX_CMD_MASK). */
export const FUTEX_CMD = {
  WAIT: 0,
  WAKE: 1,
  WAKE_OP: 5,
  LOCK_PI: 6,
  UNLOCK_PI: 7,
  TRYLOCK_PI: 8,
  WAIT_REQUEUE_PI: 11,
  CMP_REQUEUE_PI: 12,
  LOCK_PI2: 13,
} as const;

export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
/** The command of an op: everything but the private and clock flags. */
export const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

/** The commands that name a lock owner by tid: the sentry answers them (futex-pi.ts). */
export const PI_COMMANDS: readonly number[] = [
  FUTEX_CMD.LOCK_PI,
  FUTEX_CMD.UNLOCK_PI,
  FUTEX_CMD.TRYLOCK_PI,
  FUTEX_CMD.WAIT_REQUEUE_PI,
  FUTEX_CMD.CMP_REQUEUE_PI,
  FUTEX_CMD.LOCK_PI2,
];
