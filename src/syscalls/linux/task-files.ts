// What the file syscall families share: finding a task's files and directories from raw
// fds and paths, and doing I/O that may have to wait.

import { E, SysError, fail } from '../../abi/errno.js';
import { AT_FDCWD, O, PATH_MAX } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { NR_OPEN } from '../../sentry/fd-table.js';
import type { SyscallTask } from '../../sentry/syscall.js';
import type { FileDescription, Location } from '../../vfs/api.js';

const RLIMIT_NOFILE = 7;
const SIGPIPE = 13;

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

export function isNonBlocking(file: FileDescription): boolean {
  return (file.statusFlags & O.NONBLOCK) !== 0;
}

function wouldBlock(e: unknown): boolean {
  return e instanceof SysError && e.errno === E.EAGAIN;
}

/** read(2) semantics: waits for data on a blocking file that has none yet. */
export async function readWaiting(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): Promise<number> {
  for (;;) {
    try {
      return file.read(buf, position);
    } catch (e) {
      if (!wouldBlock(e) || isNonBlocking(file)) throw e;
    }
    await task.waitReady(file, POLL.IN);
  }
}

/**
 * write(2) semantics: a blocking file takes the whole buffer, waiting for room as often
 * as needed; a signal that interrupts after some bytes went returns that count. EPIPE
 * also raises SIGPIPE.
 */
export async function writeWaiting(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): Promise<number> {
  let done = 0;
  for (;;) {
    try {
      done += file.write(buf.subarray(done), position === undefined ? undefined : position + done);
      if (done === buf.length || isNonBlocking(file)) return done;
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EPIPE) task.signalSelf(SIGPIPE);
      // A blocking writer waits for room however much went already; any other end
      // (an error, a non-blocking file) returns what was written, or the error.
      if (!wouldBlock(e) || isNonBlocking(file)) {
        if (done > 0 && e instanceof SysError) return done;
        throw e;
      }
    }
    try {
      await task.waitReady(file, POLL.OUT);
    } catch (e) {
      if (done > 0) return done;
      throw e;
    }
  }
}
