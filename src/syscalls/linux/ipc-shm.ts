// System V shared memory (shmget(2), shmat(2), shmdt(2), shmctl(2)) on the sandbox's IPC
// namespace. A segment is a memory file of the sandbox that shmat maps shared for real
// (the machinery of MAP_SHARED file mappings), so its pages are the same in every process
// that attaches it, and never a host System V segment: no call here reaches the host's
// IPC namespace. Its pages count against the sandbox's memory from its first attachment.
// An munmap of an attached range runs on the host unseen: the attachment counts until
// shmdt, exec or exit.

import { E, fail, isSysError } from '../../abi/errno.js';
import { IPC, SHM, SHM_INFO_SIZE, SHM_LIMITS, SHMID64_DS_OFFSET, SHMID64_DS_SIZE, SHMINFO64_SIZE } from '../../abi/linux-ipc.js';
import { CAP } from '../../abi/linux-capability.js';
import { O } from '../../abi/linux-fcntl.js';
import { MAP, PAGE_SIZE, PROT } from '../../abi/linux-mman.js';
import { NR } from '../../abi/linux-syscalls.js';
import { memoryAsSeen } from '../../accounting/memory-account.js';
import { hasCapability } from '../../sentry/kernel/credentials.js';
import { ShmSegment, type SegmentFiles } from '../../sentry/kernel/ipc/shm.js';
import { RLIMIT } from '../../sentry/kernel/rlimits.js';
import type { HostCall, SyscallArgs, SyscallHandler, SyscallResult, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer, size } from './decode.js';
import { IPC_READ, nowSeconds, setObjectPerm, statObject } from './ipc-common.js';

const WRITE = 0o222;
const EXEC = 0o111;
/** On x86-64 a segment is attached at a page boundary (SHMLBA). */
const SHMLBA = PAGE_SIZE;

/** A segment's memory file of size bytes, named as /proc/PID/maps shows Linux's ("/SYSV0000abcd (deleted)"). */
function segmentFiles(task: SyscallTask, key: number, bytes: number): SegmentFiles {
  const vfs = task.kernel.vfs;
  const memory = vfs.memfd(task.fs, 'SYSV', 0);
  try {
    memory.truncate(bytes);
    const name = `/SYSV${(key >>> 0).toString(16).padStart(8, '0')} (deleted)`;
    const readWrite = vfs.openAnonymous(memory.inode, name, O.RDWR, task.fs);
    const readOnly = vfs.openAnonymous(memory.inode, name, O.RDONLY, task.fs);
    return { readWrite, readOnly };
  } catch (error) {
    // A size the memory file cannot take is memory the sandbox does not have.
    if (isSysError(error)) fail(E.ENOMEM);
    throw error;
  } finally {
    memory.unref();
  }
}

/**
 * newseg's checks: SHMMIN..shmmax bytes, shmall pages in all, and (without SHM_NORESERVE,
 * as Linux's overcommit heuristic refuses) no more than the sandbox's memory. The sandbox
 * has no huge pages. SHM_NORESERVE still stops at its memory: the sentry holds the file.
 */
function checkNewSize(task: SyscallTask, bytes: bigint, flags: number): void {
  if (bytes < BigInt(SHM_LIMITS.shmmin) || bytes > SHM_LIMITS.shmmax) fail(E.EINVAL);
  const pages = (bytes + PAGE_SIZE - 1n) / PAGE_SIZE;
  if (BigInt(task.kernel.ipc.shm.totalPages) + pages > SHM_LIMITS.shmall) fail(E.ENOSPC);
  if (flags & SHM.HUGETLB) fail(E.ENOMEM);
  if (bytes > BigInt(memoryAsSeen(task.kernel.memory).totalBytes)) fail(E.ENOMEM);
}

