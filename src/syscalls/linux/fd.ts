// Fd syscalls: dup, dup2, dup3, fcntl and flock.

import { E, fail } from '../../abi/errno.js';
import { F, FD_CLOEXEC, LOCK, LOCK_TYPE, O, SEEK } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { Pipe } from '../../sentry/kernel/files/pipe.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { int32, int64, pointer, uint32 } from './decode.js';
import { checkLockType, conflictingRecord, flockBlocked, heldFlock, lockWait, setRecord, tryFlock, unlockFlock, type LockOwner, type RecordLock } from './locks.js';
import { fdLimit, openFile } from './task-files.js';

function dup(task: SyscallTask, args: SyscallArgs): number {
  return task.fds.dup(int32(args[0]), { limit: fdLimit(task) });
}

function dupTo(task: SyscallTask, oldFd: number, newFd: number, cloexec: boolean): number {
  const file = task.fds.get(oldFd);
  file.ref();
  task.fds.installAt(newFd, file, { cloexec, limit: fdLimit(task) });
  return newFd;
}

function dup2(task: SyscallTask, args: SyscallArgs): number {
  const oldFd = int32(args[0]);
  const newFd = int32(args[1]);
  if (oldFd === newFd) {
    task.fds.get(oldFd);
    return newFd;
  }
  return dupTo(task, oldFd, newFd, false);
}

function dup3(task: SyscallTask, args: SyscallArgs): number {
  const oldFd = int32(args[0]);
  const newFd = int32(args[1]);
  const flags = uint32(args[2]);
  if ((flags & ~O.CLOEXEC) !== 0 || oldFd === newFd) return -E.EINVAL;
  return dupTo(task, oldFd, newFd, (flags & O.CLOEXEC) !== 0);
}

// struct flock on x86-64: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
const FLOCK_SIZE = 32;

interface FlockStruct {
  type: number;
  whence: number;
  start: bigint;
  len: bigint;
  pid: number;
}

function readFlock(task: SyscallTask, addr: bigint): FlockStruct {
  const b = task.mem.read(addr, FLOCK_SIZE);
  return { type: b.readInt16LE(0), whence: b.readInt16LE(2), start: b.readBigInt64LE(8), len: b.readBigInt64LE(16), pid: b.readInt32LE(24) };
}

function writeFlock(task: SyscallTask, addr: bigint, f: FlockStruct): void {
  const b = Buffer.alloc(FLOCK_SIZE);
  b.writeInt16LE(f.type, 0);
  b.writeInt16LE(f.whence, 2);
  b.writeBigInt64LE(f.start, 8);
  b.writeBigInt64LE(f.len, 16);
  b.writeInt32LE(f.pid, 24);
  task.mem.write(addr, b);
}

/** The byte range a struct flock names, as absolute inclusive offsets. */
function lockRange(file: FileDescription, f: FlockStruct): { start: number; end: number } {
  let base: bigint;
  if (f.whence === SEEK.SET) base = 0n;
  else if (f.whence === SEEK.CUR) base = BigInt(file.offset);
  else if (f.whence === SEEK.END) base = BigInt(file.stat().size);
  else fail(E.EINVAL);
  let start = base + f.start;
  let end: number;
  if (f.len > 0n) end = Number(start + f.len - 1n);
  else if (f.len === 0n) end = Infinity;
  else {
    end = Number(start - 1n);
    start += f.len;
  }
  if (start < 0n) fail(E.EINVAL);
  return { start: Number(start), end };
}

