// Resource counters a ProcessView may also offer. They are not part of the VFS API's
// ProcessView: a sentry that can measure its tasks (for instance from the host's view of
// the task's own process) adds a usage() method, and /proc shows real CPU times and
// memory sizes; without it those fields read 0, as for a kernel thread.

import type { ProcessView } from '../api.js';

export interface ProcessUsage {
  /** CPU time in clock ticks (USER_HZ = 100). */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** Virtual memory size in bytes and resident set in pages. */
  readonly vsizeBytes: number;
  readonly rssPages: number;
  readonly minorFaults: number;
  readonly majorFaults: number;
}

export interface ProcessViewWithUsage extends ProcessView {
  usage(): ProcessUsage;
}

export function usageOf(view: ProcessView): ProcessUsage | undefined {
  const candidate = view as Partial<ProcessViewWithUsage>;
  return typeof candidate.usage === 'function' ? candidate.usage() : undefined;
}
