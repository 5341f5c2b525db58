// Moving data through pipes without a user buffer (splice, tee, vmsplice), and the
// page-cache hints that have nothing to do in the sentry (readahead, sync_file_range).

import { E, SysError, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { S } from '../../abi/linux-stat.js';
import { retryWhenReady } from '../../sentry/kernel/files/blocking-io.js';
import { fileSizeRoom } from '../../sentry/kernel/file-size-limit.js';
import { Pipe } from '../../sentry/kernel/files/pipe.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { int32, int64, pointer, size, uint32 } from './decode.js';
import { gather, readIovecs, scatter, totalLength } from './iovec.js';
import { readOffset, writeOffset } from './loff.js';
import { openFile } from './task-files.js';

const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const SPLICE_F_MORE = 4;
const SPLICE_F_GIFT = 8;
const SPLICE_FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
const SPLICE_CHUNK = 1 << 16;

function isPipe(file: FileDescription): boolean {
  return file.inode instanceof Pipe;
}

function readableFile(file: FileDescription): FileDescription {
  if (file.accessMode === O.WRONLY) fail(E.EBADF);
  return file;
}

function writableFile(file: FileDescription): FileDescription {
  if (file.accessMode === O.RDONLY || (file.statusFlags & O.APPEND) !== 0) fail(E.EBADF);
  return file;
}

/**
 * Waits as a blocking splice does: until the pipe can be read (or written), unless the
 * call or a file is non-blocking.
 */
function retrying<T>(task: SyscallTask, file: FileDescription, events: number, nonBlocking: boolean, attempt: () => T): T | Promise<T> {
  const once = (): T | undefined => {
    try {
      return attempt();
    } catch (e) {
      const again = e instanceof SysError && e.errno === E.EAGAIN;
      if (!again || nonBlocking || (file.statusFlags & O.NONBLOCK) !== 0) throw e;
      return undefined;
    }
  };
  return once() ?? retryWhenReady(task, file, events, once);
}

async function splice(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const input = readableFile(openFile(task, int32(args[0])));
  const inAddr = pointer(args[1]);
  const out = writableFile(openFile(task, int32(args[2])));
  const outAddr = pointer(args[3]);
  const length = size(args[4]);
  const flags = uint32(args[5]);
  if ((flags & ~SPLICE_FLAGS) !== 0) return -E.EINVAL;
  if (!isPipe(input) && !isPipe(out)) return -E.EINVAL;
  if ((isPipe(input) && inAddr !== 0n) || (isPipe(out) && outAddr !== 0n)) return -E.ESPIPE;
  if (length === 0n) return 0;
  const nonBlocking = (flags & SPLICE_F_NONBLOCK) !== 0;
  const inPosition = inAddr === 0n ? undefined : readOffset(task, inAddr);
  const outPosition = outAddr === 0n ? undefined : readOffset(task, outAddr);
  // Nothing is taken from the input that RLIMIT_FSIZE would not let the output take.
  const chunk = fileSizeRoom(task, out, Number(length < BigInt(SPLICE_CHUNK) ? length : BigInt(SPLICE_CHUNK)), outPosition);
  const buf = Buffer.allocUnsafe(chunk);
  const got = await retrying(task, input, POLL.IN, nonBlocking, () => input.read(buf, inPosition));
  if (got === 0) return 0;
  const put = await retrying(task, out, POLL.OUT, nonBlocking, () => out.write(buf.subarray(0, got), outPosition));
  // What the output did not take goes back where it came from, when that is a file.
  if (put < got && inPosition === undefined && !isPipe(input)) input.seek(put - got, 1);
  if (inAddr !== 0n && inPosition !== undefined) writeOffset(task, inAddr, inPosition + put);
  if (outAddr !== 0n && outPosition !== undefined) writeOffset(task, outAddr, outPosition + put);
  return put;
}

async function tee(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const input = readableFile(openFile(task, int32(args[0])));
  const out = writableFile(openFile(task, int32(args[1])));
  const length = size(args[2]);
  const flags = uint32(args[3]);
  if ((flags & ~SPLICE_FLAGS) !== 0) return -E.EINVAL;
  if (!(input.inode instanceof Pipe) || !isPipe(out) || input.inode === out.inode) return -E.EINVAL;
  if (length === 0n) return 0;
  const pipe = input.inode;
  const nonBlocking = (flags & SPLICE_F_NONBLOCK) !== 0;
  const buf = Buffer.allocUnsafe(Number(length < BigInt(SPLICE_CHUNK) ? length : BigInt(SPLICE_CHUNK)));
  const got = await retrying(task, input, POLL.IN, nonBlocking, () => pipe.peek(buf));
  if (got === 0) return 0;
  return retrying(task, out, POLL.OUT, nonBlocking, () => out.write(buf.subarray(0, got)));
}

async function vmsplice(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const file = openFile(task, int32(args[0]));
  const segments = readIovecs(task.mem, pointer(args[1]), int32(args[2]));
  const flags = uint32(args[3]);
  if ((flags & ~SPLICE_FLAGS) !== 0) return -E.EINVAL;
  if (!isPipe(file)) return -E.EBADF;
  const nonBlocking = (flags & SPLICE_F_NONBLOCK) !== 0;
  const total = totalLength(segments);
  if (total === 0) return 0;
  if (file.accessMode === O.WRONLY) {
    const data = gather(task.mem, segments);
    return retrying(task, file, POLL.OUT, nonBlocking, () => file.write(data));
  }
  const buf = Buffer.allocUnsafe(total);
  const n = await retrying(task, file, POLL.IN, nonBlocking, () => file.read(buf));
  scatter(task.mem, segments, buf.subarray(0, n));
  return n;
}

function readahead(task: SyscallTask, args: SyscallArgs): number {
  const file = openFile(task, int32(args[0]));
  if (file.accessMode === O.WRONLY) return -E.EBADF;
  if ((file.stat().mode & S.IFMT) !== S.IFREG) return -E.EINVAL;
  return 0;
}

const SYNC_FILE_RANGE_FLAGS = 1 | 2 | 4;

function sync_file_range(task: SyscallTask, args: SyscallArgs): number {
  const file = openFile(task, int32(args[0]));
  const offset = int64(args[1]);
  const nbytes = int64(args[2]);
  const flags = uint32(args[3]);
  if ((flags & ~SYNC_FILE_RANGE_FLAGS) !== 0 || offset < 0n || nbytes < 0n) return -E.EINVAL;
  const type = file.stat().mode & S.IFMT;
  if (type !== S.IFREG && type !== S.IFDIR && type !== S.IFLNK && type !== S.IFBLK) return -E.ESPIPE;
  return 0;
}

export const spliceSyscalls = { splice, tee, vmsplice, readahead, sync_file_range } satisfies Record<string, SyscallHandler>;
