// What every preview1 handler on the sentry side gets, and the conversions they share.

import { E, fail } from '../../abi/errno.js';
import { UTIME_NOW, UTIME_OMIT } from '../../abi/linux-stat.js';
import type { CallArg, CallBuffer } from '../../sentry/wasm/channel.js';
import type { WasmProcessControl } from '../../sentry/wasm/process.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FsContext, ResolveLimits, Stat, Timespec } from '../../vfs/api.js';
import { FstFlags, WasiErrno } from './abi.js';
import { WasiError } from './errno.js';
import type { WasiFds } from './wasi-fds.js';
import { filetypeOfMode } from './wasi-fds.js';

export interface WasiCallContext {
  readonly task: SyscallTask;
  readonly fds: WasiFds;
  readonly buffer: CallBuffer;
  readonly control: WasmProcessControl;
}

/** A sentry-side preview1 handler: returns the WASI errno (failures may also throw). */
export type WasiHandler = (ctx: WasiCallContext, args: readonly CallArg[]) => number | Promise<number>;

export const OK = WasiErrno.SUCCESS;

const BENEATH_THE_FD: ResolveLimits = {
  beneath: true,
  escaped(): never {
    throw new WasiError(WasiErrno.NOTCAPABLE);
  },
};

/**
 * The task's fs context for a path relative to a directory fd: preview1 grants a path
 * only what lies beneath that directory, so an absolute path, a `..` above it or a
 * symlink out of it is ENOTCAPABLE (as wasmtime answers).
 */
export function pathContext(ctx: WasiCallContext): FsContext {
  return { ...ctx.task.fs, limits: BENEATH_THE_FD };
}

/** A u64 file size or offset as the VFS takes it (a number): EINVAL beyond 2^53. */
export function fileOffset(value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) fail(E.EINVAL);
  return Number(value);
}

const nsOf = (t: Timespec): bigint => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);

/** Leaves a filestat in the reply's values, in the order the worker writes them. */
export function putFilestat(buffer: CallBuffer, st: Stat): void {
  const v = buffer.values;
  v[0] = BigInt(st.dev);
  v[1] = BigInt(st.ino);
  v[2] = BigInt(filetypeOfMode(st.mode));
  v[3] = BigInt(st.nlink);
  v[4] = BigInt(st.size);
  v[5] = nsOf(st.atime);
  v[6] = nsOf(st.mtime);
  v[7] = nsOf(st.ctime);
}

/** The utimensat times for a preview1 (atim, mtim, fst_flags) triple; EINVAL for a time and NOW together. */
export function utimesOf(atim: bigint, mtim: bigint, flags: number): { atime: Timespec; mtime: Timespec } {
  const one = (ns: bigint, set: number, now: number): Timespec => {
    if (flags & set && flags & now) fail(E.EINVAL);
    if (flags & now) return { sec: 0, nsec: UTIME_NOW };
    if (flags & set) {
      const t = BigInt.asUintN(64, ns);
      return { sec: Number(t / 1_000_000_000n), nsec: Number(t % 1_000_000_000n) };
    }
    return { sec: 0, nsec: UTIME_OMIT };
  };
  if (flags & ~(FstFlags.ATIM | FstFlags.ATIM_NOW | FstFlags.MTIM | FstFlags.MTIM_NOW)) fail(E.EINVAL);
  return { atime: one(atim, FstFlags.ATIM, FstFlags.ATIM_NOW), mtime: one(mtim, FstFlags.MTIM, FstFlags.MTIM_NOW) };
}

/** Copies bytes into the reply's data area (the worker takes what the call said it may). */
export function putData(buffer: CallBuffer, bytes: Uint8Array): number {
  const n = Math.min(bytes.length, buffer.data.length);
  buffer.data.set(bytes.subarray(0, n));
  return n;
}

