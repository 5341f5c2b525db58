// The machine and kernel the sandbox describes in /proc and /sys: how many CPUs and how
// much memory it may use, and the kernel identity uname(2) should report as well.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { MemoryAccount, memoryAsSeen } from '../../accounting/memory-account.js';

/** The kernel the sandbox presents (uname -r / -v, /proc/version, /proc/sys/kernel/os*). */
export const KERNEL_IDENTITY = {
  sysname: 'Linux',
  release: '5.15.0-tssc',
  version: '#1 SMP PREEMPT_DYNAMIC tssc',
  machine: 'x86_64',
} as const;

export interface MachineFacts {
  /** CPUs the sandbox may run on (numbered 0..cpus-1). */
  readonly cpus: number;
  readonly memTotalBytes: number;
  memFreeBytes(): number;
  readonly cpuModel: string;
  readonly cpuMHz: number;
  /** The /proc/cpuinfo "flags" line: the instruction set the workload really runs on. */
  readonly cpuFlags: string;
}

/**
 * Facts taken from where the workload really runs: its CPUs execute the code natively and
 * its memory comes from the host, so these are what programs sizing thread pools and
 * caches need; the memory is the sandbox's (its limit and what is left of it).
 */
export function hostMachineFacts(memory: MemoryAccount = new MemoryAccount()): MachineFacts {
  const cpus = os.cpus();
  return {
    cpus: Math.max(1, os.availableParallelism()),
    memTotalBytes: memoryAsSeen(memory).totalBytes,
    memFreeBytes: () => memoryAsSeen(memory).freeBytes,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuMHz: cpus[0]?.speed ?? 0,
    cpuFlags: readCpuFlags(),
  };
}

function readCpuFlags(): string {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'latin1');
    return /^flags\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? '';
  } catch {
    return '';
  }
}
