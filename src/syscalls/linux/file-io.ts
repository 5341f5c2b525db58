// Moving bytes between a file and workload memory, in bounded chunks so a huge count
// never means a huge sentry buffer.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import { andThen, readWaiting, writeWaiting } from '../../sentry/kernel/files/blocking-io.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';
import { socketOf } from '../../sentry/kernel/socket/socket-file.js';
import type { FileDescription } from '../../vfs/api.js';
import { gather, scatter, totalLength, type IoSegment } from './iovec.js';
import { readSocket, writeSocket } from './socket.js';

const CHUNK = 1 << 20;

/** A description open for reading: EBADF for O_WRONLY or O_PATH. */
export function readable(file: FileDescription): FileDescription {
  if (file.isPath || file.accessMode === O.WRONLY) fail(E.EBADF);
  return file;
}

/** A description open for writing: EBADF for O_RDONLY or O_PATH. */
export function writable(file: FileDescription): FileDescription {
  if (file.isPath || file.accessMode === O.RDONLY) fail(E.EBADF);
  return file;
}

export function isRegular(file: FileDescription): boolean {
  return (file.inode.stat().mode & S.IFMT) === S.IFREG;
}

/**
 * read/pread: reads up to count bytes into addr. A regular file is read chunk by chunk
 * until count or end of file; anything else gets one read (what the file has now).
 */
export function readToMemory(task: SyscallTask, file: FileDescription, addr: bigint, count: number, position?: number): number | Promise<number> {
  // A socket's bytes go straight to the workload, with no buffer of the sentry's between.
  const socket = position === undefined ? socketOf(file) : undefined;
  if (socket) return readSocket(task, file, socket, addr, count);
  if (count <= CHUNK || !isRegular(file)) {
    const buf = Buffer.allocUnsafe(Math.min(count, CHUNK));
    return andThen(readWaiting(task, file, buf, position), (n) => {
      if (n > 0) task.mem.write(addr, buf.subarray(0, n));
      return n;
    });
  }
  const buf = Buffer.allocUnsafe(CHUNK);
  let done = 0;
  while (done < count) {
    const want = Math.min(CHUNK, count - done);
    const n = file.read(buf.subarray(0, want), position === undefined ? undefined : position + done);
    if (n > 0) task.mem.write(addr + BigInt(done), buf.subarray(0, n));
    done += n;
    if (n < want) break;
  }
  return done;
}

/** write/pwrite: writes count bytes from addr (done of them already), chunk by chunk for big counts. */
export function writeFromMemory(task: SyscallTask, file: FileDescription, addr: bigint, count: number, position?: number, done = 0): number | Promise<number> {
  const socket = position === undefined ? socketOf(file) : undefined;
  if (socket) return writeSocket(task, file, socket, addr, count);
  const want = Math.min(CHUNK, count - done);
  const data = task.mem.read(addr + BigInt(done), want);
  return andThen(writeWaiting(task, file, data, position === undefined ? undefined : position + done), (n) => {
    const total = done + n;
    if (n < want || total >= count) return total;
    return writeFromMemory(task, file, addr, count, position, total);
  });
}

/** readv/preadv: one read of what the segments hold in all, scattered into them. */
export function readToSegments(task: SyscallTask, file: FileDescription, segments: readonly IoSegment[], position?: number): number | Promise<number> {
  const total = totalLength(segments);
  if (total === 0) return 0;
  const buf = Buffer.allocUnsafe(total);
  return andThen(readWaiting(task, file, buf, position), (n) => {
    scatter(task.mem, segments, buf.subarray(0, n));
    return n;
  });
}

/** writev/pwritev: the segments gathered, written in one write. */
export function writeFromSegments(task: SyscallTask, file: FileDescription, segments: readonly IoSegment[], position?: number): number | Promise<number> {
  if (totalLength(segments) === 0) return 0;
  return writeWaiting(task, file, gather(task.mem, segments), position);
}
