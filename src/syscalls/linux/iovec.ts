// struct iovec arrays for readv/writev and friends.

import { E, fail } from '../../abi/errno.js';
import { MAX_RW_COUNT, UIO_MAXIOV } from '../../abi/linux-fcntl.js';
import type { TaskMemory } from '../../sentry/kernel/syscall.js';

export interface IoSegment {
  base: bigint;
  length: number;
}

const IOVEC_SIZE = 16;

/**
 * Reads `count` iovecs. As the kernel does, the total is clamped to MAX_RW_COUNT (later
 * segments are shortened, not refused); a negative ssize_t total is EINVAL.
 */
export function readIovecs(mem: TaskMemory, addr: bigint, count: number): IoSegment[] {
  if (count < 0 || count > UIO_MAXIOV) fail(E.EINVAL);
  if (count === 0) return [];
  const raw = mem.read(addr, count * IOVEC_SIZE);
  const segments: IoSegment[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = raw.readBigUInt64LE(i * IOVEC_SIZE);
    const len = raw.readBigInt64LE(i * IOVEC_SIZE + 8);
    if (len < 0n) fail(E.EINVAL);
    const room = MAX_RW_COUNT - total;
    const length = len > BigInt(room) ? room : Number(len);
    segments.push({ base, length });
    total += length;
  }
  return segments;
}

export function totalLength(segments: readonly IoSegment[]): number {
  return segments.reduce((sum, s) => sum + s.length, 0);
}

/** Gathers the segments' bytes from the workload (for writes). */
export function gather(mem: TaskMemory, segments: readonly IoSegment[]): Buffer {
  const parts = segments.filter((s) => s.length > 0).map((s) => mem.read(s.base, s.length));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Scatters `data` into the segments in order (for reads). */
export function scatter(mem: TaskMemory, segments: readonly IoSegment[], data: Uint8Array): void {
  let done = 0;
  for (const s of segments) {
    if (done >= data.length) break;
    const n = Math.min(s.length, data.length - done);
    if (n > 0) mem.write(s.base, data.subarray(done, done + n));
    done += n;
  }
}
