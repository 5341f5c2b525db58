// File syscalls: open, close, read, write and their positional and vectored variants,
// seeking, sizes and syncing, in-sentry copies (sendfile, copy_file_range), memfd_create,
// and the splice family (splice.ts) exported with them.

import { E, SysError, fail } from '../../abi/errno.js';
import { ACCESS, AT, AT_FDCWD, CLOSE_RANGE, FALLOC, MAX_RW_COUNT, O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import { readWaiting, writeWaiting } from '../../sentry/kernel/files/blocking-io.js';
import { checkFileGrowth, fileSizeRoom, growsPastFileSizeLimit } from '../../sentry/kernel/file-size-limit.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription, FsContext, Location } from '../../vfs/api.js';
import { RESOLVE } from '../../abi/linux-openat2.js';
import { int32, int64, pointer, size, uint32 } from './decode.js';
import { readable, readToMemory, readToSegments, writable, writeFromMemory, writeFromSegments } from './file-io.js';
import { readIovecs } from './iovec.js';
import { readOffset, writeOffset } from './loff.js';
import { isSignalfd, readSignalfd } from './signalfd.js';
import { spliceSyscalls } from './splice.js';
import { checkOpenHow, readOpenHow, resolveContext } from './open-how.js';
import { anyFile, fdLimit, openFile, readPath, startDir } from './task-files.js';

/** The bits of open(2)'s mode argument that a new file's mode takes. */
const OPEN_MODE_BITS = 0o7777;

function clampCount(reg: bigint): number {
  const n = size(reg);
  return n > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : Number(n);
}

/** A file offset argument: negative is EINVAL. */
function offsetArg(reg: bigint): number {
  const offset = int64(reg);
  if (offset < 0n) fail(E.EINVAL);
  return Number(offset);
}

function doOpen(task: SyscallTask, dirfd: number, pathAddr: bigint, flags: number, mode: number): number {
  const path = readPath(task, pathAddr);
  const needsMode = (flags & O.CREAT) !== 0 || (flags & O.TMPFILE) === O.TMPFILE;
  // A 64-bit kernel opens everything O_LARGEFILE; F_GETFL shows it.
  return install(task, task.fs, startDir(task, dirfd, path), path, flags | O.LARGEFILE, needsMode ? mode & OPEN_MODE_BITS : 0);
}

function install(task: SyscallTask, ctx: FsContext, dir: Location | undefined, path: string, flags: number, mode: number): number {
  const file = task.kernel.vfs.open(ctx, dir, path, flags & ~O.CLOEXEC, mode);
  return task.fds.install(file, { cloexec: (flags & O.CLOEXEC) !== 0, limit: fdLimit(task) });
}

/** openat2: openat with every flag checked, and RESOLVE_* limits on the resolution. */
function openat2(task: SyscallTask, args: SyscallArgs): number {
  const dirfd = int32(args[0]);
  const how = checkOpenHow(readOpenHow(task.mem, pointer(args[2]), size(args[3])));
  const path = readPath(task, pointer(args[1]));
  // With RESOLVE_IN_ROOT an absolute path starts at dirfd too.
  const dir = how.resolve & RESOLVE.IN_ROOT && dirfd !== AT_FDCWD ? anyFile(task, dirfd).location : startDir(task, dirfd, path);
  return install(task, resolveContext(task.fs, dir, how.resolve), dir, path, how.flags, how.mode);
}

function openat(task: SyscallTask, args: SyscallArgs): number {
  return doOpen(task, int32(args[0]), pointer(args[1]), uint32(args[2]), uint32(args[3]));
}

function open(task: SyscallTask, args: SyscallArgs): number {
  return doOpen(task, AT_FDCWD, pointer(args[0]), uint32(args[1]), uint32(args[2]));
}

function creat(task: SyscallTask, args: SyscallArgs): number {
  return doOpen(task, AT_FDCWD, pointer(args[0]), O.CREAT | O.WRONLY | O.TRUNC, uint32(args[1]));
}

function close(task: SyscallTask, args: SyscallArgs): number {
  task.fds.close(int32(args[0]));
  return 0;
}

function close_range(task: SyscallTask, args: SyscallArgs): number {
  const first = uint32(args[0]);
  const last = uint32(args[1]);
  const flags = uint32(args[2]);
  if ((flags & ~(CLOSE_RANGE.CLOEXEC | CLOSE_RANGE.UNSHARE)) !== 0 || first > last) return -E.EINVAL;
  // CLOSE_RANGE_UNSHARE asks for a private table first; the range is then applied to it.
  // Tables are private unless CLONE_FILES shared them, the rare case left as it is.
  if (flags & CLOSE_RANGE.CLOEXEC) task.fds.setCloexecRange(first, last);
  else task.fds.closeRange(first, last);
  return 0;
}

function read(task: SyscallTask, args: SyscallArgs): ReturnType<SyscallHandler> {
  const file = readable(task.fds.get(int32(args[0])));
  const count = clampCount(args[2]);
  if (isSignalfd(file)) return readSignalfd(task, file, pointer(args[1]), count);
  if (count === 0) return 0;
  return readToMemory(task, file, pointer(args[1]), count);
}

function write(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const file = writable(task.fds.get(int32(args[0])));
  const count = clampCount(args[2]);
  if (count === 0) return 0;
  return writeFromMemory(task, file, pointer(args[1]), count);
}

function pread64(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const file = readable(task.fds.get(int32(args[0])));
  const count = clampCount(args[2]);
  const position = offsetArg(args[3]);
  if (count === 0) return 0;
  return readToMemory(task, file, pointer(args[1]), count, position);
}

function pwrite64(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const file = writable(task.fds.get(int32(args[0])));
  const count = clampCount(args[2]);
  const position = offsetArg(args[3]);
  if (count === 0) return 0;
  return writeFromMemory(task, file, pointer(args[1]), count, position);
}

function vectoredRead(task: SyscallTask, fd: number, iovAddr: bigint, iovCount: number, position?: number): number | Promise<number> {
  const file = readable(task.fds.get(fd));
  return readToSegments(task, file, readIovecs(task.mem, iovAddr, iovCount), position);
}

function vectoredWrite(task: SyscallTask, fd: number, iovAddr: bigint, iovCount: number, position?: number): number | Promise<number> {
  const file = writable(task.fds.get(fd));
  return writeFromSegments(task, file, readIovecs(task.mem, iovAddr, iovCount), position);
}

function readv(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return vectoredRead(task, int32(args[0]), pointer(args[1]), int32(args[2]));
}

function writev(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return vectoredWrite(task, int32(args[0]), pointer(args[1]), int32(args[2]));
}

function preadv(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return vectoredRead(task, int32(args[0]), pointer(args[1]), int32(args[2]), offsetArg(args[3]));
}

function pwritev(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return vectoredWrite(task, int32(args[0]), pointer(args[1]), int32(args[2]), offsetArg(args[3]));
}

/** RWF_HIPRI, RWF_DSYNC, RWF_SYNC: hints the sentry's files satisfy anyway. */
const RWF_HINTS = 0x1 | 0x2 | 0x4;

/** preadv2/pwritev2: offset -1 means the file's own offset, as read/write use it. */
function v2Position(reg: bigint): number | undefined {
  const offset = int64(reg);
  if (offset === -1n) return undefined;
  if (offset < 0n) fail(E.EINVAL);
  return Number(offset);
}

function preadv2(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  if ((uint32(args[5]) & ~RWF_HINTS) !== 0) return -E.EOPNOTSUPP;
  return vectoredRead(task, int32(args[0]), pointer(args[1]), int32(args[2]), v2Position(args[3]));
}

function pwritev2(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  if ((uint32(args[5]) & ~RWF_HINTS) !== 0) return -E.EOPNOTSUPP;
  return vectoredWrite(task, int32(args[0]), pointer(args[1]), int32(args[2]), v2Position(args[3]));
}

function lseek(task: SyscallTask, args: SyscallArgs): number {
  const file = task.fds.get(int32(args[0]));
  if (file.isPath) return -E.EBADF;
  return file.seek(Number(int64(args[1])), uint32(args[2]));
}

function truncate(task: SyscallTask, args: SyscallArgs): number {
  const path = readPath(task, pointer(args[0]));
  const length = int64(args[1]);
  if (length < 0n) return -E.EINVAL;
  const vfs = task.kernel.vfs;
  const st = vfs.stat(task.fs, undefined, path, 0);
  if ((st.mode & S.IFMT) === S.IFREG && growsPastFileSizeLimit(task, st.size, Number(length))) {
    // What forbids the truncate at all comes first, as in Linux, then RLIMIT_FSIZE.
    vfs.access(task.fs, undefined, path, ACCESS.W_OK, AT.EACCESS);
    checkFileGrowth(task, st.size, Number(length));
  }
  vfs.truncate(task.fs, undefined, path, Number(length));
  return 0;
}

function ftruncate(task: SyscallTask, args: SyscallArgs): number {
  const file = openFile(task, int32(args[0]));
  const length = int64(args[1]);
  if (length < 0n) return -E.EINVAL;
  if (file.accessMode === O.RDONLY) return -E.EINVAL;
  const st = file.stat();
  if ((st.mode & S.IFMT) === S.IFREG) checkFileGrowth(task, st.size, Number(length));
  file.truncate(Number(length));
  return 0;
}

function fsync(task: SyscallTask, args: SyscallArgs): number {
  openFile(task, int32(args[0])).fsync();
  return 0;
}

function sync(): number {
  return 0;
}

function syncfs(task: SyscallTask, args: SyscallArgs): number {
  openFile(task, int32(args[0]));
  return 0;
}

const FALLOC_SUPPORTED = FALLOC.KEEP_SIZE | FALLOC.PUNCH_HOLE | FALLOC.COLLAPSE_RANGE | FALLOC.ZERO_RANGE | FALLOC.INSERT_RANGE | FALLOC.UNSHARE_RANGE;

function fallocate(task: SyscallTask, args: SyscallArgs): number {
  const file = openFile(task, int32(args[0]));
  const mode = int32(args[1]);
  const offset = int64(args[2]);
  const length = int64(args[3]);
  if (offset < 0n || length <= 0n) return -E.EINVAL;
  if (mode & ~FALLOC_SUPPORTED) return -E.EOPNOTSUPP;
  if ((mode & FALLOC.PUNCH_HOLE) && !(mode & FALLOC.KEEP_SIZE)) return -E.EOPNOTSUPP;
  if (file.accessMode === O.RDONLY) return -E.EBADF;
  const type = file.inode.stat().mode & S.IFMT;
  if (type === S.IFDIR) return -E.EISDIR;
  if (type === S.IFIFO) return -E.ESPIPE;
  if (type !== S.IFREG) return -E.ENODEV;
  if (!(mode & FALLOC.KEEP_SIZE)) checkFileGrowth(task, file.stat().size, Number(offset + length));
  file.allocate(mode, Number(offset), Number(length));
  return 0;
}

const POSIX_FADV_MAX = 5;

function fadvise64(task: SyscallTask, args: SyscallArgs): number {
  const file = openFile(task, int32(args[0]));
  const advice = int32(args[3]);
  if ((file.inode.stat().mode & S.IFMT) === S.IFIFO) return -E.ESPIPE;
  if (advice < 0 || advice > POSIX_FADV_MAX) return -E.EINVAL;
  return 0;
}

const COPY_CHUNK = 1 << 16;

/**
 * Copies up to count bytes from `from` to `to` through the sentry. inPosition/outPosition
 * undefined: the files' own offsets. Stops at end of input or a short write.
 */
async function copyBetween(task: SyscallTask, from: FileDescription, to: FileDescription, wanted: number, inPosition?: number, outPosition?: number): Promise<number> {
  // Nothing is taken from the input that RLIMIT_FSIZE would not let the output take.
  const count = fileSizeRoom(task, to, wanted, outPosition);
  const buf = Buffer.allocUnsafe(Math.min(count, COPY_CHUNK));
  let done = 0;
  while (done < count) {
    const want = Math.min(buf.length, count - done);
    const got = done === 0
      ? await readWaiting(task, from, buf.subarray(0, want), inPosition)
      : readWithoutWaiting(from, buf.subarray(0, want), inPosition === undefined ? undefined : inPosition + done);
    if (got === 0) break;
    const put = await writeWaiting(task, to, buf.subarray(0, got), outPosition === undefined ? undefined : outPosition + done);
    done += put;
    // A short write leaves bytes read but not written: give them back to a seekable input.
    if (put < got) {
      if (inPosition === undefined) from.seek(put - got, 1);
      break;
    }
    if (got < want) break;
  }
  return done;
}

/** After the first chunk, a copy returns what it has rather than wait for more input. */
function readWithoutWaiting(file: FileDescription, buf: Uint8Array, position?: number): number {
  try {
    return file.read(buf, position);
  } catch (e) {
    // What was copied is the answer; the error (EAGAIN or worse) waits for the next call.
    if (e instanceof SysError) return 0;
    throw e;
  }
}

async function sendfile(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const out = writable(task.fds.get(int32(args[0])));
  const input = readable(task.fds.get(int32(args[1])));
  const offsetAddr = pointer(args[2]);
  const count = clampCount(args[3]);
  if ((out.statusFlags & O.APPEND) !== 0) return -E.EINVAL;
  if ((input.inode.stat().mode & S.IFMT) === S.IFDIR) return -E.EINVAL;
  if (offsetAddr === 0n) return copyBetween(task, input, out, count);
  const offset = task.mem.read(offsetAddr, 8).readBigInt64LE();
  if (offset < 0n) return -E.EINVAL;
  const n = await copyBetween(task, input, out, count, Number(offset));
  const updated = Buffer.alloc(8);
  updated.writeBigInt64LE(offset + BigInt(n));
  task.mem.write(offsetAddr, updated);
  return n;
}

async function copy_file_range(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const input = readable(task.fds.get(int32(args[0])));
  const inAddr = pointer(args[1]);
  const out = writable(task.fds.get(int32(args[2])));
  const outAddr = pointer(args[3]);
  const count = clampCount(args[4]);
  if (uint32(args[5]) !== 0) return -E.EINVAL;
  const inType = input.inode.stat().mode & S.IFMT;
  const outType = out.inode.stat().mode & S.IFMT;
  if (inType === S.IFDIR || outType === S.IFDIR) return -E.EISDIR;
  if (inType !== S.IFREG || outType !== S.IFREG) return -E.EINVAL;
  if ((out.statusFlags & O.APPEND) !== 0) return -E.EBADF;
  const inOffset = inAddr === 0n ? undefined : readOffset(task, inAddr);
  const outOffset = outAddr === 0n ? undefined : readOffset(task, outAddr);
  if (input.inode === out.inode && rangesOverlap(input, out, inOffset, outOffset, count)) return -E.EINVAL;
  const n = await copyBetween(task, input, out, count, inOffset, outOffset);
  if (inOffset !== undefined) writeOffset(task, inAddr, inOffset + n);
  if (outOffset !== undefined) writeOffset(task, outAddr, outOffset + n);
  return n;
}

function rangesOverlap(input: FileDescription, out: FileDescription, inOffset: number | undefined, outOffset: number | undefined, count: number): boolean {
  const a = inOffset ?? input.offset;
  const b = outOffset ?? out.offset;
  return a < b + count && b < a + count;
}

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const MFD_NOEXEC_SEAL = 0x8;
const MFD_EXEC = 0x10;
/** NAME_MAX less the "memfd:" prefix. */
const MFD_NAME_MAX = 249;

function memfd_create(task: SyscallTask, args: SyscallArgs): number {
  const name = readPath(task, pointer(args[0]), true);
  const flags = uint32(args[1]);
  // MFD_HUGETLB and its page sizes: there are no huge pages behind a sandbox's memfd.
  if ((flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)) !== 0) return -E.EINVAL;
  if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC)) return -E.EINVAL;
  if (name.length > MFD_NAME_MAX) return -E.EINVAL;
  const file = task.kernel.vfs.memfd(task.fs, name, 0);
  return task.fds.install(file, { cloexec: (flags & MFD_CLOEXEC) !== 0, limit: fdLimit(task) });
}

export const fileSyscalls = {
  ...spliceSyscalls,
  memfd_create,
  read,
  write,
  open,
  openat,
  openat2,
  creat,
  close,
  close_range,
  pread64,
  pwrite64,
  readv,
  writev,
  preadv,
  pwritev,
  preadv2,
  pwritev2,
  lseek,
  truncate,
  ftruncate,
  fsync,
  fdatasync: fsync,
  sync,
  syncfs,
  fallocate,
  fadvise64,
  sendfile,
  copy_file_range,
} satisfies Record<string, SyscallHandler>;
