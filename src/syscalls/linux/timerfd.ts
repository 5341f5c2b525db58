// timerfd(2): a timer as a file. Reads return how many times it expired since the last
// read; it is readable while that count is non-zero.

import { E, fail } from '../../abi/errno.js';
import { CLOCK } from '../../abi/linux-clock.js';
import { IOCTL } from '../../abi/linux-ioctl.js';
import { O } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { AnonInode } from '../../sentry/kernel/files/anon-fs.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { Credentials, FileImpl, UserMemory } from '../../vfs/api.js';
import { int32, pointer, uint32 } from './decode.js';
import { fdLimit } from './task-files.js';
import { decodeTimespec, encodeTimespec, TIMESPEC_SIZE } from './timespec.js';
import { writeInt32 } from './user-int.js';

const TFD_TIMER_ABSTIME = 1;
const TFD_TIMER_CANCEL_ON_SET = 2;
const ITIMERSPEC_SIZE = 32;
/** setTimeout's longest delay; longer timers re-arm on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class TimerFd extends AnonInode {
  /** Next expiry on the timer's clock; undefined when disarmed. */
  private next: bigint | undefined;
  private interval = 0n;
  private expirations = 0n;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly clock: () => bigint, owner: Credentials) {
    super(owner);
  }

  open(): FileImpl {
    return {
      seekable: false,
      read: (buf) => this.read(buf),
      readiness: (mask) => (this.pending() > 0n ? mask & (POLL.IN | POLL.RDNORM) : 0),
      subscribe: (mask, callback) => this.queue.subscribe(mask, callback),
      ioctl: (request, arg, memory) => this.ioctl(request, arg, memory),
      release: () => this.disarm(),
    };
  }

  /** Arms (value > 0) or disarms the timer; returns the previous setting. */
  set(valueNs: bigint, intervalNs: bigint, absolute: boolean): { value: bigint; interval: bigint } {
    const previous = this.get();
    this.disarm();
    this.expirations = 0n;
    if (valueNs > 0n) {
      this.next = absolute ? valueNs : this.clock() + valueNs;
      this.interval = intervalNs;
      this.schedule();
    }
    return previous;
  }

  /** Time left to the next expiry and the interval (timerfd_gettime). */
  get(): { value: bigint; interval: bigint } {
    this.pending();
    if (this.next === undefined) return { value: 0n, interval: 0n };
    const left = this.next - this.clock();
    return { value: left > 0n ? left : 0n, interval: this.interval };
  }

  /** Counts the expirations up to now (lazily, so timer callbacks only wake waiters). */
  private pending(): bigint {
    if (this.next !== undefined) {
      const t = this.clock();
      if (t >= this.next) {
        if (this.interval > 0n) {
          const periods = (t - this.next) / this.interval + 1n;
          this.expirations += periods;
          this.next += periods * this.interval;
        } else {
          this.expirations += 1n;
          this.next = undefined;
        }
      }
    }
    return this.expirations;
  }

  private schedule(): void {
    if (this.next === undefined) return;
    const ms = Number((this.next - this.clock() + 999_999n) / 1_000_000n);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending() > 0n) this.queue.notify(POLL.IN | POLL.RDNORM);
      this.schedule();
    }, Math.min(Math.max(ms, 0), MAX_DELAY_MS));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.next = undefined;
    this.interval = 0n;
  }

  private read(buf: Uint8Array): number {
    if (buf.length < 8) fail(E.EINVAL);
    const count = this.pending();
    if (count === 0n) fail(E.EAGAIN);
    this.expirations = 0n;
    Buffer.from(buf.buffer, buf.byteOffset, 8).writeBigUInt64LE(count);
    return 8;
  }

  private ioctl(request: number, arg: bigint, memory: UserMemory): number {
    if (request !== IOCTL.FIONREAD) fail(E.ENOTTY);
    writeInt32(memory, arg, this.pending() > 0n ? 8 : 0);
    return 0;
  }
}

function clockOf(task: SyscallTask, clockid: number): (() => bigint) | undefined {
  switch (clockid) {
    case CLOCK.REALTIME:
      return () => task.kernel.realtimeNs();
    case CLOCK.MONOTONIC:
      return () => task.kernel.monotonicNs();
    case CLOCK.BOOTTIME:
      return () => task.kernel.uptimeNs();
    default:
      return undefined;
  }
}

function timerfd_create(task: SyscallTask, args: SyscallArgs): number {
  const clockid = int32(args[0]);
  const flags = uint32(args[1]);
  if ((flags & ~(O.NONBLOCK | O.CLOEXEC)) !== 0) return -E.EINVAL;
  // The alarm clocks wake a suspended machine: CAP_WAKE_ALARM, which no sandbox has.
  if (clockid === CLOCK.REALTIME_ALARM || clockid === CLOCK.BOOTTIME_ALARM) return -E.EPERM;
  const clock = clockOf(task, clockid);
  if (!clock) return -E.EINVAL;
  const inode = new TimerFd(clock, task.fs.creds);
  const file = task.kernel.vfs.openAnonymous(inode, 'anon_inode:[timerfd]', O.RDWR | (flags & O.NONBLOCK), task.fs);
  return task.fds.install(file, { cloexec: (flags & O.CLOEXEC) !== 0, limit: fdLimit(task) });
}

function timerOf(task: SyscallTask, fd: number): TimerFd {
  const file = task.fds.get(fd);
  if (!(file.inode instanceof TimerFd)) fail(E.EINVAL);
  return file.inode;
}

function encodeItimerspec(setting: { value: bigint; interval: bigint }): Buffer {
  const b = Buffer.alloc(ITIMERSPEC_SIZE);
  encodeTimespec(b, 0, setting.interval);
  encodeTimespec(b, TIMESPEC_SIZE, setting.value);
  return b;
}

function timerfd_settime(task: SyscallTask, args: SyscallArgs): number {
  const fd = int32(args[0]);
  const flags = int32(args[1]);
  const newAddr = pointer(args[2]);
  const oldAddr = pointer(args[3]);
  if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) !== 0) return -E.EINVAL;
  const timer = timerOf(task, fd);
  const spec = task.mem.read(newAddr, ITIMERSPEC_SIZE);
  const interval = decodeTimespec(spec, 0);
  const value = decodeTimespec(spec, TIMESPEC_SIZE);
  const previous = timer.set(value, interval, (flags & TFD_TIMER_ABSTIME) !== 0);
  if (oldAddr !== 0n) task.mem.write(oldAddr, encodeItimerspec(previous));
  return 0;
}

function timerfd_gettime(task: SyscallTask, args: SyscallArgs): number {
  const timer = timerOf(task, int32(args[0]));
  task.mem.write(pointer(args[1]), encodeItimerspec(timer.get()));
  return 0;
}

export const timerfdSyscalls = { timerfd_create, timerfd_settime, timerfd_gettime } satisfies Record<string, SyscallHandler>;
