// Directory and name syscalls: reading directories, creating and removing names,
// links, symlinks, renames, and the task's cwd and root.

import { E, fail } from '../../abi/errno.js';
import { writeDirent, writeDirent64, dirent64Size, direntSize } from '../../abi/linux-dirent.js';
import { ACCESS, AT, AT_FDCWD, RENAME } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import { nsCapable } from '../../sentry/kernel/credentials.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { CAP } from '../../abi/linux-capability.js';
import type { DirEntry, FileDescription, Location } from '../../vfs/api.js';
import { int32, pointer, uint32 } from './decode.js';
import { anyFile, openFile, readPath, startDir } from './task-files.js';

const MODE_BITS = 0o7777;
const DIRENT_BUFFER_MAX = 1 << 20;

type DirentWriter = (b: Buffer, offset: number, ino: bigint, off: bigint, type: number, name: string) => number;

/**
 * Fills up to count bytes of dirents from the directory's current offset. EINVAL when
 * even the first entry does not fit, as Linux reports a too-small buffer.
 */
function fillDirents(file: FileDescription, count: number, recordSize: (nameLength: number) => number, writeRecord: DirentWriter): Buffer {
  const buf = Buffer.alloc(Math.min(count, DIRENT_BUFFER_MAX));
  let used = 0;
  let refused = false;
  file.getdents((entry: DirEntry) => {
    const size = recordSize(entry.name.length);
    if (used + size > buf.length) {
      refused = true;
      return false;
    }
    used += writeRecord(buf, used, BigInt(entry.ino), BigInt(entry.offset), entry.type, entry.name);
    return true;
  });
  if (used === 0 && refused) fail(E.EINVAL);
  return buf.subarray(0, used);
}

function getdentsWith(task: SyscallTask, args: SyscallArgs, recordSize: (n: number) => number, writeRecord: DirentWriter): number {
  const file = openFile(task, int32(args[0]));
  const addr = pointer(args[1]);
  const count = uint32(args[2]);
  if ((file.inode.stat().mode & S.IFMT) !== S.IFDIR) return -E.ENOTDIR;
  const out = fillDirents(file, count, recordSize, writeRecord);
  if (out.length > 0) task.mem.write(addr, out);
  return out.length;
}

function getdents64(task: SyscallTask, args: SyscallArgs): number {
  return getdentsWith(task, args, dirent64Size, writeDirent64);
}

function getdents(task: SyscallTask, args: SyscallArgs): number {
  return getdentsWith(task, args, direntSize, writeDirent);
}

function mkdirAt(task: SyscallTask, dirfd: number, pathAddr: bigint, mode: number): number {
  const path = readPath(task, pathAddr);
  task.kernel.vfs.mkdir(task.fs, startDir(task, dirfd, path), path, mode & MODE_BITS);
  return 0;
}

function mkdir(task: SyscallTask, args: SyscallArgs): number {
  return mkdirAt(task, AT_FDCWD, pointer(args[0]), uint32(args[1]));
}

function mkdirat(task: SyscallTask, args: SyscallArgs): number {
  return mkdirAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]));
}

function mknodAt(task: SyscallTask, dirfd: number, pathAddr: bigint, mode: number, dev: number): number {
  const path = readPath(task, pathAddr);
  let type = mode & S.IFMT;
  if (type === 0) type = S.IFREG;
  if (type === S.IFDIR) return -E.EPERM;
  if (type !== S.IFREG && type !== S.IFCHR && type !== S.IFBLK && type !== S.IFIFO && type !== S.IFSOCK) return -E.EINVAL;
  task.kernel.vfs.mknod(task.fs, startDir(task, dirfd, path), path, type | (mode & MODE_BITS), dev);
  return 0;
}

function mknod(task: SyscallTask, args: SyscallArgs): number {
  return mknodAt(task, AT_FDCWD, pointer(args[0]), uint32(args[1]), uint32(args[2]));
}

function mknodat(task: SyscallTask, args: SyscallArgs): number {
  return mknodAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]), uint32(args[3]));
}

function unlinkAt(task: SyscallTask, dirfd: number, pathAddr: bigint, flags: number): number {
  if ((flags & ~AT.REMOVEDIR) !== 0) return -E.EINVAL;
  const path = readPath(task, pathAddr);
  task.kernel.vfs.unlink(task.fs, startDir(task, dirfd, path), path, flags);
  return 0;
}

function unlink(task: SyscallTask, args: SyscallArgs): number {
  return unlinkAt(task, AT_FDCWD, pointer(args[0]), 0);
}

function unlinkat(task: SyscallTask, args: SyscallArgs): number {
  return unlinkAt(task, int32(args[0]), pointer(args[1]), uint32(args[2]));
}

function rmdir(task: SyscallTask, args: SyscallArgs): number {
  return unlinkAt(task, AT_FDCWD, pointer(args[0]), AT.REMOVEDIR);
}

function renameAt(task: SyscallTask, oldDirfd: number, oldAddr: bigint, newDirfd: number, newAddr: bigint, flags: number): number {
  if ((flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) !== 0) return -E.EINVAL;
  if ((flags & RENAME.EXCHANGE) && (flags & (RENAME.NOREPLACE | RENAME.WHITEOUT))) return -E.EINVAL;
  const oldPath = readPath(task, oldAddr);
  const newPath = readPath(task, newAddr);
  const vfs = task.kernel.vfs;
  vfs.rename(task.fs, startDir(task, oldDirfd, oldPath), oldPath, startDir(task, newDirfd, newPath), newPath, flags);
  return 0;
}

