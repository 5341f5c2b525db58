// Time syscalls the sentry answers: sleeps are async waits a signal interrupts; clock
// reads use the sentry's clocks (clock_gettime itself runs in the vDSO or on the host).

import { E, ERESTARTSYS, fail, isSysError } from '../../abi/errno.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/syscall.js';
import { int32, pointer } from './decode.js';
import { NS_PER_SEC, readTimespec, writeTimespec } from './timespec.js';

const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, MONOTONIC_RAW: 4, REALTIME_COARSE: 5, MONOTONIC_COARSE: 6, BOOTTIME: 7, REALTIME_ALARM: 8, BOOTTIME_ALARM: 9, TAI: 11 } as const;
const TIMER_ABSTIME = 1;

/** Reads of the clocks a sleep may be measured against; undefined for CPU-time clocks. */
function clockNow(task: SyscallTask, clock: number): bigint | undefined {
  switch (clock) {
    case CLOCK.REALTIME:
    case CLOCK.REALTIME_COARSE:
    case CLOCK.REALTIME_ALARM:
    case CLOCK.TAI:
      return task.kernel.realtimeNs();
    case CLOCK.MONOTONIC:
    case CLOCK.MONOTONIC_RAW:
    case CLOCK.MONOTONIC_COARSE:
    case CLOCK.BOOTTIME:
    case CLOCK.BOOTTIME_ALARM:
      return task.kernel.monotonicNs();
    default:
      return undefined;
  }
}

/** Sleeps ns; an interrupting signal ends it with EINTR and the time left written to rem. */
async function sleepFor(task: SyscallTask, ns: bigint, rem: bigint): Promise<number> {
  const start = task.kernel.monotonicNs();
  try {
    await task.sleep(ns);
    return 0;
  } catch (e) {
    if (!isSysError(e) || e.errno !== ERESTARTSYS) throw e;
    if (rem !== 0n) {
      const left = ns - (task.kernel.monotonicNs() - start);
      writeTimespec(task, rem, left > 0n ? left : 0n);
    }
    return -E.EINTR;
  }
}

function nanosleep(task: SyscallTask, args: SyscallArgs): Promise<number> {
  return sleepFor(task, readTimespec(task, pointer(args[0])), pointer(args[1]));
}

function clock_nanosleep(task: SyscallTask, args: SyscallArgs): Promise<number> | number {
  const clock = int32(args[0]);
  const flags = int32(args[1]);
  const now = clockNow(task, clock);
  if (now === undefined) return clock === CLOCK.THREAD_CPUTIME_ID ? -E.EINVAL : -E.EOPNOTSUPP;
  const request = readTimespec(task, pointer(args[2]));
  if (flags & TIMER_ABSTIME) return sleepFor(task, request > now ? request - now : 0n, 0n);
  return sleepFor(task, request, pointer(args[3]));
}

function clock_getres(task: SyscallTask, args: SyscallArgs): number {
  const clock = int32(args[0]);
  if (clockNow(task, clock) === undefined && clock !== CLOCK.PROCESS_CPUTIME_ID && clock !== CLOCK.THREAD_CPUTIME_ID) fail(E.EINVAL);
  const coarse = clock === CLOCK.REALTIME_COARSE || clock === CLOCK.MONOTONIC_COARSE;
  if (pointer(args[1]) !== 0n) writeTimespec(task, pointer(args[1]), coarse ? 4_000_000n : 1n);
  return 0;
}

function gettimeofday(task: SyscallTask, args: SyscallArgs): number {
  const now = task.kernel.realtimeNs();
  if (pointer(args[0]) !== 0n) {
    const buf = Buffer.alloc(16);
    buf.writeBigInt64LE(now / NS_PER_SEC, 0);
    buf.writeBigInt64LE((now % NS_PER_SEC) / 1000n, 8);
    task.mem.write(pointer(args[0]), buf);
  }
  if (pointer(args[1]) !== 0n) task.mem.write(pointer(args[1]), Buffer.alloc(8));
  return 0;
}

function time(task: SyscallTask, args: SyscallArgs): bigint {
  const sec = task.kernel.realtimeNs() / NS_PER_SEC;
  if (pointer(args[0]) !== 0n) {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(sec);
    task.mem.write(pointer(args[0]), buf);
  }
  return sec;
}

export const timeSyscalls = { nanosleep, clock_nanosleep, clock_getres, gettimeofday, time } satisfies Record<string, SyscallHandler>;
