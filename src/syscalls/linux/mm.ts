// Memory calls the filter stops: mmap of a file or with MAP_LOCKED (anonymous mappings
// pass to the host), and the memory locks. Locks are the sandbox's and advisory
// (src/sentry/kernel/memory-locks.ts): checked against its RLIMIT_MEMLOCK and CAP_IPC_LOCK as
// Linux checks them (mm/mlock.c), recorded, and never pinning a host page.

import { E, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { MAP, MCL, MLOCK_ONFAULT, PAGE_SIZE } from '../../abi/linux-mman.js';
import { hasCapability } from '../../sentry/kernel/credentials.js';
import { RLIMIT } from '../../sentry/kernel/rlimits.js';
import { hostCall, type HostCall, type SyscallArgs, type SyscallHandler, type SyscallResult, type SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer, size, uint32 } from './decode.js';

const ADDRESS_END = 1n << 64n;

/** can_do_mlock: a non-zero RLIMIT_MEMLOCK, or CAP_IPC_LOCK. */
function canLock(task: SyscallTask): boolean {
  return task.rlimits.get(RLIMIT.MEMLOCK).cur !== 0n || hasCapability(task.creds, CAP.IPC_LOCK);
}

/** Whether bytes more locked memory stay within RLIMIT_MEMLOCK (in whole pages, as Linux counts). */
function withinLimit(task: SyscallTask, lockedBytes: bigint): boolean {
  return hasCapability(task.creds, CAP.IPC_LOCK) || lockedBytes / PAGE_SIZE <= task.rlimits.get(RLIMIT.MEMLOCK).cur / PAGE_SIZE;
}

/** start and length rounded out to whole pages; end is past the address space when the range wraps. */
function pageRange(addrReg: bigint, lengthReg: bigint): { start: bigint; end: bigint } {
  const addr = pointer(addrReg);
  const start = addr & ~(PAGE_SIZE - 1n);
  const length = (size(lengthReg) + (addr - start) + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n) & (ADDRESS_END - 1n);
  return { start, end: start + length };
}

/** do_mlock: mlock(addr, len) and mlock2(addr, len, flags). */
function lockRange(task: SyscallTask, args: SyscallArgs): number {
  if (!canLock(task)) fail(E.EPERM);
  const { start, end } = pageRange(args[0], args[1]);
  const locks = task.process.memoryLocks;
  if (!withinLimit(task, locks.lockedBytes() + (end - start) - locks.lockedWithin(start, end))) fail(E.ENOMEM);
  if (end >= ADDRESS_END) fail(E.EINVAL);
  if (start === end) return 0;
  if (!locks.isMapped(start, end)) fail(E.ENOMEM);
  locks.lock(start, end);
  return 0;
}

function mlock(task: SyscallTask, args: SyscallArgs): number {
  return lockRange(task, args);
}

function mlock2(task: SyscallTask, args: SyscallArgs): number {
  if (uint32(args[2]) & ~MLOCK_ONFAULT) fail(E.EINVAL);
  return lockRange(task, args);
}

function munlock(task: SyscallTask, args: SyscallArgs): number {
  const { start, end } = pageRange(args[0], args[1]);
  if (end >= ADDRESS_END) fail(E.EINVAL);
  if (start === end) return 0;
  const locks = task.process.memoryLocks;
  if (!locks.isMapped(start, end)) fail(E.ENOMEM);
  locks.unlock(start, end);
  return 0;
}

function mlockall(task: SyscallTask, args: SyscallArgs): number {
  const flags = int32(args[0]);
  if (flags === 0 || flags & ~(MCL.CURRENT | MCL.FUTURE | MCL.ONFAULT) || flags === MCL.ONFAULT) fail(E.EINVAL);
  if (!canLock(task)) fail(E.EPERM);
  const locks = task.process.memoryLocks;
  if (flags & MCL.CURRENT && !withinLimit(task, locks.mappedBytes())) fail(E.ENOMEM);
  if (flags & MCL.CURRENT) locks.lockAllMapped();
  locks.lockFuture = (flags & MCL.FUTURE) !== 0;
  return 0;
}

function munlockall(task: SyscallTask): number {
  task.process.memoryLocks.unlockAll();
  return 0;
}

/**
 * mmap(addr, length, prot, flags, fd, offset) of a file, or with MAP_LOCKED: the lock is
 * checked as do_mmap checks it (EPERM, EAGAIN) and the mapping made without it; an
 * anonymous one is counted as locked once the host has placed it.
 */
function mmap(task: SyscallTask, args: SyscallArgs): SyscallResult | HostCall | Promise<SyscallResult> {
  let flags = int32(args[3]);
  const length = size(args[1]);
  const locked = (flags & MAP.LOCKED) !== 0 && length !== 0n;
  if (locked) {
    if (!canLock(task)) fail(E.EPERM);
    const pages = (length + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);
    if (!withinLimit(task, task.process.memoryLocks.lockedBytes() + pages)) fail(E.EAGAIN);
    flags &= ~MAP.LOCKED;
  }
  if (!(flags & MAP.ANONYMOUS)) {
    const file = task.fds.get(int32(args[4]));
    return task.process.mapFile(pointer(args[0]), length, int32(args[2]), flags, file, BigInt.asIntN(64, args[5]));
  }
  return hostCall([undefined, undefined, undefined, BigInt.asUintN(64, args[3]) & ~BigInt(MAP.LOCKED)], (mapped) => {
    if (locked && mapped >= 0n) task.process.memoryLocks.lock(mapped, mapped + ((length + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n)));
    return mapped;
  });
}

export const mmSyscalls = { mmap, mlock, mlock2, munlock, mlockall, munlockall } satisfies Record<string, SyscallHandler>;
