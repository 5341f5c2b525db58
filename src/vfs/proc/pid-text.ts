// The text of /proc/PID/{stat,status,statm} in the kernel's formats, which ps (procps and
// busybox), top and Python's readers parse field by field.

import type { ProcessView } from '../api.js';
import { mayInspect, readerContext, terminalOf, type ProcDeps } from './deps.js';

const PAGE_KB = 4;

const STATE_NAMES: Record<string, string> = {
  R: 'R (running)',
  S: 'S (sleeping)',
  D: 'D (disk sleep)',
  T: 'T (stopped)',
  t: 't (tracing stop)',
  X: 'X (dead)',
  Z: 'Z (zombie)',
};

/** The 52 fields of /proc/PID/stat (tid is the task shown: the pid for the process itself). */
/** Thread tid's state letter (a process's directory shows its leader's). */
function stateOf(view: ProcessView, tid: number): string {
  return view.threadState?.(tid) ?? view.state;
}

export function statText(deps: ProcDeps, view: ProcessView, tid: number): string {
  const { ttyNr, tpgid } = terminalOf(deps, view.sid);
  const usage = view.usage?.();
  // Linux shows where a process's memory lies only to a reader that may inspect it.
  const layout = mayInspect(readerContext(deps), view) ? view.dataLayout : undefined;
  const fields: (string | number | bigint)[] = [
    tid,
    `(${view.comm})`,
    stateOf(view, tid),
    view.ppid,
    view.pgid,
    view.sid,
    ttyNr,
    tpgid,
    0, // flags
    usage?.minorFaults ?? 0,
    0, // cminflt
    usage?.majorFaults ?? 0,
    0, // cmajflt
    usage?.utimeTicks ?? 0,
    usage?.stimeTicks ?? 0,
    0, // cutime
    0, // cstime
    20, // priority
    0, // nice
    view.tids.length,
    0, // itrealvalue
    view.startTicks,
    usage?.vsizeBytes ?? 0,
    usage?.rssPages ?? 0,
    '18446744073709551615', // rsslim
    0, 0, 0, 0, 0, // startcode endcode startstack kstkesp kstkeip
    0, 0, 0, 0, // signal blocked sigignore sigcatch
    0, 0, 0, // wchan nswap cnswap
    17, // exit_signal: SIGCHLD
    0, 0, 0, // processor rt_priority policy
    0, 0, 0, // delayacct_blkio_ticks guest_time cguest_time
    layout?.startData ?? 0,
    layout?.endData ?? 0,
    layout?.startBrk ?? 0,
    0, 0, 0, 0, // arg_start arg_end env_start env_end
    0, // exit_code
  ];
  return `${fields.join(' ')}\n`;
}

function hex16(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

export function statusText(deps: ProcDeps, view: ProcessView, tid: number): string {
  const creds = view.fsContext.creds;
  const id = view.identity;
  const userNs = view.userNamespace?.();
  const shown = (kind: 'uid' | 'gid', value: number): number => userNs?.shownId(kind, value) ?? value;
  const cpus = deps.machine.cpus;
  const cpuMask = ((1n << BigInt(cpus)) - 1n).toString(16);
  const lines: [string, string | number][] = [
    ['Name', view.comm],
    ['Umask', view.fsContext.umask.toString(8).padStart(4, '0')],
    ['State', STATE_NAMES[stateOf(view, tid)] ?? stateOf(view, tid)],
    ['Tgid', view.pid],
    ['Ngid', 0],
    ['Pid', tid],
    ['PPid', view.ppid],
    ['TracerPid', view.tracerPid?.(tid) ?? 0],
    // The ids as the reader's user namespace shows them.
    ['Uid', [view.uid, view.euid, id?.suid ?? view.euid, creds.uid].map((u) => shown('uid', u)).join('\t')],
    ['Gid', [view.gid, view.egid, id?.sgid ?? view.egid, creds.gid].map((g) => shown('gid', g)).join('\t')],
    ['FDSize', Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, ...view.fds().keys()) + 1)))],
    // Linux ends the list with a space, even an empty one.
    ['Groups', `${creds.groups.map((g) => shown('gid', g)).join(' ')} `],
    ...namespaceLines(view, tid),
    ...memoryLines(view),
    ['Threads', view.tids.length],
    ['SigQ', '0/63413'],
    ['SigPnd', hex16(0n)],
    ['ShdPnd', hex16(0n)],
    ['SigBlk', hex16(0n)],
    ['SigIgn', hex16(0n)],
    ['SigCgt', hex16(0n)],
    ['CapInh', hex16(id?.inheritable ?? 0n)],
    ['CapPrm', hex16(id?.permitted ?? creds.caps)],
    ['CapEff', hex16(id?.effective ?? creds.caps)],
    ['CapBnd', hex16(id?.bounding ?? creds.caps)],
    ['CapAmb', hex16(id?.ambient ?? 0n)],
    ['NoNewPrivs', id?.noNewPrivs ? 1 : 0],
    ['Seccomp', 0],
    ['Seccomp_filters', 0],
    ['Cpus_allowed', cpuMask],
    ['Cpus_allowed_list', cpus === 1 ? '0' : `0-${cpus - 1}`],
    ['Mems_allowed', '1'],
    ['Mems_allowed_list', '0'],
    ['voluntary_ctxt_switches', 0],
    ['nonvoluntary_ctxt_switches', 0],
  ];
  return lines.map(([key, value]) => `${key}:\t${value}\n`).join('');
}

/** The Vm lines of status, present (as on Linux) only for tasks with a memory map. */
function memoryLines(view: ProcessView): [string, string][] {
  const usage = view.usage?.();
  if (!usage) return [];
  const kb = (n: number) => `${String(n).padStart(8)} kB`;
  const sizeKb = Math.floor(usage.vsizeBytes / 1024);
  const rssKb = usage.rssPages * PAGE_KB;
  return [
    ['VmPeak', kb(sizeKb)],
    ['VmSize', kb(sizeKb)],
    ['VmHWM', kb(rssKb)],
    ['VmRSS', kb(rssKb)],
  ];
}

/** size resident shared text lib data dt, in pages. */
export function statmText(view: ProcessView): string {
  const usage = view.usage?.();
  const size = usage ? Math.ceil(usage.vsizeBytes / (PAGE_KB * 1024)) : 0;
  return `${size} ${usage?.rssPages ?? 0} 0 0 0 0 0\n`;
}

/** NStgid, NSpid, NSpgid, NSsid: a number for each pid namespace from the mount's down to the task's own. */
function namespaceLines(view: ProcessView, tid: number): [string, string | number][] {
  const numbers = view.namespaceNumbers?.(tid) ?? { tgid: [view.pid], pid: [tid], pgid: [view.pgid], sid: [view.sid] };
  return [
    ['NStgid', numbers.tgid.join('\t')],
    ['NSpid', numbers.pid.join('\t')],
    ['NSpgid', numbers.pgid.join('\t')],
    ['NSsid', numbers.sid.join('\t')],
  ];
}
