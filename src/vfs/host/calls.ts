// The host calls of host mounts (through the native helper, src/native/hostfs.ts): every
// file is named by a directory fd and one name that is never followed, or by an fd of
// its own (AT_EMPTY_PATH). Failures throw SysError with the host's errno.

import { E, SysError, fail } from '../../abi/errno.js';
import { AT } from '../../abi/linux-fcntl.js';
import { S, UTIME_OMIT } from '../../abi/linux-stat.js';
import { STATFS_FIELD, STATFS_FIELDS, STAT_FIELD, STAT_FIELDS, loadHostFs, type HostFsAddon } from '../../native/hostfs.js';
import type { Statfs, Timespec } from '../api.js';

/** A host file's attributes, as statx(2) gave them. */
export interface HostStat {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly blksize: number;
  readonly blocks: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  readonly btime: Timespec | undefined;
}

/** fstatfs(2)'s answer; the mount's flags and fsid are the VFS's. */
export type HostStatfs = Omit<Statfs, 'fsid' | 'frsize' | 'flags'>;

/** The addon, loaded on the first host call (a sandbox with no host mount needs none). */
let addon: HostFsAddon | undefined;
function native(): HostFsAddon {
  return (addon ??= loadHostFs());
}
const EMPTY = Buffer.alloc(0);
const statOut = new Float64Array(STAT_FIELDS);
const statfsOut = new Float64Array(STATFS_FIELDS);

function bytes(name: string): Buffer {
  return Buffer.from(name, 'latin1');
}

function check(result: number): number {
  if (result < 0) throw new SysError(-result);
  return result;
}

export function fileType(st: HostStat): number {
  return st.mode & S.IFMT;
}

function readStat(): HostStat {
  const at = (sec: number, nsec: number): Timespec => ({ sec: statOut[sec] as number, nsec: statOut[nsec] as number });
  const btime = at(STAT_FIELD.btimeSec, STAT_FIELD.btimeNsec);
  return {
    dev: statOut[STAT_FIELD.dev] as number,
    ino: statOut[STAT_FIELD.ino] as number,
    mode: statOut[STAT_FIELD.mode] as number,
    nlink: statOut[STAT_FIELD.nlink] as number,
    uid: statOut[STAT_FIELD.uid] as number,
    gid: statOut[STAT_FIELD.gid] as number,
    rdev: statOut[STAT_FIELD.rdev] as number,
    size: statOut[STAT_FIELD.size] as number,
    blksize: statOut[STAT_FIELD.blksize] as number,
    blocks: statOut[STAT_FIELD.blocks] as number,
    atime: at(STAT_FIELD.atimeSec, STAT_FIELD.atimeNsec),
    mtime: at(STAT_FIELD.mtimeSec, STAT_FIELD.mtimeNsec),
    ctime: at(STAT_FIELD.ctimeSec, STAT_FIELD.ctimeNsec),
    btime: btime.sec === 0 && btime.nsec === 0 ? undefined : btime,
  };
}

/** The attributes of name in dirFd, not following it; undefined when it does not exist. */
export function lstatAt(dirFd: number, name: string): HostStat | undefined {
  const r = native().statAt(dirFd, bytes(name), AT.SYMLINK_NOFOLLOW, statOut);
  if (r === -E.ENOENT) return undefined;
  check(r);
  return readStat();
}

/** The attributes of the file fd refers to (an O_PATH fd will do). */
export function fstat(fd: number): HostStat {
  check(native().statAt(fd, EMPTY, AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW, statOut));
  return readStat();
}

export function statfs(fd: number): HostStatfs {
  check(native().statfs(fd, statfsOut));
  const field = (slot: number) => statfsOut[slot] as number;
  return {
    type: field(STATFS_FIELD.type),
    bsize: field(STATFS_FIELD.bsize),
    blocks: field(STATFS_FIELD.blocks),
    bfree: field(STATFS_FIELD.bfree),
    bavail: field(STATFS_FIELD.bavail),
    files: field(STATFS_FIELD.files),
    ffree: field(STATFS_FIELD.ffree),
    namelen: field(STATFS_FIELD.namelen),
  };
}

export function openAt(dirFd: number, name: string, flags: number, mode: number): number {
  return check(native().openAt(dirFd, bytes(name), flags, mode));
}

/** openat2(2); ENOSYS where the host kernel predates it. */
export function openat2(dirFd: number, path: string, flags: number, mode: number, resolve: number): number {
  return check(native().openat2(dirFd, bytes(path), flags, mode, resolve));
}

export function reopen(fd: number, flags: number): number {
  return check(native().reopen(fd, flags));
}

export function mkdirAt(dirFd: number, name: string, mode: number): void {
  check(native().mkdirAt(dirFd, bytes(name), mode));
}

export function symlinkAt(target: string, dirFd: number, name: string): void {
  check(native().symlinkAt(bytes(target), dirFd, bytes(name)));
}

/** A hard link of oldName (not followed) in oldDirFd as newName in newDirFd. */
export function linkAt(oldDirFd: number, oldName: string, newDirFd: number, newName: string): void {
  check(native().linkAt(oldDirFd, bytes(oldName), newDirFd, bytes(newName), 0));
}

export function unlinkAt(dirFd: number, name: string, flags: number): void {
  check(native().unlinkAt(dirFd, bytes(name), flags));
}

export function renameAt(oldDirFd: number, oldName: string, newDirFd: number, newName: string, flags: number): void {
  check(native().renameAt(oldDirFd, bytes(oldName), newDirFd, bytes(newName), flags));
}

export function readlinkAt(dirFd: number, name: string): string {
  const r = native().readlinkAt(dirFd, bytes(name));
  if (typeof r === 'number') fail(-r);
  return r.toString('latin1');
}

/** An extended attribute of the file fd (open for reading) holds, undefined when it has none. */
export function fgetxattr(fd: number, name: string): Uint8Array | undefined {
  const r = native().fgetxattr(fd, bytes(name));
  if (typeof r !== 'number') return r;
  if (r === -E.ENODATA) return undefined;
  return fail(-r);
}

export function readDir(dirFd: number): string[] {
  const r = native().readDir(dirFd);
  if (typeof r === 'number') fail(-r);
  return r.map((name) => name.toString('latin1'));
}

/** chown of the file fd refers to (an O_PATH fd), never of what a symlink names. */
export function chownFd(fd: number, uid: number, gid: number): void {
  check(native().chownAt(fd, EMPTY, uid, gid, AT.EMPTY_PATH));
}

/** chmod of the file fd refers to (an O_PATH fd); EOPNOTSUPP for a symlink. */
export function chmodFd(fd: number, mode: number): void {
  check(native().chmodAt(fd, EMPTY, mode, AT.EMPTY_PATH));
}

/** Times of the file fd refers to (an O_PATH fd); undefined leaves one unchanged. */
export function utimensFd(fd: number, atime: Timespec | undefined, mtime: Timespec | undefined): void {
  const omit: Timespec = { sec: 0, nsec: UTIME_OMIT };
  const a = atime ?? omit;
  const m = mtime ?? omit;
  check(native().utimensAt(fd, EMPTY, new Float64Array([a.sec, a.nsec, m.sec, m.nsec]), AT.EMPTY_PATH));
}