function recordLock(task: SyscallTask, file: FileDescription, cmd: number, addr: bigint): number | Promise<number> {
  const ofd = cmd === F.OFD_GETLK || cmd === F.OFD_SETLK || cmd === F.OFD_SETLKW;
  const f = readFlock(task, addr);
  checkLockType(f.type);
  if (ofd && f.pid !== 0) return -E.EINVAL;
  const owner: LockOwner = ofd ? file : task.fds;
  const lock: RecordLock = { owner, pid: ofd ? -1 : task.pid, type: f.type, ...lockRange(file, f) };

  if (cmd === F.GETLK || cmd === F.OFD_GETLK) {
    if (f.type === LOCK_TYPE.UNLCK) return -E.EINVAL;
    const held = conflictingRecord(file.inode, lock);
    if (!held) writeFlock(task, addr, { ...f, type: LOCK_TYPE.UNLCK });
    else {
      const len = held.end === Infinity ? 0n : BigInt(held.end - held.start + 1);
      writeFlock(task, addr, { type: held.type, whence: SEEK.SET, start: BigInt(held.start), len, pid: held.pid < 0 ? held.pid : task.process.visiblePid(held.pid) });
    }
    return 0;
  }

  if (f.type === LOCK_TYPE.RDLCK && file.accessMode === O.WRONLY) return -E.EBADF;
  if (f.type === LOCK_TYPE.WRLCK && file.accessMode === O.RDONLY) return -E.EBADF;
  const blocked = (): boolean => f.type !== LOCK_TYPE.UNLCK && conflictingRecord(file.inode, lock) !== undefined;
  if (blocked()) {
    if (cmd !== F.SETLKW && cmd !== F.OFD_SETLKW) return -E.EAGAIN;
    return waitForLock(task, file, blocked, () => setRecord(file.inode, lock));
  }
  setRecord(file.inode, lock);
  return 0;
}

/** F_SETLKW and flock without LOCK_NB: sleeps until blocked() is over, then takes the lock. */
async function waitForLock(task: SyscallTask, file: FileDescription, blocked: () => boolean, take: () => void): Promise<number> {
  while (blocked()) await task.waitReady(lockWait(file.inode, blocked), POLL.IN);
  take();
  return 0;
}

function pipeOf(file: FileDescription): Pipe {
  if (!(file.inode instanceof Pipe)) fail(E.EBADF);
  return file.inode;
}

function fcntl(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const fd = int32(args[0]);
  const cmd = int32(args[1]);
  const file = task.fds.get(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      const minFd = int32(args[2]);
      const limit = fdLimit(task);
      if (minFd < 0 || minFd >= limit) return -E.EINVAL;
      return task.fds.dup(fd, { minFd, limit, cloexec: cmd === F.DUPFD_CLOEXEC });
    }
    case F.GETFD:
      return task.fds.entry(fd)?.cloexec ? FD_CLOEXEC : 0;
    case F.SETFD:
      task.fds.setCloexec(fd, (uint32(args[2]) & FD_CLOEXEC) !== 0);
      return 0;
    case F.GETFL:
      return file.statusFlags;
    case F.SETFL:
      if (file.isPath) return -E.EBADF;
      file.setStatusFlags(uint32(args[2]));
      return 0;
    case F.GETLK:
    case F.SETLK:
    case F.SETLKW:
    case F.OFD_GETLK:
    case F.OFD_SETLK:
    case F.OFD_SETLKW:
      if (file.isPath) return -E.EBADF;
      return recordLock(task, file, cmd, pointer(args[2]));
    case F.GETPIPE_SZ:
      return pipeOf(file).capacity;
    case F.SETPIPE_SZ: {
      const size = int64(args[2]);
      if (size < 0n || size > 0x7fffffffn) return -E.EINVAL;
      return pipeOf(file).setCapacity(Number(size));
    }
    default:
      // F_SETOWN/F_SETSIG (signal-driven I/O), leases, dnotify and seals are not
      // implemented; Linux answers EINVAL for commands a file does not support.
      return -E.EINVAL;
  }
}

function flock(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const file = openFile(task, int32(args[0]));
  const operation = int32(args[1]);
  const nonBlocking = (operation & LOCK.NB) !== 0;
  const op = operation & ~LOCK.NB;
  if (op === LOCK.UN) {
    unlockFlock(file);
    return 0;
  }
  if (op !== LOCK.SH && op !== LOCK.EX) return -E.EINVAL;
  const kind = op === LOCK.SH ? 'shared' : 'exclusive';
  if (heldFlock(file) === kind) return 0;
  // A conversion drops the old lock first, as Linux does: it is not atomic.
  unlockFlock(file);
  if (tryFlock(file, kind)) return 0;
  if (nonBlocking) return -E.EWOULDBLOCK;
  return waitForLock(task, file, () => flockBlocked(file, kind), () => tryFlock(file, kind));
}

export const fdSyscalls = {
  dup,
  dup2,
  dup3,
  fcntl,
  flock,
} satisfies Record<string, SyscallHandler>;
