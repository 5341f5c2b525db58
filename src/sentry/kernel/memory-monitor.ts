// linux.resources.memory.limit for the tasks' own memory, without cgroups (a plain user
// runs tssc). A task's anonymous memory lives in its host process, where only the host
// kernel counts it, so the sentry reads it there: on a timer that runs more often the
// closer the sandbox is to its limit, and soon after a call that grows a heap. When the
// sandbox's total (what its account holds for tmpfs and buffers, plus the tasks') passes
// the limit, it does what a memory cgroup's OOM killer does: the process using the most
// is killed with SIGKILL, its parent sees it killed, the rest of the sandbox goes on; the
// next one only once that one is gone.
//
// Between two readings a task can grow its private memory only up to RLIMIT_DATA, which
// the host holds at the limit (host-rlimits.ts); shared anonymous memory (MAP_SHARED with
// MAP_ANONYMOUS, which the host does not count there) only as fast as it can touch pages.
//
// What a task uses is its proportional share (Pss) of its anonymous and shared anonymous
// mappings (/proc/PID/smaps): pages a fork shares with its parent count once, mapped
// files not at all (the host memory files behind shared mappings of tmpfs files are the
// account's). Reading smaps costs a walk of the process's page tables, so each reading
// starts from the resident pages every process has now (/proc/PID/statm, a few counters)
// and what they had at their last exact reading; near the limit, and before a kill, the
// processes that changed since (or whose reading is older than a second: their sharing
// with others may have) are read exactly.

import { performance } from 'node:perf_hooks';
import type { MemoryAccount } from '../../accounting/memory-account.js';
import { readHostProc } from '../platform/host/host-proc.js';
import { OUTSIDE_SENDER, type SignalSender } from './signal-senders.js';
import { SIG } from '../../abi/linux-signal.js';
import type { ThreadGroup } from './thread-group.js';

const PAGE_BYTES = 4096;
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 250;
/** How fast one CPU fills fresh anonymous memory (1.9 GB/s measured on this machine class). */
const FILL_BYTES_PER_MS = 2 << 20;
/** Processes that changed are read exactly once the estimate is this close to the limit. */
const NEAR_LIMIT = 0.9;
/** A process changed when its resident memory moved by this much (or an eighth) since its exact reading. */
const CHANGED_BYTES = 1 << 20;
/** An exact reading older than this is read again (forks and exits change what is shared). */
const EXACT_TTL_MS = 1000;
/** A charge at the limit measures again, at most this often. */
const PRESSURE_MS = 5;
/** Routine checks take at most a tenth of a CPU; near the limit, a third. */
const ROUTINE_SHARE = 10;
const NEAR_SHARE = 2;

const SMAPS_HEADER = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/;

/** What the monitor needs of its sandbox. */
export interface MonitoredSandbox {
  groups(): ThreadGroup[];
  signalGroup(group: ThreadGroup, sig: number, sender: SignalSender): void;
}

interface Reading {
  total: number;
  byGroup: Map<ThreadGroup, number>;
}

/** Which processes a reading reads exactly. */
type Exactness = 'none' | 'changed';

/** Resident bytes of a host process (statm's second field), 0 once it is gone. */
function residentBytes(hostPid: number): number {
  const statm = readHostProc(`${hostPid}/statm`);
  return statm === undefined ? 0 : Number(statm.split(' ')[1] ?? 0) * PAGE_BYTES;
}

/** The proportional share of a host process's anonymous and shared anonymous memory. */
function anonymousBytes(hostPid: number): number {
  const smaps = readHostProc(`${hostPid}/smaps`);
  if (smaps === undefined) return 0;
  let counted = false;
  let kb = 0;
  for (const line of smaps.split('\n')) {
    const header = SMAPS_HEADER.exec(line);
    if (header) {
      // Anonymous ([heap], [stack], nameless) and shared anonymous (/dev/zero, SysV): no file.
      const name = header[1]!;
      counted = !name.startsWith('/') || name === '/dev/zero (deleted)' || name.startsWith('/SYSV');
    } else if (counted && line.startsWith('Pss:')) {
      kb += parseInt(line.slice(4), 10);
    }
  }
  return kb * 1024;
}

