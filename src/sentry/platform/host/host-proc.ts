// The host's /proc files of the workload's own host threads, read as text: what only the
// host kernel knows of them (signal masks, CPU time, memory, mappings). Nothing once the
// thread is gone.

import { readFileSync } from 'node:fs';

/** /proc/<path> (e.g. `123/status`), or undefined when it cannot be read. */
export function readHostProc(path: string): string | undefined {
  try {
    return readFileSync(`/proc/${path}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** The value of a "Name:\tvalue" line of a /proc status file. */
export function statusField(status: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
}

/** A signal set of a status file (SigPnd, ShdPnd, SigBlk...): 0 when absent. */
export function signalSetField(status: string, name: string): bigint {
  const value = statusField(status, name);
  return value ? BigInt(`0x${value}`) : 0n;
}

/** One line of /proc/PID/maps. */
export interface HostMapping {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  device: string;
  inode: string;
  name: string;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/;

/** The mappings of a host process, in address order; undefined once it is gone. */
export function hostMappings(hostPid: number): HostMapping[] | undefined {
  const text = readHostProc(`${hostPid}/maps`);
  if (text === undefined) return undefined;
  const mappings: HostMapping[] = [];
  for (const line of text.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m) continue;
    mappings.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]!, offset: BigInt(`0x${m[4]}`), device: m[5]!, inode: m[6]!, name: m[7]! });
  }
  return mappings;
}
