// What a process has locked with mlock, mlock2, mlockall and MAP_LOCKED, as gVisor's mm
// keeps it: advisory. Locked host memory is host memory nobody can reclaim, and a root
// tssc's host process has CAP_IPC_LOCK: so the sentry checks each lock against the
// sandbox's RLIMIT_MEMLOCK and CAP_IPC_LOCK, records it, and never locks a host page.
// The host kernel runs munmap and mremap without the sentry, so what is no longer mapped
// is dropped from the record whenever it is read.

import { hostMappings, type HostMapping } from '../platform/host/host-proc.js';
import type { MemoryLocks } from './syscall.js';

interface Range {
  start: bigint;
  end: bigint;
}

/** The gate page every x86-64 process shows in its maps; no mapping of its own. */
const VSYSCALL = '[vsyscall]';

export class LockedMemory implements MemoryLocks {
  private ranges: Range[] = [];
  lockFuture = false;

  constructor(private readonly hostPid: () => number) {}

  lockedBytes(): bigint {
    return total(this.current());
  }

  lockedWithin(start: bigint, end: bigint): bigint {
    return total(intersect(this.current(), [{ start, end }]));
  }

  isMapped(start: bigint, end: bigint): boolean {
    let next = start;
    for (const m of this.mappings()) {
      if (m.end <= next) continue;
      if (m.start > next) return false;
      next = m.end;
      if (next >= end) return true;
    }
    return next >= end;
  }

  mappedBytes(): bigint {
    return total(this.mappings());
  }

  lock(start: bigint, end: bigint): void {
    this.ranges = union(this.ranges, [{ start, end }]);
  }

  unlock(start: bigint, end: bigint): void {
    this.ranges = subtract(this.ranges, { start, end });
  }

  lockAllMapped(): void {
    this.ranges = union([], this.mappings());
  }

  unlockAll(): void {
    this.ranges = [];
    this.lockFuture = false;
  }

  /** The recorded ranges, less what the host no longer maps. */
  private current(): Range[] {
    this.ranges = intersect(this.ranges, this.mappings());
    return this.ranges;
  }

  private mappings(): HostMapping[] {
    return (hostMappings(this.hostPid()) ?? []).filter((m) => m.name !== VSYSCALL);
  }
}

function total(ranges: readonly Range[]): bigint {
  return ranges.reduce((sum, r) => sum + (r.end - r.start), 0n);
}

/** Sorted, merged. */
function union(a: readonly Range[], b: readonly Range[]): Range[] {
  const all = [...a, ...b].map((r) => ({ start: r.start, end: r.end })).sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const out: Range[] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = r.end > last.end ? r.end : last.end;
    else out.push(r);
  }
  return out;
}

function intersect(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const x of a) {
    for (const y of b) {
      const start = x.start > y.start ? x.start : y.start;
      const end = x.end < y.end ? x.end : y.end;
      if (start < end) out.push({ start, end });
    }
  }
  return union([], out);
}

function subtract(a: readonly Range[], cut: Range): Range[] {
  const out: Range[] = [];
  for (const r of a) {
    if (r.end <= cut.start || r.start >= cut.end) out.push(r);
    else {
      if (r.start < cut.start) out.push({ start: r.start, end: cut.start });
      if (r.end > cut.end) out.push({ start: cut.end, end: r.end });
    }
  }
  return out;
}
