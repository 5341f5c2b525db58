// Wall-clock timestamps for inode times.

import type { Timespec } from './api.js';

export function now(): Timespec {
  const ns = process.hrtime.bigint() + clockOffsetNs;
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

// hrtime is monotonic; anchor it once to the wall clock so times read as dates.
const clockOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function fromMs(ms: number): Timespec {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}
