// preview1 fd_* calls, answered with the sentry's file descriptions.

import { E, SysError, fail } from '../../abi/errno.js';
import { DT } from '../../abi/linux-dirent.js';
import { O, SEEK } from '../../abi/linux-fcntl.js';
import { readWaiting, writeWaiting } from '../../sentry/kernel/files/blocking-io.js';
import { Advice, DIRENT_HEADER_SIZE, FdFlags, Filetype, Whence } from './abi.js';
import { fileOffset, OK, putData, putFilestat, utimesOf, type WasiHandler } from './call-context.js';
import { Right } from './rights.js';
import { filetypeOf } from './wasi-fds.js';

type Fd = number;

const SEEK_OF_WHENCE: Record<number, number> = { [Whence.SET]: SEEK.SET, [Whence.CUR]: SEEK.CUR, [Whence.END]: SEEK.END };

const FILETYPE_OF_DT: Record<number, number> = {
  [DT.DIR]: Filetype.DIRECTORY,
  [DT.REG]: Filetype.REGULAR_FILE,
  [DT.LNK]: Filetype.SYMBOLIC_LINK,
  [DT.CHR]: Filetype.CHARACTER_DEVICE,
  [DT.BLK]: Filetype.BLOCK_DEVICE,
  [DT.SOCK]: Filetype.SOCKET_STREAM,
};

function fdflagsOf(statusFlags: number): number {
  let flags = 0;
  if (statusFlags & O.APPEND) flags |= FdFlags.APPEND;
  if (statusFlags & O.NONBLOCK) flags |= FdFlags.NONBLOCK;
  if ((statusFlags & O.SYNC) === O.SYNC) flags |= FdFlags.SYNC | FdFlags.RSYNC;
  else if (statusFlags & O.DSYNC) flags |= FdFlags.DSYNC;
  return flags;
}