export class MemoryMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Heap growth since the last reading, and the room there was then. */
  private grown = 0;
  private headroom = 0;
  private lastPressure = -Infinity;
  /** Each process's last exact reading, its resident bytes and the time then. */
  private readonly exact = new WeakMap<ThreadGroup, { resident: number; bytes: number; at: number }>();
  /** Killed for memory: neither counted nor chosen again. */
  private readonly victims = new WeakSet<ThreadGroup>();
  /** The last one killed: nobody else is until it is gone, as the OOM killer waits for its victim. */
  private victim: ThreadGroup | undefined;

  constructor(
    private readonly sandbox: MonitoredSandbox,
    private readonly account: MemoryAccount,
    private readonly cpus: number,
  ) {}

  start(): void {
    this.running = true;
    this.account.pressure = (reclaim) => this.pressure(reclaim);
    this.schedule(MIN_INTERVAL_MS);
  }

  stop(): void {
    this.running = false;
    this.account.pressure = undefined;
    clearTimeout(this.timer);
  }

  /** A task's heap grew by bytes: read again once that may have used half the room. */
  grew(bytes: bigint): void {
    this.grown += Number(bytes);
    if (this.grown >= this.headroom / 2) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    const began = performance.now();
    const { limit } = this.account;
    let reading = this.read('none');
    const near = this.account.charged + reading.total > limit * NEAR_LIMIT;
    if (near) reading = this.read('changed');
    this.account.tasksBytes = reading.total;
    if (this.account.usage > limit) this.reclaim(reading);
    this.grown = 0;
    this.headroom = Math.max(0, limit - this.account.usage);
    const spent = performance.now() - began;
    const untilFull = this.headroom / (FILL_BYTES_PER_MS * this.cpus);
    const wanted = near || this.victimPending() ? MIN_INTERVAL_MS : Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, untilFull));
    this.schedule(Math.max(spent * (near ? NEAR_SHARE : ROUTINE_SHARE), wanted));
  }

  /** A charge at the limit: count exactly (not more often than PRESSURE_MS), and with reclaim make room. */
  private pressure(reclaim: boolean): void {
    if (performance.now() - this.lastPressure < PRESSURE_MS) return;
    this.lastPressure = performance.now();
    const reading = this.read('changed');
    this.account.tasksBytes = reading.total;
    if (reclaim && this.account.usage > this.account.limit) this.reclaim(reading);
  }

  /** Past the limit (by a reading of the changed processes): the largest is killed, once the last one killed is gone. */
  private reclaim(reading: Reading): void {
    if (!this.victimPending()) this.killLargest(reading);
  }

  private victimPending(): boolean {
    return this.victim !== undefined && !this.victim.zombie;
  }

  private read(exactness: Exactness): Reading {
    const byGroup = new Map<ThreadGroup, number>();
    let total = 0;
    for (const group of this.sandbox.groups()) {
      if (group.zombie || this.victims.has(group) || [...group.tasks].some((t) => t.wasmSignal)) continue;
      const bytes = this.measure(group, exactness);
      byGroup.set(group, bytes);
      total += bytes;
    }
    return { total, byGroup };
  }

  private measure(group: ThreadGroup, exactness: Exactness): number {
    const resident = residentBytes(group.hostPid);
    const known = this.exact.get(group);
    const now = performance.now();
    const changed = !known || now - known.at > EXACT_TTL_MS || Math.abs(resident - known.resident) > Math.max(CHANGED_BYTES, known.resident / 8);
    if (exactness === 'changed' && changed) {
      const bytes = anonymousBytes(group.hostPid);
      this.exact.set(group, { resident, bytes, at: now });
      return bytes;
    }
    // What it had then, and what it may have gained since.
    return known ? known.bytes + Math.max(0, resident - known.resident) : resident;
  }

  /** The OOM killer's choice: the process using the most, killed as SIGKILL kills. */
  private killLargest(reading: Reading): void {
    let victim: ThreadGroup | undefined;
    let most = 0;
    for (const [group, bytes] of reading.byGroup) {
      if (bytes > most) {
        most = bytes;
        victim = group;
      }
    }
    if (!victim) return;
    this.victim = victim;
    this.victims.add(victim);
    this.account.oomKills++;
    this.account.tasksBytes -= most;
    this.sandbox.signalGroup(victim, SIG.KILL, OUTSIDE_SENDER);
  }
}
