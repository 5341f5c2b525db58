// preview1 path_* calls: each is one VFS operation relative to a directory fd, so mounts,
// permissions, symlinks and `..` behave exactly as for the Linux processes of the sandbox.

import { AT, O } from '../../abi/linux-fcntl.js';
import type { Location } from '../../vfs/api.js';
import { FdFlags, Filetype, LookupFlags, OFlags, WasiErrno } from './abi.js';
import { OK, pathContext, putData, putFilestat, utimesOf, type WasiCallContext, type WasiHandler } from './call-context.js';
import { defaultRights, DIRECTORY_RIGHTS, Right } from './rights.js';
import { WasiError } from './errno.js';
import { filetypeOf } from './wasi-fds.js';

type Fd = number;

/** preview1 has no mode argument: new files and directories get 0666/0777 less the umask. */
const FILE_MODE = 0o666;
const DIRECTORY_MODE = 0o777;

const READ_RIGHTS = Right.FD_READ | Right.FD_READDIR;
const WRITE_RIGHTS = Right.FD_WRITE | Right.FD_ALLOCATE | Right.FD_FILESTAT_SET_SIZE | Right.FD_DATASYNC;

function dirOf({ fds }: WasiCallContext, fd: Fd, right: bigint): Location {
  return fds.file(fd, right).location;
}

function noFollowFlag(lookupFlags: number): number {
  return lookupFlags & LookupFlags.SYMLINK_FOLLOW ? 0 : AT.SYMLINK_NOFOLLOW;
}

/**
 * Whether a symlink at linkPath with this target, both read from the directory fd, leads
 * out of it: an absolute target, or more `..` than the link sits deep. Following such a
 * link is refused anyway (pathContext); preview1 refuses to create one.
 */
