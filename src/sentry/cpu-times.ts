// CPU time of the sandbox's tasks. Their own time is the host kernel's (each task is a
// host thread), read from /proc; what Linux accounts to a parent when it reaps a child
// (RUSAGE_CHILDREN, times' cutime, wait4's rusage) the sentry adds up itself, because the
// host reaps every task to the sentry, never to the sandboxed parent.

import { readFileSync } from 'node:fs';

/** CPU time in clock ticks (USER_HZ = 100) and the peak resident set in KiB. */
export interface CpuTimes {
  utimeTicks: number;
  stimeTicks: number;
  maxRssKb: number;
}

export function zeroTimes(): CpuTimes {
  return { utimeTicks: 0, stimeTicks: 0, maxRssKb: 0 };
}

/** Adds more to into (peak memory is the larger one, as Linux keeps ru_maxrss). */
export function addTimes(into: CpuTimes, more: CpuTimes): void {
  into.utimeTicks += more.utimeTicks;
  into.stimeTicks += more.stimeTicks;
  into.maxRssKb = Math.max(into.maxRssKb, more.maxRssKb);
}

/** The counters /proc/PID/stat gives (fields 10-24), for a process or one of its threads. */
export interface HostStat {
  minorFaults: number;
  majorFaults: number;
  utimeTicks: number;
  stimeTicks: number;
  vsizeBytes: number;
  rssPages: number;
}

/** /proc/hostPid/stat, or /proc/hostPid/task/hostTid/stat for one thread; undefined once gone. */
export function readHostStat(hostPid: number, hostTid?: number): HostStat | undefined {
  let text: string;
  try {
    text = readFileSync(hostTid === undefined ? `/proc/${hostPid}/stat` : `/proc/${hostPid}/task/${hostTid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The comm in parentheses may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(fields[n - 3] ?? 0);
  return {
    minorFaults: field(10),
    majorFaults: field(12),
    utimeTicks: field(14),
    stimeTicks: field(15),
    vsizeBytes: field(23),
    rssPages: field(24),
  };
}

/** The peak resident set (VmHWM) of a host process in KiB, 0 once gone. */
export function readHostPeakRssKb(hostPid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${hostPid}/status`, 'latin1'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}