function shmget(task: SyscallTask, args: SyscallArgs): number {
  const key = int32(args[0]);
  const bytes = size(args[1]);
  const flags = int32(args[2]);
  const shm = task.kernel.ipc.shm;
  const segment = shm.segments.get(
    key,
    flags,
    task.creds,
    (perm) => {
      checkNewSize(task, bytes, flags);
      const created = new ShmSegment(perm, Number(bytes), segmentFiles(task, key, Number(bytes)), task.pid, nowSeconds(task));
      shm.added(created);
      return created;
    },
    (existing) => {
      if (bytes > BigInt(existing.size)) fail(E.EINVAL);
    },
  );
  return segment.perm.id;
}

/** Where shmat maps: addr (rounded down with SHM_RND), fixed; or anywhere for 0. */
function attachAddress(addr: bigint, flags: number): { at: bigint; mapFlags: number } {
  let at = addr;
  if (at === 0n) {
    if (flags & SHM.REMAP) fail(E.EINVAL);
    return { at, mapFlags: MAP.SHARED };
  }
  if (at % SHMLBA !== 0n) {
    if (!(flags & SHM.RND)) fail(E.EINVAL);
    at -= at % SHMLBA;
    if (at === 0n && flags & SHM.REMAP) fail(E.EINVAL);
  }
  // Without SHM_REMAP an address over another mapping is EINVAL, where MAP_FIXED_NOREPLACE says EEXIST.
  return { at, mapFlags: MAP.SHARED | (flags & SHM.REMAP ? MAP.FIXED : MAP.FIXED_NOREPLACE) };
}

function shmat(task: SyscallTask, args: SyscallArgs): SyscallResult | Promise<SyscallResult> {
  const shmid = int32(args[0]);
  const flags = int32(args[2]);
  if (shmid < 0) return -E.EINVAL;
  const { at, mapFlags } = attachAddress(pointer(args[1]), flags);
  const readOnly = (flags & SHM.RDONLY) !== 0;
  let prot = readOnly ? PROT.READ : PROT.READ | PROT.WRITE;
  let access = readOnly ? IPC_READ : IPC_READ | WRITE;
  if (flags & SHM.EXEC) {
    prot |= PROT.EXEC;
    access |= EXEC;
  }
  const shm = task.kernel.ipc.shm;
  const segment = shm.segments.lookup(shmid);
  segment.perm.check(task.creds, access);
  const length = (BigInt(segment.size) + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);
  shm.hold(segment);
  // A process that exits or execs while the mapping waits for its address space never holds it.
  const attacher = task.process.notifier();
  const mapped = (address: bigint): SyscallResult => {
    if (address < 0n || !attacher.alive()) {
      shm.unheld(segment);
      return address === -BigInt(E.EEXIST) ? -E.EINVAL : address;
    }
    // The hold becomes the attachment.
    shm.attach(task.pid, segment, address, length, nowSeconds(task));
    return address;
  };
  let result: SyscallResult | Promise<SyscallResult>;
  try {
    result = task.process.mapSegment(at, length, prot, mapFlags, segment.file(readOnly));
  } catch (error) {
    shm.unheld(segment);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then((r) => mapped(BigInt(r)), (error: unknown) => {
      shm.unheld(segment);
      throw error;
    });
  }
  return mapped(BigInt(result));
}

/** shmdt: the attachment at addr is unmapped on the host (EINVAL when none starts there). */
function shmdt(task: SyscallTask, args: SyscallArgs): SyscallResult | HostCall {
  const addr = pointer(args[0]);
  if (addr % PAGE_SIZE !== 0n) return -E.EINVAL;
  const attachment = task.kernel.ipc.shm.detach(task.pid, addr, nowSeconds(task));
  if (!attachment) return -E.EINVAL;
  return { kind: 'host', nr: NR.munmap, args: [attachment.start, attachment.length], complete: (result) => (result < 0n ? result : 0n) };
}

