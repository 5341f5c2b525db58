// The system-wide files of /proc (uptime, loadavg, meminfo, cpuinfo, stat, version,
// filesystems): they describe the sandbox (its processes, its uptime) on the machine
// facts it was given, never the host's processes.

import { KERNEL_IDENTITY } from '../synthetic/machine.js';
import type { ProcDeps } from './deps.js';

/** USER_HZ: the clock tick /proc counts in. */
export const CLOCK_TICKS = 100;

function views(deps: ProcDeps) {
  const { providers } = deps;
  return providers.processes().flatMap((pid) => {
    const view = providers.process(pid);
    return view ? [view] : [];
  });
}

export function uptimeText(deps: ProcDeps): string {
  const up = deps.providers.uptime();
  return `${up.toFixed(2)} ${(up * deps.machine.cpus).toFixed(2)}\n`;
}

export function loadavgText(deps: ProcDeps): string {
  const all = views(deps);
  const running = Math.max(1, all.filter((v) => v.state === 'R').length);
  const threads = all.reduce((sum, v) => sum + v.tids.length, 0);
  const lastPid = Math.max(0, ...all.map((v) => v.pid));
  return `0.00 0.00 0.00 ${running}/${threads} ${lastPid}\n`;
}

export function meminfoText(deps: ProcDeps): string {
  const totalKb = Math.floor(deps.machine.memTotalBytes / 1024);
  const freeKb = Math.min(totalKb, Math.floor(deps.machine.memFreeBytes() / 1024));
  const rows: [string, number, boolean?][] = [
    ['MemTotal', totalKb],
    ['MemFree', freeKb],
    ['MemAvailable', freeKb],
    ['Buffers', 0],
    ['Cached', 0],
    ['SwapCached', 0],
    ['Active', 0],
    ['Inactive', 0],
    ['Active(anon)', 0],
    ['Inactive(anon)', 0],
    ['Active(file)', 0],
    ['Inactive(file)', 0],
    ['Unevictable', 0],
    ['Mlocked', 0],
    ['SwapTotal', 0],
    ['SwapFree', 0],
    ['Dirty', 0],
    ['Writeback', 0],
    ['AnonPages', totalKb - freeKb],
    ['Mapped', 0],
    ['Shmem', 0],
    ['KReclaimable', 0],
    ['Slab', 0],
    ['SReclaimable', 0],
    ['SUnreclaim', 0],
    ['KernelStack', 0],
    ['PageTables', 0],
    ['CommitLimit', totalKb],
    ['Committed_AS', totalKb - freeKb],
    ['VmallocTotal', 34359738367],
    ['VmallocUsed', 0],
    ['VmallocChunk', 0],
    ['HugePages_Total', 0, false],
    ['HugePages_Free', 0, false],
    ['HugePages_Rsvd', 0, false],
    ['HugePages_Surp', 0, false],
    ['Hugepagesize', 2048],
  ];
  return rows.map(([key, value, kb = true]) => `${`${key}:`.padEnd(16)}${String(value).padStart(8)}${kb ? ' kB' : ''}\n`).join('');
}

export function cpuinfoText(deps: ProcDeps): string {
  const { cpus, cpuModel, cpuMHz, cpuFlags } = deps.machine;
  const vendor = /amd/i.test(cpuModel) ? 'AuthenticAMD' : 'GenuineIntel';
  let text = '';
  for (let i = 0; i < cpus; i++) {
    const rows: [string, string | number][] = [
      ['processor', i],
      ['vendor_id', vendor],
      ['cpu family', 6],
      ['model', 0],
      ['model name', cpuModel],
      ['stepping', 0],
      ['cpu MHz', cpuMHz.toFixed(3)],
      ['physical id', 0],
      ['siblings', cpus],
      ['core id', i],
      ['cpu cores', cpus],
      ['apicid', i],
      ['fpu', 'yes'],
      ['fpu_exception', 'yes'],
      ['cpuid level', 13],
      ['wp', 'yes'],
      ['flags', cpuFlags],
      ['bogomips', (cpuMHz * 2).toFixed(2)],
      ['clflush size', 64],
      ['cache_alignment', 64],
      ['address sizes', '46 bits physical, 48 bits virtual'],
      ['power management', ''],
    ];
    // The kernel pads names with tabs to the second tab stop.
    text += rows.map(([key, value]) => `${key}${key.length < 8 ? '\t\t' : '\t'}: ${value}`.trimEnd() + '\n').join('');
    text += '\n';
  }
  return text;
}

export function statText(deps: ProcDeps): string {
  const up = deps.providers.uptime();
  const idle = Math.floor(up * CLOCK_TICKS);
  const all = views(deps);
  const cpuLine = (name: string, idleTicks: number) => `${name} 0 0 0 ${idleTicks} 0 0 0 0 0 0\n`;
  let text = cpuLine('cpu ', idle * deps.machine.cpus);
  for (let i = 0; i < deps.machine.cpus; i++) text += cpuLine(`cpu${i}`, idle);
  const bootTime = Math.floor(Date.now() / 1000 - up);
  text += 'intr 0\nctxt 0\n';
  text += `btime ${bootTime}\n`;
  text += `processes ${Math.max(0, ...all.map((v) => v.pid))}\n`;
  text += `procs_running ${Math.max(1, all.filter((v) => v.state === 'R').length)}\n`;
  text += 'procs_blocked 0\n';
  text += 'softirq 0 0 0 0 0 0 0 0 0 0 0\n';
  return text;
}

export function versionText(): string {
  return `${KERNEL_IDENTITY.sysname} version ${KERNEL_IDENTITY.release} (tssc@tssc) (gcc version 12.2.0) ${KERNEL_IDENTITY.version}\n`;
}

/** The filesystem types the sandbox's kernel knows. */
const FILESYSTEMS: readonly [string, boolean][] = [
  ['sysfs', true],
  ['tmpfs', true],
  ['proc', true],
  ['devpts', true],
  ['mqueue', true],
  ['cgroup', true],
  ['cgroup2', true],
  ['overlay', true],
  ['pipefs', true],
  ['anon_inodefs', true],
];

export function filesystemsText(): string {
  return FILESYSTEMS.map(([name, nodev]) => `${nodev ? 'nodev' : ''}\t${name}\n`).join('');
}
