// struct rusage and struct tms as the sentry writes them from the CPU time it accounts.

import type { CpuTimes } from '../../sentry/kernel/cpu-times.js';

export const RUSAGE_SIZE = 144;
const USEC_PER_TICK = 10_000n;

/** struct rusage: ru_utime, ru_stime (struct timeval) and ru_maxrss; the other counters 0. */
export function rusageBytes(times: CpuTimes): Buffer {
  const buf = Buffer.alloc(RUSAGE_SIZE);
  writeTimeval(buf, 0, times.utimeTicks);
  writeTimeval(buf, 16, times.stimeTicks);
  buf.writeBigInt64LE(BigInt(times.maxRssKb), 32);
  return buf;
}

function writeTimeval(buf: Buffer, at: number, ticks: number): void {
  const usec = BigInt(ticks) * USEC_PER_TICK;
  buf.writeBigInt64LE(usec / 1_000_000n, at);
  buf.writeBigInt64LE(usec % 1_000_000n, at + 8);
}

/** struct tms: the caller's and its reaped children's user and system time, in clock ticks. */
export function tmsBytes(own: CpuTimes, children: CpuTimes): Buffer {
  const buf = Buffer.alloc(32);
  [own.utimeTicks, own.stimeTicks, children.utimeTicks, children.stimeTicks].forEach((ticks, i) => buf.writeBigInt64LE(BigInt(ticks), i * 8));
  return buf;
}
