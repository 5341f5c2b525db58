// Attribute syscalls: the stat family, statfs, access checks, ownership, modes and times.

import { E, fail } from '../../abi/errno.js';
import { ACCESS, AT, AT_FDCWD } from '../../abi/linux-fcntl.js';
import { STATX, UTIME_NOW, UTIME_OMIT, encodeStat, encodeStatfs, encodeStatx } from '../../abi/linux-stat.js';
import { accessCredentials, idForTask, idFromTask } from '../../sentry/kernel/credentials.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { statFields, type FsContext, type Stat, type Statfs, type Timespec } from '../../vfs/api.js';
import { id, int32, pointer, uint32 } from './decode.js';
import { anyFile, openFile, readPath, startDir } from './task-files.js';

const MODE_BITS = 0o7777;

/** A file's attributes as the caller sees them: owner and group in its user namespace. */
function seenBy(task: SyscallTask, st: Stat, mountId: number): ReturnType<typeof statFields> {
  return { ...statFields(st, mountId), uid: idForTask(task.creds, 'uid', st.uid), gid: idForTask(task.creds, 'gid', st.gid) };
}

function writeStat(task: SyscallTask, addr: bigint, st: Stat): number {
  task.mem.write(addr, encodeStat(seenBy(task, st, 0)));
  return 0;
}

function statPath(task: SyscallTask, dirfd: number, pathAddr: bigint, flags: number, bufAddr: bigint): number {
  if ((flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT)) !== 0) return -E.EINVAL;
  const path = readPath(task, pathAddr, (flags & AT.EMPTY_PATH) !== 0);
  const st = task.kernel.vfs.stat(task.fs, startDir(task, dirfd, path), path, flags & (AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH));
  return writeStat(task, bufAddr, st);
}

function stat(task: SyscallTask, args: SyscallArgs): number {
  return statPath(task, AT_FDCWD, pointer(args[0]), 0, pointer(args[1]));
}

function lstat(task: SyscallTask, args: SyscallArgs): number {
  return statPath(task, AT_FDCWD, pointer(args[0]), AT.SYMLINK_NOFOLLOW, pointer(args[1]));
}

function newfstatat(task: SyscallTask, args: SyscallArgs): number {
  return statPath(task, int32(args[0]), pointer(args[1]), uint32(args[3]), pointer(args[2]));
}

function fstat(task: SyscallTask, args: SyscallArgs): number {
  const file = anyFile(task, int32(args[0]));
  return writeStat(task, pointer(args[1]), file.stat());
}

const STATX_FLAGS = AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT | AT.STATX_SYNC_TYPE;

function statx(task: SyscallTask, args: SyscallArgs): number {
  const dirfd = int32(args[0]);
  const pathAddr = pointer(args[1]);
  const flags = uint32(args[2]);
  const mask = uint32(args[3]);
  const bufAddr = pointer(args[4]);
  if ((flags & ~STATX_FLAGS) !== 0 || (flags & AT.STATX_SYNC_TYPE) === AT.STATX_SYNC_TYPE) return -E.EINVAL;
  if ((mask & STATX.RESERVED) !== 0) return -E.EINVAL;
  const emptyPath = (flags & AT.EMPTY_PATH) !== 0;
  // Since Linux 6.11 a NULL path with AT_EMPTY_PATH names dirfd itself.
  const path = pathAddr === 0n && emptyPath ? '' : readPath(task, pathAddr, emptyPath);
  let st: Stat;
  let mountId: number;
  if (path === '' && dirfd !== AT_FDCWD) {
    const file = anyFile(task, dirfd);
    st = file.stat();
    mountId = file.location.mount.id;
  } else {
    const loc = task.kernel.vfs.resolve(task.fs, startDir(task, dirfd, path), path, { follow: (flags & AT.SYMLINK_NOFOLLOW) === 0, emptyPath });
    st = task.kernel.vfs.statAt(loc);
    mountId = loc.mount.id;
  }
  task.mem.write(bufAddr, encodeStatx(seenBy(task, st, mountId)));
  return 0;
}

function writeStatfs(task: SyscallTask, addr: bigint, s: Statfs): number {
  task.mem.write(
    addr,
    encodeStatfs({
      type: BigInt(s.type),
      bsize: BigInt(s.bsize),
      blocks: BigInt(s.blocks),
      bfree: BigInt(s.bfree),
      bavail: BigInt(s.bavail),
      files: BigInt(s.files),
      ffree: BigInt(s.ffree),
      fsid: s.fsid,
      namelen: BigInt(s.namelen),
      frsize: BigInt(s.frsize),
      flags: BigInt(s.flags),
    }),
  );
  return 0;
}

