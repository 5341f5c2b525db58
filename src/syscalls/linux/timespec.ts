// struct timespec (two int64s: seconds, nanoseconds) as the time syscalls read and write
// it, carried inside the sentry as a count of nanoseconds.

import { E, fail } from '../../abi/errno.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';

export const NS_PER_SEC = 1_000_000_000n;
export const TIMESPEC_SIZE = 16;

/** The timespec at b[offset]; EINVAL for a negative or non-normalised one, as the kernel's timespec64_valid. */
export function decodeTimespec(b: Buffer, offset: number): bigint {
  const sec = b.readBigInt64LE(offset);
  const nsec = b.readBigInt64LE(offset + 8);
  if (sec < 0n || nsec < 0n || nsec >= NS_PER_SEC) fail(E.EINVAL);
  return sec * NS_PER_SEC + nsec;
}

export function encodeTimespec(b: Buffer, offset: number, ns: bigint): void {
  b.writeBigInt64LE(ns / NS_PER_SEC, offset);
  b.writeBigInt64LE(ns % NS_PER_SEC, offset + 8);
}

export function readTimespec(task: SyscallTask, addr: bigint): bigint {
  return decodeTimespec(task.mem.read(addr, TIMESPEC_SIZE), 0);
}

export function writeTimespec(task: SyscallTask, addr: bigint, ns: bigint): void {
  const b = Buffer.alloc(TIMESPEC_SIZE);
  encodeTimespec(b, 0, ns);
  task.mem.write(addr, b);
}