function leadsOut(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return true;
  const parent = linkPath.split('/').filter((part) => part !== '');
  parent.pop();
  let depth = 0;
  for (const part of [...parent, ...target.split('/')]) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

export const pathCalls: Record<string, WasiHandler> = {
  path_create_directory(ctx, args) {
    const [fd, path] = args as [Fd, string];
    ctx.task.kernel.vfs.mkdir(pathContext(ctx), dirOf(ctx, fd, Right.PATH_CREATE_DIRECTORY), path, DIRECTORY_MODE);
    return OK;
  },

  path_filestat_get(ctx, args) {
    const [fd, lookupFlags, path] = args as [Fd, number, string];
    const st = ctx.task.kernel.vfs.stat(pathContext(ctx), dirOf(ctx, fd, Right.PATH_FILESTAT_GET), path, noFollowFlag(lookupFlags));
    putFilestat(ctx.buffer, st);
    return OK;
  },

  path_filestat_set_times(ctx, args) {
    const [fd, lookupFlags, path, atim, mtim, fstFlags] = args as [Fd, number, string, bigint, bigint, number];
    const { atime, mtime } = utimesOf(atim, mtim, fstFlags);
    const dir = dirOf(ctx, fd, Right.PATH_FILESTAT_SET_TIMES);
    ctx.task.kernel.vfs.utimens(pathContext(ctx), dir, path, atime, mtime, noFollowFlag(lookupFlags));
    return OK;
  },

  path_link(ctx, args) {
    const [oldFd, lookupFlags, oldPath, newFd, newPath] = args as [Fd, number, string, Fd, string];
    const oldDir = dirOf(ctx, oldFd, Right.PATH_LINK_SOURCE);
    const newDir = dirOf(ctx, newFd, Right.PATH_LINK_TARGET);
    const follow = lookupFlags & LookupFlags.SYMLINK_FOLLOW ? AT.SYMLINK_FOLLOW : 0;
    ctx.task.kernel.vfs.link(pathContext(ctx), oldDir, oldPath, newDir, newPath, follow);
    return OK;
  },

  path_open(ctx, args) {
    const [fd, lookupFlags, path, oflags, rawBase, rawInheriting, fdFlags] = args as [Fd, number, string, number, bigint, bigint, number];
    const base = BigInt.asUintN(64, rawBase);
    const inheriting = BigInt.asUintN(64, rawInheriting);
    let needed = Right.PATH_OPEN;
    if (oflags & OFlags.CREAT) needed |= Right.PATH_CREATE_FILE;
    if (oflags & OFlags.TRUNC) needed |= Right.PATH_FILESTAT_SET_SIZE;
    const dirFile = ctx.fds.file(fd, needed);
    const dirRights = ctx.fds.rightsOf(fd, dirFile);
    // An fd opened through a directory never gets rights the directory may not hand on.
    if ((base & ~dirRights.inheriting) !== 0n || (inheriting & ~dirRights.inheriting) !== 0n) {
      throw new WasiError(WasiErrno.NOTCAPABLE);
    }

    const reads = (base & READ_RIGHTS) !== 0n;
    const writes = (base & WRITE_RIGHTS) !== 0n;
    let flags = writes ? (reads ? O.RDWR : O.WRONLY) : O.RDONLY;
    if (oflags & OFlags.CREAT) flags |= O.CREAT;
    if (oflags & OFlags.EXCL) flags |= O.EXCL;
    if (oflags & OFlags.TRUNC) flags |= O.TRUNC;
    if (oflags & OFlags.DIRECTORY) flags |= O.DIRECTORY;
    if (!(lookupFlags & LookupFlags.SYMLINK_FOLLOW)) flags |= O.NOFOLLOW;
    if (fdFlags & FdFlags.APPEND) flags |= O.APPEND;
    if (fdFlags & FdFlags.NONBLOCK) flags |= O.NONBLOCK;
    if (fdFlags & (FdFlags.SYNC | FdFlags.RSYNC)) flags |= O.SYNC;
    else if (fdFlags & FdFlags.DSYNC) flags |= O.DSYNC;

    const file = ctx.task.kernel.vfs.open(pathContext(ctx), dirFile.location, path, flags, FILE_MODE);
    const type = filetypeOf(file);
    const possible = type === Filetype.DIRECTORY ? DIRECTORY_RIGHTS : defaultRights(type, reads, writes).base;
    ctx.buffer.values[0] = BigInt(ctx.fds.install(file, { base: base & possible, inheriting }));
    return OK;
  },

  path_readlink(ctx, args) {
    const [fd, path] = args as [Fd, string];
    const target = ctx.task.kernel.vfs.readlink(pathContext(ctx), dirOf(ctx, fd, Right.PATH_READLINK), path);
    ctx.buffer.values[0] = BigInt(putData(ctx.buffer, Buffer.from(target, 'latin1')));
    return OK;
  },

  path_remove_directory(ctx, args) {
    const [fd, path] = args as [Fd, string];
    ctx.task.kernel.vfs.unlink(pathContext(ctx), dirOf(ctx, fd, Right.PATH_REMOVE_DIRECTORY), path, AT.REMOVEDIR);
    return OK;
  },

  path_rename(ctx, args) {
    const [oldFd, oldPath, newFd, newPath] = args as [Fd, string, Fd, string];
    const oldDir = dirOf(ctx, oldFd, Right.PATH_RENAME_SOURCE);
    const newDir = dirOf(ctx, newFd, Right.PATH_RENAME_TARGET);
    ctx.task.kernel.vfs.rename(pathContext(ctx), oldDir, oldPath, newDir, newPath, 0);
    return OK;
  },

  path_symlink(ctx, args) {
    const [target, fd, path] = args as [string, Fd, string];
    if (leadsOut(path, target)) throw new WasiError(WasiErrno.NOTCAPABLE);
    ctx.task.kernel.vfs.symlink(pathContext(ctx), target, dirOf(ctx, fd, Right.PATH_SYMLINK), path);
    return OK;
  },

  path_unlink_file(ctx, args) {
    const [fd, path] = args as [Fd, string];
    ctx.task.kernel.vfs.unlink(pathContext(ctx), dirOf(ctx, fd, Right.PATH_UNLINK_FILE), path, 0);
    return OK;
  },
};