function statfs(task: SyscallTask, args: SyscallArgs): number {
  const path = readPath(task, pointer(args[0]));
  return writeStatfs(task, pointer(args[1]), task.kernel.vfs.statfs(task.fs, undefined, path));
}

function fstatfs(task: SyscallTask, args: SyscallArgs): number {
  const file = anyFile(task, int32(args[0]));
  return writeStatfs(task, pointer(args[1]), file.statfs());
}

/**
 * access(2) checks with the real uid and gid, not the effective ones, and with the
 * capabilities of that real uid (accessCredentials); AT_EACCESS keeps the task's own.
 */
function accessContext(task: SyscallTask, flags: number): FsContext {
  const creds = flags & AT.EACCESS ? undefined : accessCredentials(task.creds);
  return creds ? { root: task.fs.root, cwd: task.fs.cwd, umask: task.fs.umask, creds } : task.fs;
}

function accessAt(task: SyscallTask, dirfd: number, pathAddr: bigint, mode: number, flags: number): number {
  if ((mode & ~(ACCESS.R_OK | ACCESS.W_OK | ACCESS.X_OK)) !== 0) return -E.EINVAL;
  if ((flags & ~(AT.EACCESS | AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) !== 0) return -E.EINVAL;
  const path = readPath(task, pathAddr, (flags & AT.EMPTY_PATH) !== 0);
  const ctx = accessContext(task, flags);
  task.kernel.vfs.access(ctx, startDir(task, dirfd, path), path, mode, flags & (AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH));
  return 0;
}

function access(task: SyscallTask, args: SyscallArgs): number {
  return accessAt(task, AT_FDCWD, pointer(args[0]), uint32(args[1]), 0);
}

function faccessat(task: SyscallTask, args: SyscallArgs): number {
  return accessAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]), 0);
}

function faccessat2(task: SyscallTask, args: SyscallArgs): number {
  return accessAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]), uint32(args[3]));
}

function chmodAt(task: SyscallTask, dirfd: number, pathAddr: bigint, mode: number, flags: number): number {
  if ((flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) !== 0) return -E.EINVAL;
  const path = readPath(task, pathAddr, (flags & AT.EMPTY_PATH) !== 0);
  task.kernel.vfs.chmod(task.fs, startDir(task, dirfd, path), path, mode & MODE_BITS, flags);
  return 0;
}

function chmod(task: SyscallTask, args: SyscallArgs): number {
  return chmodAt(task, AT_FDCWD, pointer(args[0]), uint32(args[1]), 0);
}

function fchmodat(task: SyscallTask, args: SyscallArgs): number {
  return chmodAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]), 0);
}

function fchmodat2(task: SyscallTask, args: SyscallArgs): number {
  return chmodAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]), uint32(args[3]));
}

function fchmod(task: SyscallTask, args: SyscallArgs): number {
  openFile(task, int32(args[0])).chmod(task.fs, uint32(args[1]) & MODE_BITS);
  return 0;
}

function chownAt(task: SyscallTask, dirfd: number, pathAddr: bigint, uid: number, gid: number, flags: number): number {
  if ((flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) !== 0) return -E.EINVAL;
  const path = readPath(task, pathAddr, (flags & AT.EMPTY_PATH) !== 0);
  task.kernel.vfs.chown(task.fs, startDir(task, dirfd, path), path, uid, gid, flags);
  return 0;
}

// chown's ids are the caller's namespace's: EINVAL for one it does not map.
const owner = (task: SyscallTask, reg: bigint): number => idFromTask(task.creds, 'uid', id(reg));
const group = (task: SyscallTask, reg: bigint): number => idFromTask(task.creds, 'gid', id(reg));

function chown(task: SyscallTask, args: SyscallArgs): number {
  return chownAt(task, AT_FDCWD, pointer(args[0]), owner(task, args[1]), group(task, args[2]), 0);
}

function lchown(task: SyscallTask, args: SyscallArgs): number {
  return chownAt(task, AT_FDCWD, pointer(args[0]), owner(task, args[1]), group(task, args[2]), AT.SYMLINK_NOFOLLOW);
}

function fchownat(task: SyscallTask, args: SyscallArgs): number {
  return chownAt(task, int32(args[0]), pointer(args[1]), owner(task, args[2]), group(task, args[3]), uint32(args[4]));
}

function fchown(task: SyscallTask, args: SyscallArgs): number {
  openFile(task, int32(args[0])).chown(task.fs, owner(task, args[1]), group(task, args[2]));
  return 0;
}

