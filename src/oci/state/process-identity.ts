// A pid alone can be reused once its process exits; the pid plus the process's start time
// (field 22 of /proc/PID/stat, in clock ticks since boot) names one process for good.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Absent where /proc cannot tell it; liveness then falls back to kill(pid, 0). */
  startTime?: string;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity {
  const startTime = processStartTime(pid);
  return startTime === undefined ? { pid } : { pid, startTime };
}

export function isAlive(identity: ProcessIdentity): boolean {
  if (identity.pid <= 0) return false;
  if (identity.startTime !== undefined) {
    const now = processStartTime(identity.pid);
    if (now !== undefined) return now === identity.startTime && !isZombie(identity.pid);
  }
  try {
    process.kill(identity.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A zombie has exited; it only waits for its parent to reap it. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
