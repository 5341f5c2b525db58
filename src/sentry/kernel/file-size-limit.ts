// RLIMIT_FSIZE, which only the sentry can enforce (files are its own): a write to a
// regular file stops at the limit, and one that would start at or past it raises SIGXFSZ
// and fails with EFBIG (Linux's generic_write_check_limits); a truncate or fallocate that
// would grow a file past it does the same (inode_newsize_ok). Both tables' writes go
// through here, whatever call made them (write, pwrite, writev, sendfile, splice,
// copy_file_range).

import { E, SysError } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import type { FileDescription } from '../../vfs/api.js';
import { RLIM_INFINITY, RLIMIT } from './rlimits.js';
import type { SyscallTask } from './syscall.js';

const SIGXFSZ = 25;

function fileSizeLimit(task: SyscallTask): bigint | undefined {
  const limit = task.rlimits.get(RLIMIT.FSIZE).cur;
  return limit === RLIM_INFINITY ? undefined : limit;
}

function exceeded(task: SyscallTask): never {
  task.signalSelf(SIGXFSZ);
  throw new SysError(E.EFBIG);
}

/**
 * How many of count bytes a write at position (undefined: the file's own offset) may
 * write; callers that take the bytes from another file ask before they take them.
 */
export function fileSizeRoom(task: SyscallTask, file: FileDescription, count: number, position?: number): number {
  if (count === 0) return 0;
  const limit = fileSizeLimit(task);
  if (limit === undefined) return count;
  const st = file.stat();
  if ((st.mode & S.IFMT) !== S.IFREG) return count;
  // Linux appends even for pwrite on an O_APPEND file.
  const at = BigInt(file.statusFlags & O.APPEND ? st.size : (position ?? file.offset));
  if (at >= limit) exceeded(task);
  const room = limit - at;
  return room < BigInt(count) ? Number(room) : count;
}

/** What of buf a write at position may write (see fileSizeRoom). */
export function withinFileSizeLimit(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): Uint8Array {
  return buf.subarray(0, fileSizeRoom(task, file, buf.length, position));
}

/** Whether growing a regular file from size to newSize passes the limit. */
export function growsPastFileSizeLimit(task: SyscallTask, size: number, newSize: number): boolean {
  const limit = fileSizeLimit(task);
  return limit !== undefined && newSize > size && BigInt(newSize) > limit;
}

/** A truncate or fallocate that would grow a regular file from size to newSize: SIGXFSZ and EFBIG past the limit. */
export function checkFileGrowth(task: SyscallTask, size: number, newSize: number): void {
  if (growsPastFileSizeLimit(task, size, newSize)) exceeded(task);
}