const NSEC_PER_SEC = 1_000_000_000;
/**
 * The sandbox's filesystems keep seconds as exact doubles: their time range (Linux's
 * s_time_min/s_time_max) is +-(2^53 - 1), and a time set outside it is clamped to it, as
 * Linux clamps to a filesystem's range. Unclamped, INT64_MAX would round up to 2^63, which
 * no stat could encode.
 */
function fsSeconds(sec: bigint): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(sec > max ? max : sec < -max ? -max : sec);
}

/** A struct timespec pair for utimensat: nsec in range, or UTIME_NOW/UTIME_OMIT. */
function readTimespecs(task: SyscallTask, addr: bigint): [Timespec, Timespec] {
  const b = task.mem.read(addr, 32);
  const one = (offset: number): Timespec => {
    const sec = b.readBigInt64LE(offset);
    const nsec = b.readBigInt64LE(offset + 8);
    const special = nsec === BigInt(UTIME_NOW) || nsec === BigInt(UTIME_OMIT);
    if (!special && (nsec < 0n || nsec >= BigInt(NSEC_PER_SEC))) fail(E.EINVAL);
    return { sec: fsSeconds(sec), nsec: Number(nsec) };
  };
  return [one(0), one(16)];
}

/** A struct timeval pair for utimes/futimesat. */
function readTimevals(task: SyscallTask, addr: bigint): [Timespec, Timespec] {
  const b = task.mem.read(addr, 32);
  const one = (offset: number): Timespec => {
    const sec = b.readBigInt64LE(offset);
    const usec = b.readBigInt64LE(offset + 8);
    if (usec < 0n || usec >= 1_000_000n) fail(E.EINVAL);
    return { sec: fsSeconds(sec), nsec: Number(usec) * 1000 };
  };
  return [one(0), one(16)];
}

function setTimes(task: SyscallTask, dirfd: number, pathAddr: bigint, times: [Timespec, Timespec] | undefined, flags: number): number {
  const path = readPath(task, pathAddr, (flags & AT.EMPTY_PATH) !== 0);
  task.kernel.vfs.utimens(task.fs, startDir(task, dirfd, path), path, times?.[0], times?.[1], flags);
  return 0;
}

function utimensat(task: SyscallTask, args: SyscallArgs): number {
  const dirfd = int32(args[0]);
  const pathAddr = pointer(args[1]);
  const timesAddr = pointer(args[2]);
  const flags = uint32(args[3]);
  if ((flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) !== 0) return -E.EINVAL;
  const times = timesAddr === 0n ? undefined : readTimespecs(task, timesAddr);
  if (times && times[0].nsec === UTIME_OMIT && times[1].nsec === UTIME_OMIT) return 0;
  if (pathAddr === 0n) {
    // futimens(): the fd itself; glibc passes a NULL path for it.
    if (dirfd === AT_FDCWD) return -E.EFAULT;
    anyFile(task, dirfd).utimens(task.fs, times?.[0], times?.[1]);
    return 0;
  }
  return setTimes(task, dirfd, pathAddr, times, flags);
}

function utimes(task: SyscallTask, args: SyscallArgs): number {
  const timesAddr = pointer(args[1]);
  return setTimes(task, AT_FDCWD, pointer(args[0]), timesAddr === 0n ? undefined : readTimevals(task, timesAddr), 0);
}

function futimesat(task: SyscallTask, args: SyscallArgs): number {
  const timesAddr = pointer(args[2]);
  return setTimes(task, int32(args[0]), pointer(args[1]), timesAddr === 0n ? undefined : readTimevals(task, timesAddr), 0);
}

function utime(task: SyscallTask, args: SyscallArgs): number {
  const timesAddr = pointer(args[1]);
  let times: [Timespec, Timespec] | undefined;
  if (timesAddr !== 0n) {
    const b = task.mem.read(timesAddr, 16);
    times = [{ sec: fsSeconds(b.readBigInt64LE(0)), nsec: 0 }, { sec: fsSeconds(b.readBigInt64LE(8)), nsec: 0 }];
  }
  return setTimes(task, AT_FDCWD, pointer(args[0]), times, 0);
}

export const statSyscalls = {
  stat,
  lstat,
  fstat,
  newfstatat,
  statx,
  statfs,
  fstatfs,
  access,
  faccessat,
  faccessat2,
  chmod,
  fchmod,
  fchmodat,
  fchmodat2,
  chown,
  lchown,
  fchown,
  fchownat,
  utime,
  utimes,
  futimesat,
  utimensat,
} satisfies Record<string, SyscallHandler>;
