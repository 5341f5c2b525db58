// What the file syscall families share: finding a task's files and directories from raw
// fds and paths.

import { E, fail } from '../../abi/errno.js';
import { AT_FDCWD, PATH_MAX } from '../../abi/linux-fcntl.js';
import { NR_OPEN } from '../../sentry/kernel/fd-table.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription, Location } from '../../vfs/api.js';

const RLIMIT_NOFILE = 7;

/** The description behind fd, O_PATH ones included (fstat, fchdir, *at, dup, close). */
export function anyFile(task: SyscallTask, fd: number): FileDescription {
  return task.fds.get(fd);
}

/** The description behind fd for an operation O_PATH descriptions refuse (EBADF). */
export function openFile(task: SyscallTask, fd: number): FileDescription {
  const file = task.fds.get(fd);
  if (file.isPath) fail(E.EBADF);
  return file;
}

/** RLIMIT_NOFILE of the caller, as the fd table takes it (never above fs.nr_open). */
export function fdLimit(task: SyscallTask): number {
  const cur = task.rlimits.get(RLIMIT_NOFILE).cur;
  return cur > BigInt(NR_OPEN) ? NR_OPEN : Number(cur);
}

/**
 * pipe2 and socketpair: installs two new descriptions (taking over a reference to each)
 * and writes their fds to addr as two ints. Linux hands over both or neither: when a
 * step fails, nothing is left behind.
 */
export function installPair(task: SyscallTask, addr: bigint, first: FileDescription, second: FileDescription, cloexec: boolean): void {
  const limit = fdLimit(task);
  let firstFd: number;
  try {
    firstFd = task.fds.install(first, { cloexec, limit });
  } catch (e) {
    second.unref();
    throw e;
  }
  let secondFd: number;
  try {
    secondFd = task.fds.install(second, { cloexec, limit });
  } catch (e) {
    task.fds.close(firstFd);
    throw e;
  }
  const out = Buffer.alloc(8);
  out.writeInt32LE(firstFd, 0);
  out.writeInt32LE(secondFd, 4);
  try {
    task.mem.write(addr, out);
  } catch (e) {
    task.fds.close(firstFd);
    task.fds.close(secondFd);
    throw e;
  }
}

/** A path argument; ENOENT for "" unless the call allows AT_EMPTY_PATH. */
export function readPath(task: SyscallTask, addr: bigint, allowEmpty = false): string {
  const path = task.mem.readCString(addr, PATH_MAX);
  if (path === '' && !allowEmpty) fail(E.ENOENT);
  return path;
}

/**
 * The directory a relative path starts from: undefined for AT_FDCWD (the VFS's cwd), the
 * dirfd's location otherwise. As Linux does, an absolute path never looks at dirfd.
 */
export function startDir(task: SyscallTask, dirfd: number, path: string): Location | undefined {
  if (path.startsWith('/') || dirfd === AT_FDCWD) return undefined;
  return anyFile(task, dirfd).location;
}