/** struct shmid64_ds, its pids as the caller's pid namespace numbers them. */
function encodeShmid(segment: ShmSegment, task: SyscallTask): Buffer {
  const buf = Buffer.alloc(SHMID64_DS_SIZE);
  segment.perm.encode(buf);
  const o = SHMID64_DS_OFFSET;
  buf.writeBigUInt64LE(BigInt(segment.size), o.segsz);
  buf.writeBigInt64LE(BigInt(segment.atime), o.atime);
  buf.writeBigInt64LE(BigInt(segment.dtime), o.dtime);
  buf.writeBigInt64LE(BigInt(segment.ctime), o.ctime);
  buf.writeInt32LE(task.process.visiblePid(segment.cpid), o.cpid);
  buf.writeInt32LE(task.process.visiblePid(segment.lpid), o.lpid);
  buf.writeBigUInt64LE(BigInt(segment.nattch), o.nattch);
  return buf;
}

/** IPC_INFO: struct shminfo64, the limits; the highest index in use is the result. */
function shmInfoLimits(task: SyscallTask, addr: bigint): number {
  const buf = Buffer.alloc(SHMINFO64_SIZE);
  buf.writeBigUInt64LE(SHM_LIMITS.shmmax, 0);
  buf.writeBigUInt64LE(BigInt(SHM_LIMITS.shmmin), 8);
  buf.writeBigUInt64LE(BigInt(SHM_LIMITS.shmmni), 16);
  buf.writeBigUInt64LE(BigInt(SHM_LIMITS.shmmni), 24);
  buf.writeBigUInt64LE(SHM_LIMITS.shmall, 32);
  task.mem.write(addr, buf);
  return Math.max(task.kernel.ipc.shm.segments.maxIndex(), 0);
}

/** SHM_INFO: struct shm_info, what the segments use (no swap); the highest index in use is the result. */
function shmInfoUsage(task: SyscallTask, addr: bigint): number {
  const shm = task.kernel.ipc.shm;
  const all = shm.segments.all();
  const buf = Buffer.alloc(SHM_INFO_SIZE);
  buf.writeInt32LE(all.length, 0);
  buf.writeBigUInt64LE(BigInt(shm.totalPages), 8);
  buf.writeBigUInt64LE(BigInt(all.reduce((n, s) => n + s.residentPages, 0)), 16);
  task.mem.write(addr, buf);
  return Math.max(shm.segments.maxIndex(), 0);
}

/** SHM_LOCK/SHM_UNLOCK: the owner with a non-zero RLIMIT_MEMLOCK, or CAP_IPC_LOCK; advisory, no host page is pinned. */
function lockSegment(task: SyscallTask, segment: ShmSegment, lock: boolean): void {
  if (!hasCapability(task.creds, CAP.IPC_LOCK)) {
    const euid = task.creds.euid;
    if (euid !== segment.perm.uid && euid !== segment.perm.cuid) fail(E.EPERM);
    if (lock && task.rlimits.get(RLIMIT.MEMLOCK).cur === 0n) fail(E.EPERM);
  }
  if (lock) segment.perm.mode |= SHM.LOCKED;
  else segment.perm.mode &= ~SHM.LOCKED;
}

function shmctl(task: SyscallTask, args: SyscallArgs): number {
  const shmid = int32(args[0]);
  const cmd = int32(args[1]);
  const addr = pointer(args[2]);
  const shm = task.kernel.ipc.shm;
  switch (cmd) {
    case IPC.INFO:
      return shmInfoLimits(task, addr);
    case SHM.INFO:
      return shmInfoUsage(task, addr);
    case SHM.STAT:
    case SHM.STAT_ANY:
    case IPC.STAT:
      return statObject(task, shm.segments, { byIndex: cmd !== IPC.STAT, any: cmd === SHM.STAT_ANY }, shmid, addr, encodeShmid);
    case IPC.SET:
      return setObjectPerm(task, shm.segments, shmid, addr);
    case IPC.RMID: {
      const segment = shm.segments.lookup(shmid);
      segment.perm.checkOwner(task.creds);
      shm.remove(segment);
      return 0;
    }
    case SHM.LOCK:
    case SHM.UNLOCK: {
      const segment = shm.segments.lookup(shmid);
      lockSegment(task, segment, cmd === SHM.LOCK);
      return 0;
    }
    default:
      return -E.EINVAL;
  }
}

export const shmSyscalls = { shmget, shmat, shmdt, shmctl } satisfies Record<string, SyscallHandler>;
