// The host file addon (native/ptrace/src/hostfs.c): the *at system calls Node's fs lacks,
// each naming a file by a directory fd and one name, or by an fd with AT_EMPTY_PATH. Names
// are Buffers (bytes); results are what the call returns, or -errno. No policy.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Slots of statAt's output array. */
export const STAT_FIELD = {
  dev: 0, ino: 1, mode: 2, nlink: 3, uid: 4, gid: 5, rdev: 6, size: 7, blksize: 8, blocks: 9,
  atimeSec: 10, atimeNsec: 11, mtimeSec: 12, mtimeNsec: 13, ctimeSec: 14, ctimeNsec: 15, btimeSec: 16, btimeNsec: 17,
} as const;
export const STAT_FIELDS = 18;

/** Slots of statfs's output array. */
export const STATFS_FIELD = { type: 0, bsize: 1, blocks: 2, bfree: 3, bavail: 4, files: 5, ffree: 6, namelen: 7 } as const;
export const STATFS_FIELDS = 8;

export interface HostFsAddon {
  openAt(dirFd: number, name: Buffer, flags: number, mode: number): number;
  /** openat2(2): resolve holds RESOLVE_* bits. */
  openat2(dirFd: number, path: Buffer, flags: number, mode: number, resolve: number): number;
  /** A new fd, opened with flags, for the file the O_PATH fd refers to (never by a name). */
  reopen(fd: number, flags: number): number;
  /** statx(2) into out (STAT_FIELD slots). */
  statAt(dirFd: number, name: Buffer, flags: number, out: Float64Array): number;
  /** fstatfs(2) into out (STATFS_FIELD slots). */
  statfs(fd: number, out: Float64Array): number;
  mkdirAt(dirFd: number, name: Buffer, mode: number): number;
  symlinkAt(target: Buffer, dirFd: number, name: Buffer): number;
  linkAt(oldDirFd: number, oldName: Buffer, newDirFd: number, newName: Buffer, flags: number): number;
  unlinkAt(dirFd: number, name: Buffer, flags: number): number;
  /** renameat2(2). */
  renameAt(oldDirFd: number, oldName: Buffer, newDirFd: number, newName: Buffer, flags: number): number;
  readlinkAt(dirFd: number, name: Buffer): Buffer | number;
  chownAt(dirFd: number, name: Buffer, uid: number, gid: number, flags: number): number;
  /** fchmodat2(2). */
  chmodAt(dirFd: number, name: Buffer, mode: number, flags: number): number;
  /** utimensat(2); times: atime sec, nsec, mtime sec, nsec (UTIME_OMIT/UTIME_NOW in nsec). */
  utimensAt(dirFd: number, name: Buffer, times: Float64Array, flags: number): number;
  /** The names in a directory (an O_PATH fd will do), without . and .. */
  readDir(dirFd: number): Buffer[] | number;
  /** fgetxattr(2) of an open (not O_PATH) fd: the value, or -errno (-ENODATA for none). */
  fgetxattr(fd: number, name: Buffer): Buffer | number;
}

const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'ptrace', 'build', 'Release');

let addon: HostFsAddon | undefined;

/** Loads the addon once; throws a clear error when it was not built. */
export function loadHostFs(): HostFsAddon {
  if (addon) return addon;
  const addonPath = join(buildDir, 'tssc_hostfs.node');
  if (!existsSync(addonPath)) throw new Error(`the host file helper is not built (${addonPath}); run \`npm run build:native\``);
  addon = createRequire(import.meta.url)(addonPath) as HostFsAddon;
  return addon;
}
