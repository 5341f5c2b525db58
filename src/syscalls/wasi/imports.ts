// The wasi_snapshot_preview1 import object, run inside the wasm worker. Imports that only
// touch the module itself (args, environ, clocks, random, sched_yield) are answered here;
// everything about fds, paths, polling and the process's life is one synchronous call to
// the sentry (host-calls.ts answers it). This side only moves bytes between guest memory
// and the call buffer; decisions are the sentry's.

import { randomFillSync } from 'node:crypto';
import { DATA_SIZE, type CallArg, type CallClient } from '../../sentry/wasm/channel.js';
import { ClockId, EVENT_SIZE, FDSTAT_SIZE, PRESTAT_SIZE, PreopenType, SUBSCRIPTION_SIZE, WasiErrno } from './abi.js';
import { GuestFault, GuestMemory } from './guest-memory.js';

export interface ImportEnvironment {
  readonly client: CallClient;
  readonly memory: GuestMemory;
  readonly argv: readonly string[];
  readonly envp: readonly string[];
  readonly realtimeOffsetNs: bigint;
  readonly monotonicOffsetNs: bigint;
}

type Import = (...args: never[]) => number;

/** The `wasi_snapshot_preview1` module of the import object. */
export function preview1Imports(env: ImportEnvironment): Record<string, Import> {
  const { client, memory } = env;
  const { values, data } = client.buffer;
  const startedNs = process.hrtime.bigint();
  const call = (op: string, ...args: CallArg[]): number => client.call(op, args);

  const writeFilestat = (ptr: number): void => {
    memory.setU64(ptr, values[0]!); // dev
    memory.setU64(ptr + 8, values[1]!); // ino
    memory.setU8(ptr + 16, Number(values[2]!)); // filetype
    memory.setU64(ptr + 24, values[3]!); // nlink
    memory.setU64(ptr + 32, values[4]!); // size
    memory.setU64(ptr + 40, values[5]!); // atim
    memory.setU64(ptr + 48, values[6]!); // mtim
    memory.setU64(ptr + 56, values[7]!); // ctim
  };

  const stringList = (list: readonly string[]) => list.map((s) => Buffer.from(`${s}\0`, 'latin1'));
  const argvBytes = stringList(env.argv);
  const envBytes = stringList(env.envp);
  const listSizes = (list: Buffer[], countPtr: number, sizePtr: number): number => {
    memory.setU32(countPtr, list.length);
    memory.setU32(sizePtr, list.reduce((sum, b) => sum + b.length, 0));
    return WasiErrno.SUCCESS;
  };
  const listGet = (list: Buffer[], pointersPtr: number, bufPtr: number): number => {
    let at = bufPtr;
    list.forEach((bytes, i) => {
      memory.setU32(pointersPtr + i * 4, at);
      memory.write(at, bytes);
      at += bytes.length;
    });
    return WasiErrno.SUCCESS;
  };

  /** Reads into the iovecs in chunks; later chunks never block (a short read is final). */
  const readInto = (op: 'fd_read' | 'fd_pread', fd: number, iovsPtr: number, iovsLen: number, position: bigint, nreadPtr: number): number => {
    const iovs = memory.iovecs(iovsPtr, iovsLen);
    const wanted = iovs.reduce((sum, iov) => sum + iov.len, 0);
    let done = 0;
    for (;;) {
      const chunk = Math.min(wanted - done, DATA_SIZE);
      const errno = call(op, fd, chunk, position < 0n ? -1n : position + BigInt(done), done > 0 ? 1 : 0);
      if (errno !== WasiErrno.SUCCESS) {
        if (done === 0) return errno;
        break;
      }
      const count = Number(values[0]!);
      scatter(memory, iovs, done, data.subarray(0, count));
      done += count;
      if (count < chunk || done === wanted) break;
    }
    memory.setU32(nreadPtr, done);
    return WasiErrno.SUCCESS;
  };

  const writeFrom = (op: 'fd_write' | 'fd_pwrite', fd: number, iovsPtr: number, iovsLen: number, position: bigint, nwrittenPtr: number): number => {
    const iovs = memory.iovecs(iovsPtr, iovsLen);
    const total = iovs.reduce((sum, iov) => sum + iov.len, 0);
    let done = 0;
    do {
      const chunk = gather(memory, iovs, done, Math.min(total - done, DATA_SIZE), data);
      const errno = call(op, fd, chunk, position < 0n ? -1n : position + BigInt(done));
      if (errno !== WasiErrno.SUCCESS) {
        if (done === 0) return errno;
        break;
      }
      const count = Number(values[0]!);
      done += count;
      if (count < chunk) break;
    } while (done < total);
    memory.setU32(nwrittenPtr, done);
    return WasiErrno.SUCCESS;
  };

  const clockNow = (id: number): bigint | undefined => {
    const host = process.hrtime.bigint();
    switch (id) {
      case ClockId.REALTIME:
        return host + env.realtimeOffsetNs;
      case ClockId.MONOTONIC:
        return host + env.monotonicOffsetNs;
      case ClockId.PROCESS_CPUTIME:
      case ClockId.THREAD_CPUTIME:
        // One thread per process: its CPU time is the time it ran outside sentry calls.
        return host - startedNs - client.blockedNs;
      default:
        return undefined;
    }
  };

  const imports: Record<string, (...args: never[]) => number> = {
    args_sizes_get: (countPtr: number, sizePtr: number) => listSizes(argvBytes, countPtr, sizePtr),
    args_get: (argvPtr: number, bufPtr: number) => listGet(argvBytes, argvPtr, bufPtr),
    environ_sizes_get: (countPtr: number, sizePtr: number) => listSizes(envBytes, countPtr, sizePtr),
    environ_get: (environPtr: number, bufPtr: number) => listGet(envBytes, environPtr, bufPtr),

    clock_res_get: (id: number, resPtr: number) => {
      if (clockNow(id) === undefined) return WasiErrno.INVAL;
      memory.setU64(resPtr, 1n);
      return WasiErrno.SUCCESS;
    },
    clock_time_get: (id: number, _precision: bigint, timePtr: number) => {
      const now = clockNow(id);
      if (now === undefined) return WasiErrno.INVAL;
      memory.setU64(timePtr, now);
      return WasiErrno.SUCCESS;
    },
    random_get: (bufPtr: number, length: number) => {
      randomFillSync(memory.bytes(bufPtr, length));
      return WasiErrno.SUCCESS;
    },
    sched_yield: () => WasiErrno.SUCCESS,

    proc_exit: (code: number) => {
      call('proc_exit', code >>> 0);
      // The sentry terminates this worker; nothing of the module may run after exit.
      for (;;) Atomics.wait(client.buffer.control, 0, Atomics.load(client.buffer.control, 0));
    },
    proc_raise: (signal: number) => call('proc_raise', signal),

    fd_advise: (fd: number, offset: bigint, length: bigint, advice: number) => call('fd_advise', fd, offset, length, advice),
    fd_allocate: (fd: number, offset: bigint, length: bigint) => call('fd_allocate', fd, offset, length),
    fd_close: (fd: number) => call('fd_close', fd),
    fd_datasync: (fd: number) => call('fd_datasync', fd),
    fd_sync: (fd: number) => call('fd_sync', fd),
    fd_fdstat_get: (fd: number, statPtr: number) => {
      memory.bytes(statPtr, FDSTAT_SIZE);
      const errno = call('fd_fdstat_get', fd);
      if (errno !== WasiErrno.SUCCESS) return errno;
      memory.bytes(statPtr, FDSTAT_SIZE).fill(0);
      memory.setU8(statPtr, Number(values[0]!));
      memory.setU16(statPtr + 2, Number(values[1]!));
      memory.setU64(statPtr + 8, values[2]!);
      memory.setU64(statPtr + 16, values[3]!);
      return WasiErrno.SUCCESS;
    },
    fd_fdstat_set_flags: (fd: number, flags: number) => call('fd_fdstat_set_flags', fd, flags),
    fd_fdstat_set_rights: (fd: number, base: bigint, inheriting: bigint) => call('fd_fdstat_set_rights', fd, base, inheriting),
    fd_filestat_get: (fd: number, statPtr: number) => {
      const errno = call('fd_filestat_get', fd);
      if (errno === WasiErrno.SUCCESS) writeFilestat(statPtr);
      return errno;
    },
    fd_filestat_set_size: (fd: number, size: bigint) => call('fd_filestat_set_size', fd, size),
    fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, flags: number) => call('fd_filestat_set_times', fd, atim, mtim, flags),
    fd_pread: (fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number) =>
      offset < 0n ? WasiErrno.INVAL : readInto('fd_pread', fd, iovs, iovsLen, offset, nread),
    fd_read: (fd: number, iovs: number, iovsLen: number, nread: number) => readInto('fd_read', fd, iovs, iovsLen, -1n, nread),
    fd_pwrite: (fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number) =>
      offset < 0n ? WasiErrno.INVAL : writeFrom('fd_pwrite', fd, iovs, iovsLen, offset, nwritten),
    fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => writeFrom('fd_write', fd, iovs, iovsLen, -1n, nwritten),
    fd_prestat_get: (fd: number, prestatPtr: number) => {
      const errno = call('fd_prestat_get', fd);
      if (errno !== WasiErrno.SUCCESS) return errno;
      memory.bytes(prestatPtr, PRESTAT_SIZE).fill(0);
      memory.setU8(prestatPtr, PreopenType.DIR);
      memory.setU32(prestatPtr + 4, Number(values[0]!));
      return WasiErrno.SUCCESS;
    },
    fd_prestat_dir_name: (fd: number, pathPtr: number, pathLen: number) => {
      const errno = call('fd_prestat_dir_name', fd);
      if (errno !== WasiErrno.SUCCESS) return errno;
      const length = Number(values[0]!);
      if (pathLen < length) return WasiErrno.NAMETOOLONG;
      memory.write(pathPtr, data.subarray(0, length));
      return WasiErrno.SUCCESS;
    },
    fd_readdir: (fd: number, bufPtr: number, bufLen: number, cookie: bigint, usedPtr: number) => {
      memory.bytes(bufPtr, bufLen);
      let used = 0;
      let next = cookie;
      for (;;) {
        const room = bufLen - used;
        const chunk = Math.min(room, DATA_SIZE);
        const errno = call('fd_readdir', fd, next, chunk);
        if (errno !== WasiErrno.SUCCESS) return errno;
        // values: bytes filled, bytes of whole entries among them, the cookie after those.
        const filled = Number(values[0]!);
        const last = filled < chunk || chunk === room;
        const keep = last ? filled : Number(values[1]!);
        memory.write(bufPtr + used, data.subarray(0, keep));
        used += keep;
        if (last) break;
        next = values[2]!;
      }
      memory.setU32(usedPtr, used);
      return WasiErrno.SUCCESS;
    },
    fd_renumber: (from: number, to: number) => call('fd_renumber', from, to),
    fd_seek: (fd: number, offset: bigint, whence: number, newOffsetPtr: number) => {
      memory.bytes(newOffsetPtr, 8);
      const errno = call('fd_seek', fd, offset, whence);
      if (errno === WasiErrno.SUCCESS) memory.setU64(newOffsetPtr, values[0]!);
      return errno;
    },
    fd_tell: (fd: number, offsetPtr: number) => {
      const errno = call('fd_tell', fd);
      if (errno === WasiErrno.SUCCESS) memory.setU64(offsetPtr, values[0]!);
      return errno;
    },

    path_create_directory: (fd: number, pathPtr: number, pathLen: number) =>
      call('path_create_directory', fd, memory.byteString(pathPtr, pathLen)),
    path_filestat_get: (fd: number, flags: number, pathPtr: number, pathLen: number, statPtr: number) => {
      const errno = call('path_filestat_get', fd, flags, memory.byteString(pathPtr, pathLen));
      if (errno === WasiErrno.SUCCESS) writeFilestat(statPtr);
      return errno;
    },
    path_filestat_set_times: (fd: number, flags: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, fstFlags: number) =>
      call('path_filestat_set_times', fd, flags, memory.byteString(pathPtr, pathLen), atim, mtim, fstFlags),
    path_link: (oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) =>
      call('path_link', oldFd, oldFlags, memory.byteString(oldPtr, oldLen), newFd, memory.byteString(newPtr, newLen)),
    path_open: (fd: number, dirFlags: number, pathPtr: number, pathLen: number, oflags: number, base: bigint, inheriting: bigint, fdFlags: number, fdPtr: number) => {
      memory.bytes(fdPtr, 4);
      const errno = call('path_open', fd, dirFlags, memory.byteString(pathPtr, pathLen), oflags, base, inheriting, fdFlags);
      if (errno === WasiErrno.SUCCESS) memory.setU32(fdPtr, Number(values[0]!));
      return errno;
    },
    path_readlink: (fd: number, pathPtr: number, pathLen: number, bufPtr: number, bufLen: number, usedPtr: number) => {
      const errno = call('path_readlink', fd, memory.byteString(pathPtr, pathLen));
      if (errno !== WasiErrno.SUCCESS) return errno;
      // A short buffer gets the target's first bytes, as readlink(2) does.
      const used = Math.min(Number(values[0]!), bufLen);
      memory.write(bufPtr, data.subarray(0, used));
      memory.setU32(usedPtr, used);
      return WasiErrno.SUCCESS;
    },
    path_remove_directory: (fd: number, pathPtr: number, pathLen: number) =>
      call('path_remove_directory', fd, memory.byteString(pathPtr, pathLen)),
    path_rename: (fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) =>
      call('path_rename', fd, memory.byteString(oldPtr, oldLen), newFd, memory.byteString(newPtr, newLen)),
    path_symlink: (targetPtr: number, targetLen: number, fd: number, pathPtr: number, pathLen: number) =>
      call('path_symlink', memory.byteString(targetPtr, targetLen), fd, memory.byteString(pathPtr, pathLen)),
    path_unlink_file: (fd: number, pathPtr: number, pathLen: number) =>
      call('path_unlink_file', fd, memory.byteString(pathPtr, pathLen)),

    poll_oneoff: (inPtr: number, outPtr: number, count: number, neventsPtr: number) => {
      if (count === 0) return WasiErrno.INVAL;
      memory.bytes(outPtr, count * EVENT_SIZE);
      memory.bytes(neventsPtr, 4);
      const subscriptions: CallArg[] = [];
      for (let i = 0; i < count; i++) {
        const at = inPtr + i * SUBSCRIPTION_SIZE;
        // userdata, tag, then the union: clock id / fd, timeout, precision, flags.
        subscriptions.push([memory.u64(at), memory.u8(at + 8), memory.u32(at + 16), memory.u64(at + 24), memory.u64(at + 32), memory.u16(at + 40)]);
      }
      const errno = call('poll_oneoff', subscriptions);
      if (errno !== WasiErrno.SUCCESS) return errno;
      const events = Number(values[0]!);
      memory.write(outPtr, data.subarray(0, events * EVENT_SIZE));
      memory.setU32(neventsPtr, events);
      return WasiErrno.SUCCESS;
    },

    sock_accept: (fd: number, flags: number, fdPtr: number) => {
      const errno = call('sock_accept', fd, flags);
      if (errno === WasiErrno.SUCCESS) memory.setU32(fdPtr, Number(values[0]!));
      return errno;
    },
    sock_recv: (fd: number, iovsPtr: number, iovsLen: number, flags: number, lengthPtr: number, roFlagsPtr: number) => {
      const iovs = memory.iovecs(iovsPtr, iovsLen);
      const wanted = Math.min(iovs.reduce((sum, iov) => sum + iov.len, 0), DATA_SIZE);
      const errno = call('sock_recv', fd, wanted, flags);
      if (errno !== WasiErrno.SUCCESS) return errno;
      const count = Number(values[0]!);
      scatter(memory, iovs, 0, data.subarray(0, count));
      memory.setU32(lengthPtr, count);
      memory.setU16(roFlagsPtr, Number(values[1]!));
      return WasiErrno.SUCCESS;
    },
    sock_send: (fd: number, iovsPtr: number, iovsLen: number, flags: number, lengthPtr: number) => {
      const iovs = memory.iovecs(iovsPtr, iovsLen);
      const total = iovs.reduce((sum, iov) => sum + iov.len, 0);
      const chunk = gather(memory, iovs, 0, Math.min(total, DATA_SIZE), data);
      const errno = call('sock_send', fd, chunk, flags);
      if (errno === WasiErrno.SUCCESS) memory.setU32(lengthPtr, Number(values[0]!));
      return errno;
    },
    sock_shutdown: (fd: number, how: number) => call('sock_shutdown', fd, how),
  };

  for (const [name, fn] of Object.entries(imports)) imports[name] = guardFaults(fn);
  return imports;
}

