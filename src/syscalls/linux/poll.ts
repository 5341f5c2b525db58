// Readiness syscalls: poll, ppoll, select, pselect6 and the epoll family (eventfd and
// timerfd, files made for them, are exported here too). All of them ask files for
// readiness first and wait only when nothing is ready.
//
// The signal mask arguments of ppoll, pselect6 and epoll_pwait: see sigmask-arg.ts.

import { E, ERESTARTSYS, SysError, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { EPOLL, EPOLL_CTL, EPOLL_EVENT_SIZE, POLL, POLLFD_SIZE, SELECT_EXCEPT, SELECT_READ, SELECT_WRITE } from '../../abi/linux-poll.js';
import { andThen } from '../../sentry/kernel/files/blocking-io.js';
import type { SyscallArgs, SyscallHandler, SyscallTask, HostCall } from '../../sentry/kernel/syscall.js';
import type { FileDescription, Waitable } from '../../vfs/api.js';
import { int32, pointer, size, uint32 } from './decode.js';
import { EpollInstance, pollable } from './epoll-instance.js';
import { eventfdSyscalls } from './eventfd.js';
import { timerfdSyscalls } from './timerfd.js';
import { readPselectSigmask, readSigmask, waitUnderSigmask } from './sigmask-arg.js';
import { fdLimit } from './task-files.js';
import { NS_PER_SEC, readTimespec, writeTimespec } from './timespec.js';


/** A wait's end on the monotonic clock; undefined waits forever. */
type Deadline = bigint | undefined;

function deadlineAfter(task: SyscallTask, ns: bigint | undefined): Deadline {
  return ns === undefined ? undefined : task.kernel.monotonicNs() + ns;
}

function remaining(task: SyscallTask, deadline: Deadline): bigint | undefined {
  if (deadline === undefined) return undefined;
  const left = deadline - task.kernel.monotonicNs();
  return left > 0n ? left : 0n;
}

/**
 * Linux writes the time left back to the caller's timeout however the wait ended, and
 * ignores a timeout in read-only memory (poll_select_finish).
 */
function writeTimeLeft(task: SyscallTask, addr: bigint, deadline: Deadline): void {
  try {
    writeTimespec(task, addr, remaining(task, deadline) ?? 0n);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
}

/**
 * Waits until check() finds something or the deadline passes: at once (no Promise) when
 * check() already finds something or there is no time to wait. These calls are not
 * restarted after a signal handler: an interrupted wait is EINTR.
 */
function waitFor<T>(task: SyscallTask, waits: readonly { file: Waitable; events: number }[], deadline: Deadline, check: () => T | undefined): T | undefined | Promise<T | undefined> {
  const found = check();
  if (found !== undefined || remaining(task, deadline) === 0n) return found;
  return waitThenCheck(task, waits, deadline, check);
}

async function waitThenCheck<T>(task: SyscallTask, waits: readonly { file: Waitable; events: number }[], deadline: Deadline, check: () => T | undefined): Promise<T | undefined> {
  for (;;) {
    const left = remaining(task, deadline);
    if (left === 0n) return undefined;
    try {
      await task.waitAnyReady(waits, left);
    } catch (e) {
      if (e instanceof SysError && e.errno === ERESTARTSYS) fail(E.EINTR);
      throw e;
    }
    const found = check();
    if (found !== undefined) return found;
  }
}

// ---- poll -----------------------------------------------------------------------------

function pollFds(task: SyscallTask, fdsAddr: bigint, nfds: number, deadline: Deadline): number | Promise<number> {
  if (nfds < 0 || nfds > fdLimit(task)) fail(E.EINVAL);
  const raw = nfds === 0 ? Buffer.alloc(0) : task.mem.read(fdsAddr, nfds * POLLFD_SIZE);
  const entries = Array.from({ length: nfds }, (_, i) => {
    const fd = raw.readInt32LE(i * POLLFD_SIZE);
    const events = raw.readUInt16LE(i * POLLFD_SIZE + 4) | POLL.ERR | POLL.HUP;
    const file = fd < 0 ? undefined : task.fds.entry(fd)?.file;
    return { fd, events, file };
  });
  const revents = (): number[] =>
    entries.map(({ fd, events, file }) => {
      if (fd < 0) return 0;
      if (!file) return POLL.NVAL;
      return file.readiness(events) & events;
    });
  const waits = entries.filter((e) => e.file).map((e) => ({ file: e.file as FileDescription, events: e.events }));
  const found = waitFor(task, waits, deadline, () => {
    const r = revents();
    return r.some((v) => v !== 0) ? r : undefined;
  });
  return andThen(found, (ready = revents()) => {
    const out = Buffer.from(raw);
    let count = 0;
    ready.forEach((r, i) => {
      out.writeUInt16LE(r & 0xffff, i * POLLFD_SIZE + 6);
      if (r) count++;
    });
    if (nfds > 0) task.mem.write(fdsAddr, out);
    return count;
  });
}

function poll(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const timeoutMs = int32(args[2]);
  const timeoutNs = timeoutMs < 0 ? undefined : BigInt(timeoutMs) * 1_000_000n;
  return pollFds(task, pointer(args[0]), uint32(args[1]), deadlineAfter(task, timeoutNs));
}

async function ppoll(task: SyscallTask, args: SyscallArgs): Promise<number | HostCall> {
  const tsAddr = pointer(args[2]);
  const timeoutNs = tsAddr === 0n ? undefined : readTimespec(task, tsAddr);
  const mask = readSigmask(task, pointer(args[3]), size(args[4]));
  const deadline = deadlineAfter(task, timeoutNs);
  try {
    return await waitUnderSigmask(task, mask, async () => pollFds(task, pointer(args[0]), uint32(args[1]), deadline));
  } finally {
    if (tsAddr !== 0n) writeTimeLeft(task, tsAddr, deadline);
  }
}

// ---- select ---------------------------------------------------------------------------

function selectFds(task: SyscallTask, nfdsArg: number, setAddrs: readonly [bigint, bigint, bigint], deadline: Deadline): number | Promise<number> {
  if (nfdsArg < 0) fail(E.EINVAL);
  // Linux looks no further than its fd table reaches (a multiple of 64 past the highest
  // open fd); neither do we.
  const nfds = Math.min(nfdsArg, Math.max(64, Math.ceil((task.fds.highest + 1) / 64) * 64));
  const bytes = Math.ceil(nfds / 64) * 8;
  const masks = [SELECT_READ, SELECT_WRITE, SELECT_EXCEPT];
  const sets = setAddrs.map((addr) => (addr === 0n || bytes === 0 ? undefined : task.mem.read(addr, bytes)));
  const watched = new Map<number, { file: FileDescription; events: number }>();
  for (let fd = 0; fd < nfds; fd++) {
    let events = 0;
    sets.forEach((set, i) => {
      if (set && set[fd >> 3]! & (1 << (fd & 7))) events |= masks[i]!;
    });
    if (!events) continue;
    const file = task.fds.entry(fd)?.file;
    if (!file) fail(E.EBADF);
    watched.set(fd, { file, events });
  }
  const results = (): Buffer[] | undefined => {
    const out = sets.map(() => Buffer.alloc(bytes));
    let any = false;
    for (const [fd, { file, events }] of watched) {
      const ready = file.readiness(events);
      sets.forEach((set, i) => {
        if (set && set[fd >> 3]! & (1 << (fd & 7)) && ready & masks[i]!) {
          out[i]![fd >> 3]! |= 1 << (fd & 7);
          any = true;
        }
      });
    }
    return any ? out : undefined;
  };
  return andThen(waitFor(task, [...watched.values()], deadline, results), (out = sets.map(() => Buffer.alloc(bytes))) => {
    let count = 0;
    out.forEach((set, i) => {
      const addr = setAddrs[i]!;
      if (addr === 0n || bytes === 0) return;
      for (const byte of set) for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) count++;
      task.mem.write(addr, set);
    });
    return count;
  });
}

function select(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const tvAddr = pointer(args[4]);
  let timeoutNs: bigint | undefined;
  if (tvAddr !== 0n) {
    const b = task.mem.read(tvAddr, 16);
    const sec = b.readBigInt64LE(0);
    const usec = b.readBigInt64LE(8);
    if (sec < 0n || usec < 0n) return -E.EINVAL;
    timeoutNs = sec * NS_PER_SEC + usec * 1000n;
  }
  const deadline = deadlineAfter(task, timeoutNs);
  return andThen(selectFds(task, int32(args[0]), [pointer(args[1]), pointer(args[2]), pointer(args[3])], deadline), (count) => {
    if (tvAddr !== 0n) {
      const left = remaining(task, deadline) ?? 0n;
      const b = Buffer.alloc(16);
      b.writeBigInt64LE(left / NS_PER_SEC, 0);
      b.writeBigInt64LE((left % NS_PER_SEC) / 1000n, 8);
      task.mem.write(tvAddr, b);
    }
    return count;
  });
}

async function pselect6(task: SyscallTask, args: SyscallArgs): Promise<number | HostCall> {
  const mask = readPselectSigmask(task, pointer(args[5]));
  const tsAddr = pointer(args[4]);
  const timeoutNs = tsAddr === 0n ? undefined : readTimespec(task, tsAddr);
  const deadline = deadlineAfter(task, timeoutNs);
  try {
    return await waitUnderSigmask(task, mask, async () => selectFds(task, int32(args[0]), [pointer(args[1]), pointer(args[2]), pointer(args[3])], deadline));
  } finally {
    if (tsAddr !== 0n) writeTimeLeft(task, tsAddr, deadline);
  }
}

// ---- epoll ----------------------------------------------------------------------------

function createEpoll(task: SyscallTask, flags: number): number {
  if ((flags & ~EPOLL.CLOEXEC) !== 0) return -E.EINVAL;
  const instance = new EpollInstance(task.fs.creds);
  const file = task.kernel.vfs.openAnonymous(instance, 'anon_inode:[eventpoll]', O.RDWR, task.fs);
  return task.fds.install(file, { cloexec: (flags & EPOLL.CLOEXEC) !== 0, limit: fdLimit(task) });
}

function epoll_create(task: SyscallTask, args: SyscallArgs): number {
  if (int32(args[0]) <= 0) return -E.EINVAL;
  return createEpoll(task, 0);
}

function epoll_create1(task: SyscallTask, args: SyscallArgs): number {
  return createEpoll(task, uint32(args[0]));
}

function epollOf(task: SyscallTask, epfd: number): { file: FileDescription; instance: EpollInstance } {
  const file = task.fds.get(epfd);
  if (!(file.inode instanceof EpollInstance)) fail(E.EINVAL);
  return { file, instance: file.inode };
}

function epoll_ctl(task: SyscallTask, args: SyscallArgs): number {
  const epfd = int32(args[0]);
  const op = int32(args[1]);
  const fd = int32(args[2]);
  const eventAddr = pointer(args[3]);
  let events = 0;
  let data = 0n;
  if (op !== EPOLL_CTL.DEL) {
    const b = task.mem.read(eventAddr, EPOLL_EVENT_SIZE);
    events = b.readUInt32LE(0);
    data = b.readBigUInt64LE(4);
  }
  const epollFile = task.fds.get(epfd);
  const target = task.fds.get(fd);
  if (!pollable(target)) return -E.EPERM;
  if (target === epollFile || !(epollFile.inode instanceof EpollInstance)) return -E.EINVAL;
  const instance = epollFile.inode;
  if (events & EPOLL.EXCLUSIVE && (target.inode instanceof EpollInstance || events & EPOLL.ONESHOT)) return -E.EINVAL;
  switch (op) {
    case EPOLL_CTL.ADD:
      instance.add(fd, target, events, data);
      return 0;
    case EPOLL_CTL.MOD:
      if (events & EPOLL.EXCLUSIVE) return -E.EINVAL;
      instance.modify(fd, target, events, data);
      return 0;
    case EPOLL_CTL.DEL:
      instance.delete(fd, target);
      return 0;
    default:
      return -E.EINVAL;
  }
}

const EPOLL_MAX_EVENTS = Math.floor(0x7fffffff / EPOLL_EVENT_SIZE);

function epollWait(task: SyscallTask, epfd: number, eventsAddr: bigint, maxEvents: number, timeoutNs: bigint | undefined): number | Promise<number> {
  if (maxEvents <= 0 || maxEvents > EPOLL_MAX_EVENTS) return -E.EINVAL;
  const { file, instance } = epollOf(task, epfd);
  const deadline = deadlineAfter(task, timeoutNs);
  const found = waitFor(task, [{ file, events: POLL.IN }], deadline, () => {
    const events = instance.collect(maxEvents);
    return events.length > 0 ? events : undefined;
  });
  return andThen(found, (ready) => {
    if (!ready) return 0;
    const out = Buffer.alloc(ready.length * EPOLL_EVENT_SIZE);
    ready.forEach((ev, i) => {
      out.writeUInt32LE(ev.events >>> 0, i * EPOLL_EVENT_SIZE);
      out.writeBigUInt64LE(ev.data, i * EPOLL_EVENT_SIZE + 4);
    });
    task.mem.write(eventsAddr, out);
    return ready.length;
  });
}

function msTimeout(reg: bigint): bigint | undefined {
  const ms = int32(reg);
  return ms < 0 ? undefined : BigInt(ms) * 1_000_000n;
}

function epoll_wait(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return epollWait(task, int32(args[0]), pointer(args[1]), int32(args[2]), msTimeout(args[3]));
}

function epoll_pwait(task: SyscallTask, args: SyscallArgs): Promise<number | HostCall> {
  const mask = readSigmask(task, pointer(args[4]), size(args[5]));
  return waitUnderSigmask(task, mask, async () => epollWait(task, int32(args[0]), pointer(args[1]), int32(args[2]), msTimeout(args[3])));
}

function epoll_pwait2(task: SyscallTask, args: SyscallArgs): Promise<number | HostCall> {
  const tsAddr = pointer(args[3]);
  const timeoutNs = tsAddr === 0n ? undefined : readTimespec(task, tsAddr);
  const mask = readSigmask(task, pointer(args[4]), size(args[5]));
  return waitUnderSigmask(task, mask, async () => epollWait(task, int32(args[0]), pointer(args[1]), int32(args[2]), timeoutNs));
}

export const pollSyscalls = {
  ...eventfdSyscalls,
  ...timerfdSyscalls,
  poll,
  ppoll,
  select,
  pselect6,
  epoll_create,
  epoll_create1,
  epoll_ctl,
  epoll_wait,
  epoll_pwait,
  epoll_pwait2,
} satisfies Record<string, SyscallHandler>;

