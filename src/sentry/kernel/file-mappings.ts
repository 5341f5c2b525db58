// /proc/PID/maps as the sandbox sees it. The host kernel knows the task's memory, but not
// what the sentry mapped from where: a private file mapping is an anonymous one it filled,
// a shared one maps a host file or memfd whose host name must not show. So the sentry keeps
// which file each of its mappings came from, and the host's maps are shown with those
// names (and the files' sandbox device and inode); any other host name is blanked.

import { hostMappings } from '../platform/host/host-proc.js';

/** A mapping the sentry made from a file of the sandbox (mmap, or the ELF loader). */
export interface FileMapping {
  start: bigint;
  end: bigint;
  /** The file's offset at start. */
  offset: bigint;
  /** Its path inside the sandbox. */
  path: string;
  dev: number;
  ino: number;
}

/**
 * A process's file mappings. A new one replaces what it overlaps of older ones, as
 * MAP_FIXED does (ld.so maps a library whole, then its segments over it).
 */
export class FileMappings {
  private mappings: FileMapping[] = [];

  add(mapping: FileMapping): void {
    const kept: FileMapping[] = [];
    for (const m of this.mappings) {
      if (m.end <= mapping.start || m.start >= mapping.end) {
        kept.push(m);
        continue;
      }
      if (m.start < mapping.start) kept.push({ ...m, end: mapping.start });
      if (m.end > mapping.end) kept.push({ ...m, start: mapping.end, offset: m.offset + (mapping.end - m.start) });
    }
    kept.push(mapping);
    this.mappings = kept;
  }

  /** A fork's child has the same mappings. */
  copy(): FileMappings {
    const copy = new FileMappings();
    copy.mappings = [...this.mappings];
    return copy;
  }

  /** execve: a new address space. */
  clear(): void {
    this.mappings = [];
  }

  covering(address: bigint): FileMapping | undefined {
    return this.mappings.find((m) => m.start <= address && address < m.end);
  }

  /** Where file mappings begin or end strictly inside [start, end). */
  boundariesWithin(start: bigint, end: bigint): bigint[] {
    return this.mappings.flatMap((m) => [m.start, m.end]).filter((at) => at > start && at < end);
  }
}

/**
 * Names the kernel gives special mappings; they show as they are. Its [heap] is the
 * stub's: the sandbox's heap is the sentry's program break.
 */
const KERNEL_NAMES = /^\[(stack|vdso|vvar|vsyscall)\]$/;

/** The program break's range, for [heap]. */
type Heap = { readonly start: bigint; readonly current: bigint } | undefined;

/**
 * /proc/hostPid/maps rewritten for the sandbox ('' once the process is gone); heap is the
 * program break, whose anonymous mappings show as [heap] by Linux's rule. The host merges
 * neighbouring anonymous mappings the sentry made (a program's data, its bss, its heap):
 * they are shown apart again, as Linux shows them.
 */
export function sandboxMaps(hostPid: number, mappings: FileMappings, heap: Heap): string {
  const lines: string[] = [];
  for (const host of hostMappings(hostPid) ?? []) {
    const inside = (at: bigint): boolean => at > host.start && at < host.end;
    const cuts = [...new Set([...mappings.boundariesWithin(host.start, host.end), ...(heap && inside(heap.start) ? [heap.start] : [])])];
    cuts.sort((a, b) => (a < b ? -1 : 1));
    const edges = [host.start, ...cuts, host.end];
    for (let i = 0; i + 1 < edges.length; i++) lines.push(mapsLine(edges[i]!, edges[i + 1]!, host.perms, host.name, mappings, heap));
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The line of the sandbox's maps for [start, end) of a host mapping with perms and name. */
function mapsLine(start: bigint, end: bigint, perms: string, name: string, mappings: FileMappings, heap: Heap): string {
  const file = mappings.covering(start);
  let offset = 0n;
  let device = '00:00';
  let inode = 0;
  let shown = '';
  if (file) {
    offset = file.offset + (start - file.start);
    device = `${hex2((file.dev >>> 8) & 0xfff)}:${hex2((file.dev & 0xff) | ((file.dev >>> 12) & 0xfff00))}`;
    inode = file.ino;
    shown = file.path;
  } else if (heap && start < heap.current && end > heap.start) {
    shown = '[heap]';
  } else if (KERNEL_NAMES.test(name)) {
    shown = name;
  }
  const head = `${hex8(start)}-${hex8(end)} ${perms} ${hex8(offset)} ${device} ${inode}`;
  return shown ? `${head.padEnd(73)}${shown}` : `${head} `;
}

function hex8(n: bigint): string {
  return n.toString(16).padStart(8, '0');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
