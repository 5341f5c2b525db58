// The memory of one sandbox against its linux.resources.memory.limit, as a memory cgroup
// counts it: what the sentry holds for the workload (tmpfs and overlay pages, the host
// memory files behind shared mappings, pipe, message and socket buffers)
// is charged here when it is allocated; the tasks' own anonymous memory lives in their
// host processes and is measured (the sentry's memory monitor sets tasksBytes).

import { freemem, totalmem } from 'node:os';

/**
 * What a holder of sandbox memory charges against: a filesystem's pages (the account
 * itself), a pipe's or a socket's buffer (its `buffers`). A failed charge is the caller's
 * error to report: ENOSPC for tmpfs, ENOMEM for buffers, ENOBUFS for sockets, as Linux
 * gives them.
 */
export interface MemoryCharge {
  /** Takes bytes of the sandbox's memory; false (and nothing taken) when they would pass its limit. */
  tryCharge(bytes: number): boolean;
  /** Gives back bytes a tryCharge took. */
  uncharge(bytes: number): void;
}

/**
 * Pages of the memory filesystems stop this far below the limit (an eighth of it, at most
 * 8 MiB), so the tasks still running can exec and allocate once tmpfs is full: under tssc
 * their programs' pages are copies of their own, where natively they are page cache that a
 * memory cgroup reclaims before it refuses anything.
 */
const MAX_TASK_RESERVE = 8 << 20;

export class MemoryAccount implements MemoryCharge {
  private chargedBytes = 0;
  /** The tasks' anonymous and shared memory, as last measured. */
  tasksBytes = 0;
  /** Processes the limit's OOM killer ended (memory.events' oom_kill). */
  oomKills = 0;
  /**
   * The sandbox is at its limit (the sentry's memory monitor answers): measure the tasks'
   * memory exactly now, and with reclaim, end the task using the most if it is still past
   * the limit, as a memory cgroup's OOM killer would.
   */
  pressure: ((reclaim: boolean) => void) | undefined;

  /**
   * What the sentry keeps for the tasks in flight (pipe, message and socket buffers),
   * taken as a memory cgroup takes kernel memory: when the tasks' memory is in the way,
   * the task using the most is killed and the buffer is taken; it is refused only when
   * the sentry's own charges would pass the limit.
   */
  readonly buffers: MemoryCharge = {
    tryCharge: (bytes) => {
      if (this.chargedBytes + bytes > this.limit) return false;
      if (this.usage + bytes > this.limit) this.pressure?.(true);
      this.chargedBytes += bytes;
      return true;
    },
    uncharge: (bytes) => this.uncharge(bytes),
  };

  /**
   * What the sandbox's sockets queue (their loopback and AF_UNIX buffers, the host
   * sockets' kernel buffers), refused once the sandbox is at its limit, the tasks' memory
   * counted: never a reason to kill, as a memory cgroup puts socket memory under pressure
   * instead (a writer is refused memory, a datagram is dropped).
   */
  readonly sockets: MemoryCharge = {
    tryCharge: (bytes) => {
      if (this.usage + bytes > this.limit) {
        this.pressure?.(false);
        if (this.usage + bytes > this.limit) return false;
      }
      this.chargedBytes += bytes;
      return true;
    },
    uncharge: (bytes) => this.uncharge(bytes),
  };

  /** limit: bytes (Infinity when the spec sets none). */
  constructor(readonly limit: number = Infinity) {
    if (!(limit > 0)) throw new RangeError(`memory limit must be positive, got ${limit}`);
  }

  get limited(): boolean {
    return Number.isFinite(this.limit);
  }

  /** What the sentry holds for the sandbox. */
  get charged(): number {
    return this.chargedBytes;
  }

  /** Everything counted against the limit (memory.current). */
  get usage(): number {
    return this.chargedBytes + this.tasksBytes;
  }

  /** Pages of the memory filesystems: past the limit (less the tasks' reserve) they fail, as a full tmpfs does. */
  tryCharge(bytes: number): boolean {
    const room = this.limit - Math.min(this.limit / 8, MAX_TASK_RESERVE);
    if (this.usage + bytes > room) {
      this.pressure?.(false);
      if (this.usage + bytes > room) return false;
    }
    this.chargedBytes += bytes;
    return true;
  }

  uncharge(bytes: number): void {
    this.chargedBytes = Math.max(0, this.chargedBytes - bytes);
  }
}

/**
 * MemTotal and MemFree as the sandbox sees them (/proc/meminfo, sysinfo), as gVisor and
 * lxcfs show a container: its limit, and what is left of it, never more than the host has.
 */
export function memoryAsSeen(account: MemoryAccount): { totalBytes: number; freeBytes: number } {
  const totalBytes = Math.min(account.limit, totalmem());
  return { totalBytes, freeBytes: Math.max(0, Math.min(freemem(), totalBytes - account.usage)) };
}