export const fdCalls: Record<string, WasiHandler> = {
  fd_advise({ fds }, args) {
    const [fd, offset, length, advice] = args as [Fd, bigint, bigint, number];
    const file = fds.file(fd, Right.FD_ADVISE);
    if (offset < 0n || length < 0n || advice < Advice.NORMAL || advice > Advice.NOREUSE) fail(E.EINVAL);
    // Advice changes nothing here; like posix_fadvise it still refuses pipes.
    file.seek(0, SEEK.CUR);
    return OK;
  },

  fd_allocate({ fds }, args) {
    const [fd, offset, length] = args as [Fd, bigint, bigint];
    fds.file(fd, Right.FD_ALLOCATE).allocate(0, fileOffset(offset), fileOffset(length));
    return OK;
  },

  fd_close({ fds }, args) {
    fds.close(args[0] as Fd);
    return OK;
  },

  fd_datasync({ fds }, args) {
    fds.file(args[0] as Fd, Right.FD_DATASYNC).fsync();
    return OK;
  },

  fd_sync({ fds }, args) {
    fds.file(args[0] as Fd, Right.FD_SYNC).fsync();
    return OK;
  },

  fd_fdstat_get({ fds, buffer }, args) {
    const fd = args[0] as Fd;
    const file = fds.file(fd);
    const rights = fds.rightsOf(fd, file);
    buffer.values[0] = BigInt(filetypeOf(file));
    buffer.values[1] = BigInt(fdflagsOf(file.statusFlags));
    buffer.values[2] = rights.base;
    buffer.values[3] = rights.inheriting;
    return OK;
  },

  fd_fdstat_set_flags({ fds }, args) {
    const [fd, flags] = args as [Fd, number];
    const file = fds.file(fd, Right.FD_FDSTAT_SET_FLAGS);
    if (flags & ~(FdFlags.APPEND | FdFlags.DSYNC | FdFlags.NONBLOCK | FdFlags.RSYNC | FdFlags.SYNC)) fail(E.EINVAL);
    // As F_SETFL: only append and non-blocking change, the sync flags are ignored.
    let status = file.statusFlags & ~(O.APPEND | O.NONBLOCK);
    if (flags & FdFlags.APPEND) status |= O.APPEND;
    if (flags & FdFlags.NONBLOCK) status |= O.NONBLOCK;
    file.setStatusFlags(status);
    return OK;
  },

  fd_fdstat_set_rights({ fds }, args) {
    const [fd, base, inheriting] = args as [Fd, bigint, bigint];
    fds.setRights(fd, { base: BigInt.asUintN(64, base), inheriting: BigInt.asUintN(64, inheriting) });
    return OK;
  },

  fd_filestat_get({ fds, buffer }, args) {
    putFilestat(buffer, fds.file(args[0] as Fd, Right.FD_FILESTAT_GET).stat());
    return OK;
  },

  fd_filestat_set_size({ fds }, args) {
    const [fd, size] = args as [Fd, bigint];
    fds.file(fd, Right.FD_FILESTAT_SET_SIZE).truncate(fileOffset(size));
    return OK;
  },

  fd_filestat_set_times({ task, fds }, args) {
    const [fd, atim, mtim, flags] = args as [Fd, bigint, bigint, number];
    const { atime, mtime } = utimesOf(atim, mtim, flags);
    fds.file(fd, Right.FD_FILESTAT_SET_TIMES).utimens(task.fs, atime, mtime);
    return OK;
  },

  async fd_read({ task, fds, buffer }, args) {
    const [fd, length, , continuation] = args as [Fd, number, bigint, number];
    const file = fds.file(fd, Right.FD_READ);
    const into = buffer.data.subarray(0, length);
    buffer.values[0] = BigInt(continuation ? readNow(() => file.read(into)) : await readWaiting(task, file, into));
    return OK;
  },

  async fd_pread({ task, fds, buffer }, args) {
    const [fd, length, position, continuation] = args as [Fd, number, bigint, number];
    const file = fds.file(fd, Right.FD_READ | Right.FD_SEEK);
    const into = buffer.data.subarray(0, length);
    const at = fileOffset(position);
    buffer.values[0] = BigInt(continuation ? readNow(() => file.read(into, at)) : await readWaiting(task, file, into, at));
    return OK;
  },

  async fd_write({ task, fds, buffer }, args) {
    const [fd, length] = args as [Fd, number, bigint];
    const file = fds.file(fd, Right.FD_WRITE);
    buffer.values[0] = BigInt(await writeWaiting(task, file, buffer.data.subarray(0, length)));
    return OK;
  },

  async fd_pwrite({ task, fds, buffer }, args) {
    const [fd, length, position] = args as [Fd, number, bigint];
    const file = fds.file(fd, Right.FD_WRITE | Right.FD_SEEK);
    buffer.values[0] = BigInt(await writeWaiting(task, file, buffer.data.subarray(0, length), fileOffset(position)));
    return OK;
  },

  fd_prestat_get({ fds, buffer }, args) {
    buffer.values[0] = BigInt(fds.preopenName(args[0] as Fd).length);
    return OK;
  },

  fd_prestat_dir_name({ fds, buffer }, args) {
    buffer.values[0] = BigInt(putData(buffer, Buffer.from(fds.preopenName(args[0] as Fd), 'latin1')));
    return OK;
  },

  fd_readdir({ fds, buffer }, args) {
    const [fd, cookie, length] = args as [Fd, bigint, number];
    const file = fds.file(fd, Right.FD_READDIR);
    file.seek(fileOffset(cookie), SEEK.SET);
    const out = Buffer.from(buffer.data.buffer, buffer.data.byteOffset, length);
    let filled = 0;
    let whole = 0;
    let next = cookie;
    file.getdents((entry) => {
      if (filled === length) return false;
      const name = Buffer.from(entry.name, 'latin1');
      const record = Buffer.alloc(DIRENT_HEADER_SIZE + name.length);
      record.writeBigUInt64LE(BigInt(entry.offset), 0);
      record.writeBigUInt64LE(BigInt(entry.ino), 8);
      record.writeUInt32LE(name.length, 16);
      record.writeUInt8(FILETYPE_OF_DT[entry.type] ?? Filetype.UNKNOWN, 20);
      name.copy(record, DIRENT_HEADER_SIZE);
      // preview1 fills the buffer to the end, the last entry cut short, so the caller
      // knows to come back with a bigger buffer or the last whole entry's cookie.
      const room = length - filled;
      filled += record.copy(out, filled, 0, Math.min(record.length, room));
      if (record.length > room) return false;
      whole = filled;
      next = BigInt(entry.offset);
      return true;
    });
    buffer.values[0] = BigInt(filled);
    buffer.values[1] = BigInt(whole);
    buffer.values[2] = next;
    return OK;
  },

  fd_renumber({ fds }, args) {
    const [from, to] = args as [Fd, Fd];
    fds.renumber(from, to);
    return OK;
  },

  fd_seek({ fds, buffer }, args) {
    const [fd, offset, whence] = args as [Fd, bigint, number];
    const seek = SEEK_OF_WHENCE[whence];
    if (seek === undefined) fail(E.EINVAL);
    // Asking where we are is a tell, which needs only FD_TELL.
    const needed = offset === 0n && whence === Whence.CUR ? Right.FD_TELL : Right.FD_SEEK;
    const file = fds.file(fd, needed);
    if (offset < BigInt(Number.MIN_SAFE_INTEGER) || offset > BigInt(Number.MAX_SAFE_INTEGER)) fail(E.EINVAL);
    buffer.values[0] = BigInt(file.seek(Number(offset), seek));
    return OK;
  },

  fd_tell({ fds, buffer }, args) {
    buffer.values[0] = BigInt(fds.file(args[0] as Fd, Right.FD_TELL).seek(0, SEEK.CUR));
    return OK;
  },
};

/** A follow-up chunk of a big read: takes what is there now, never waits. */
function readNow(read: () => number): number {
  try {
    return read();
  } catch (thrown) {
    if (thrown instanceof SysError && thrown.errno === E.EAGAIN) return 0;
    throw thrown;
  }
}
