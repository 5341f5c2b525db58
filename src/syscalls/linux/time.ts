// Time syscalls the sentry answers: sleeps are async waits a signal interrupts; clock
// reads use the sentry's clocks (clock_gettime itself runs in the vDSO or on the host).
// A negative clock id names the CPU clock of a pid or tid: the sentry makes it the host's
// before the host kernel reads it (clock_gettime, clock_getres, timer_create), as it does
// the thread a SIGEV_THREAD_ID timer signals.

import { E, ERESTARTSYS, fail, isSysError } from '../../abi/errno.js';
import { CLOCK, CLOCKFD, CPUCLOCK_MASK, CPUCLOCK_PERTHREAD, cpuClockId, SIGEV, SIGEVENT_OFFSET, SIGEVENT_SIZE, withCpuClockId } from '../../abi/linux-clock.js';
import { hostCall, RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallTask, type HostCall } from '../../sentry/kernel/syscall.js';
import { int32, pointer } from './decode.js';
import { NS_PER_SEC, readTimespec, writeTimespec } from './timespec.js';

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

/**
 * The host's id of a negative clock id: a CPU clock of a thread of the caller's process,
 * or of any process of the sandbox (for clock_gettime also the caller's own thread as a
 * process clock, as lookup_task allows). EINVAL for another id, or an fd's clock: the
 * sandbox has no posix clock devices.
 */
function hostCpuClock(task: SyscallTask, clock: number, use: 'read' | 'timer'): number {
  if ((clock & CPUCLOCK_MASK) === CLOCKFD) fail(E.EINVAL);
  const id = cpuClockId(clock);
  if (id === 0) return clock;
  const process = task.process;
  const ownThread = (clock & CPUCLOCK_PERTHREAD) !== 0 || (use === 'read' && id === task.process.tid);
  const host = ownThread ? process.hostTidInProcess(id) : process.hostPidOf(id);
  if (host === undefined) fail(E.EINVAL);
  return withCpuClockId(clock, host);
}

/** A read of a negative clock id, run on the host with the host's id. */
function readHostCpuClock(task: SyscallTask, clock: number): HostCall {
  const host = hostCpuClock(task, clock, 'read');
  return host === clock ? RUN_ON_HOST : hostCall([BigInt(host)]);
}

/** clock_gettime of a negative clock id (the filter lets the others run on the host). */
function clock_gettime(task: SyscallTask, args: SyscallArgs): HostCall {
  return readHostCpuClock(task, int32(args[0]));
}

/**
 * timer_create(clockid, sevp, timerid): the host kernel keeps the timer (its ids, overrun
 * and settings are per process), with the clock's and SIGEV_THREAD_ID's virtual ids made
 * host ones; it reads the sentry's copy of the sigevent, never the caller's.
 */
function timer_create(task: SyscallTask, args: SyscallArgs): HostCall {
  const clock = int32(args[0]);
  const host = clock < 0 ? hostCpuClock(task, clock, 'timer') : clock;
  const sevp = pointer(args[1]);
  const event = sevp === 0n ? undefined : task.mem.read(sevp, SIGEVENT_SIZE);
  if (event && event.readInt32LE(SIGEVENT_OFFSET.notify) === SIGEV.THREAD_ID) {
    const thread = task.process.hostTidInProcess(event.readInt32LE(SIGEVENT_OFFSET.threadId));
    if (thread === undefined) fail(E.EINVAL);
    event.writeInt32LE(thread, SIGEVENT_OFFSET.threadId);
  }
  if (host === clock && !event) return RUN_ON_HOST;
  return hostCall([BigInt(host), event]);
}

function clock_getres(task: SyscallTask, args: SyscallArgs): number | HostCall {
  const clock = int32(args[0]);
  if (clock < 0) return readHostCpuClock(task, clock);
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

export const timeSyscalls = { nanosleep, clock_nanosleep, clock_gettime, clock_getres, timer_create, gettimeofday, time } satisfies Record<string, SyscallHandler>;