function rename(task: SyscallTask, args: SyscallArgs): number {
  return renameAt(task, AT_FDCWD, pointer(args[0]), AT_FDCWD, pointer(args[1]), 0);
}

function renameat(task: SyscallTask, args: SyscallArgs): number {
  return renameAt(task, int32(args[0]), pointer(args[1]), int32(args[2]), pointer(args[3]), 0);
}

function renameat2(task: SyscallTask, args: SyscallArgs): number {
  return renameAt(task, int32(args[0]), pointer(args[1]), int32(args[2]), pointer(args[3]), uint32(args[4]));
}

function linkAt(task: SyscallTask, oldDirfd: number, oldAddr: bigint, newDirfd: number, newAddr: bigint, flags: number): number {
  if ((flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) !== 0) return -E.EINVAL;
  const oldPath = readPath(task, oldAddr, (flags & AT.EMPTY_PATH) !== 0);
  const newPath = readPath(task, newAddr);
  task.kernel.vfs.link(task.fs, startDir(task, oldDirfd, oldPath), oldPath, startDir(task, newDirfd, newPath), newPath, flags);
  return 0;
}

function link(task: SyscallTask, args: SyscallArgs): number {
  return linkAt(task, AT_FDCWD, pointer(args[0]), AT_FDCWD, pointer(args[1]), 0);
}

function linkat(task: SyscallTask, args: SyscallArgs): number {
  return linkAt(task, int32(args[0]), pointer(args[1]), int32(args[2]), pointer(args[3]), uint32(args[4]));
}

function symlinkAt(task: SyscallTask, targetAddr: bigint, dirfd: number, pathAddr: bigint): number {
  const target = readPath(task, targetAddr);
  const path = readPath(task, pathAddr);
  task.kernel.vfs.symlink(task.fs, target, startDir(task, dirfd, path), path);
  return 0;
}

function symlink(task: SyscallTask, args: SyscallArgs): number {
  return symlinkAt(task, pointer(args[0]), AT_FDCWD, pointer(args[1]));
}

function symlinkat(task: SyscallTask, args: SyscallArgs): number {
  return symlinkAt(task, pointer(args[0]), int32(args[1]), pointer(args[2]));
}

function readlinkAt(task: SyscallTask, dirfd: number, pathAddr: bigint, bufAddr: bigint, bufSize: number): number {
  // An empty path names dirfd itself (an O_PATH|O_NOFOLLOW fd of a symlink).
  const path = readPath(task, pathAddr, dirfd !== AT_FDCWD);
  if (bufSize <= 0) return -E.EINVAL;
  const target = Buffer.from(task.kernel.vfs.readlink(task.fs, startDir(task, dirfd, path), path), 'latin1');
  const n = Math.min(target.length, bufSize);
  task.mem.write(bufAddr, target.subarray(0, n));
  return n;
}

function readlink(task: SyscallTask, args: SyscallArgs): number {
  return readlinkAt(task, AT_FDCWD, pointer(args[0]), pointer(args[1]), int32(args[2]));
}

function readlinkat(task: SyscallTask, args: SyscallArgs): number {
  return readlinkAt(task, int32(args[0]), pointer(args[1]), pointer(args[2]), int32(args[3]));
}

/** The directory at the path argument addr, which the caller must be able to search (chdir, chroot). */
function searchableDirectory(task: SyscallTask, addr: bigint): Location {
  const path = readPath(task, addr);
  const vfs = task.kernel.vfs;
  const loc = vfs.resolve(task.fs, undefined, path, { follow: true, directory: true });
  vfs.access(task.fs, loc, '', ACCESS.X_OK, AT.EMPTY_PATH);
  return loc;
}

function chdir(task: SyscallTask, args: SyscallArgs): number {
  task.fs.cwd = searchableDirectory(task, pointer(args[0]));
  return 0;
}

function fchdir(task: SyscallTask, args: SyscallArgs): number {
  const file = anyFile(task, int32(args[0]));
  if ((file.stat().mode & S.IFMT) !== S.IFDIR) return -E.ENOTDIR;
  task.kernel.vfs.access(task.fs, file.location, '', ACCESS.X_OK, AT.EMPTY_PATH);
  task.fs.cwd = file.location;
  return 0;
}

function getcwd(task: SyscallTask, args: SyscallArgs): number {
  const addr = pointer(args[0]);
  const size = Number(BigInt.asUintN(32, args[1]));
  // A removed working directory has no path (it is Linux's d_unlinked case).
  if (task.kernel.vfs.statAt(task.fs.cwd).nlink === 0) return -E.ENOENT;
  const path = Buffer.from(task.kernel.vfs.pathOf(task.fs, task.fs.cwd) + '\0', 'latin1');
  if (path.length > size) return -E.ERANGE;
  task.mem.write(addr, path);
  return path.length;
}

function chroot(task: SyscallTask, args: SyscallArgs): number {
  const loc = searchableDirectory(task, pointer(args[0]));
  // CAP_SYS_CHROOT in the caller's own user namespace, as Linux asks (the root stays inside the sandbox's tree).
  if (!nsCapable(task.creds, task.creds.userNs, CAP.SYS_CHROOT)) return -E.EPERM;
  task.fs.root = loc;
  return 0;
}

export const dirSyscalls = {
  getdents,
  getdents64,
  mkdir,
  mkdirat,
  mknod,
  mknodat,
  unlink,
  unlinkat,
  rmdir,
  rename,
  renameat,
  renameat2,
  link,
  linkat,
  symlink,
  symlinkat,
  readlink,
  readlinkat,
  chdir,
  fchdir,
  getcwd,
  chroot,
} satisfies Record<string, SyscallHandler>;
