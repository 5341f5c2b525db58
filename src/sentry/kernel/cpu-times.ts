// CPU time of the sandbox's tasks. Their own time is the host kernel's (each task is a
// host thread), read from /proc; what Linux accounts to a parent when it reaps a child
// (RUSAGE_CHILDREN, times' cutime, wait4's rusage) the sentry adds up itself, because the
// host reaps every task to the sentry, never to the sandboxed parent.

import { readHostProc, statusField } from '../platform/host/host-proc.js';

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
  const text = readHostProc(hostTid === undefined ? `${hostPid}/stat` : `${hostPid}/task/${hostTid}/stat`);
  if (text === undefined) return undefined;
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
  const status = readHostProc(`${hostPid}/status`);
  return status === undefined ? 0 : parseInt(statusField(status, 'VmHWM') ?? '0', 10);
}
