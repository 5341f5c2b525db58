// Clock ids (linux/time.h) and the encoding of the negative ones (posix-timers.h): a
// CPU-time clock of a pid or tid, ~id << 3 | per-thread << 2 | which, or a dynamic clock
// of an fd (which = CLOCKFD).

export const CLOCK = {
  REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5, MONOTONIC_COARSE: 6, BOOTTIME: 7, REALTIME_ALARM: 8, BOOTTIME_ALARM: 9, TAI: 11,
} as const;

export const CPUCLOCK_PERTHREAD = 4;
/** The low bits of a negative clock id: which CPU clock, or CLOCKFD. */
export const CPUCLOCK_MASK = 7;
export const CLOCKFD = 3;

/** The pid or tid a negative clock id names (0: the caller). */
export function cpuClockId(clock: number): number {
  return ~(clock >> 3);
}

/** The clock id of the same kind of clock for another pid or tid. */
export function withCpuClockId(clock: number, id: number): number {
  return (~id << 3) | (clock & CPUCLOCK_MASK);
}

/** struct sigevent: 64 bytes; sigev_notify at 12, sigev_notify_thread_id at 16. */
export const SIGEVENT_SIZE = 64;
export const SIGEVENT_OFFSET = { signo: 8, notify: 12, threadId: 16 } as const;
export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;