/** Turns a bad guest pointer into FAULT for the one call that passed it. */
function guardFaults(fn: Import): Import {
  return (...args: never[]) => {
    try {
      return fn(...args);
    } catch (thrown) {
      if (thrown instanceof GuestFault) return thrown.errno;
      throw thrown;
    }
  };
}

/** Copies src into the iovecs, starting skip bytes into their concatenation. */
function scatter(memory: GuestMemory, iovs: readonly { ptr: number; len: number }[], skip: number, src: Uint8Array): void {
  let from = 0;
  for (const iov of iovs) {
    if (from === src.length) return;
    if (skip >= iov.len) {
      skip -= iov.len;
      continue;
    }
    const n = Math.min(iov.len - skip, src.length - from);
    memory.write(iov.ptr + skip, src.subarray(from, from + n));
    from += n;
    skip = 0;
  }
}

/** Copies length bytes of the iovecs' concatenation, from skip on, into dst; returns length. */
function gather(memory: GuestMemory, iovs: readonly { ptr: number; len: number }[], skip: number, length: number, dst: Uint8Array): number {
  let to = 0;
  for (const iov of iovs) {
    if (to === length) break;
    if (skip >= iov.len) {
      skip -= iov.len;
      continue;
    }
    const n = Math.min(iov.len - skip, length - to);
    dst.set(memory.bytes(iov.ptr + skip, n), to);
    to += n;
    skip = 0;
  }
  return length;
}
