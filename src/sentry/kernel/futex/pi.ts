// Priority-inheritance futexes, answered by the sentry. Their lock word holds the owner's
// tid, and the host kernel would look that tid up as a host task: a virtual tid names an
// unrelated host task or none (ESRCH, EPERM, deadlock, or boosting a stranger). So the
// filter traps the PI operations (seccomp-filter.ts) and the sentry keeps the waiters,
// as gVisor's futex manager does; the host never sees a PI operation. Priorities are not
// inherited (the sandbox's tasks are ordinary host threads): the lock's semantics are kept.
//
// Why the words stay consistent although other threads run freely in user space: glibc
// changes a PI word there only by a compare-and-swap from 0 to its tid (with
// FUTEX_WAITERS when a condition variable relocks), by one from exactly its own tid to 0
// (unlock), and, as the new owner of a dead owner's lock, by clearing FUTEX_OWNER_DIED.
// A word with FUTEX_WAITERS set fits neither swap, so it is "frozen". The sentry
// writes a word only when no running thread owns it (no owner, or the owner is the
// stopped caller or is ending) and only once it is frozen or the caller's own. It has no
// compare-and-swap on workload memory, so before it decides anything about a word without
// WAITERS it makes the calling thread set that bit atomically in the kernel (a
// FUTEX_WAKE_OP with FUTEX_OP_OR in place of the call), then repeat its call, which finds
// the word frozen. A store of its own goes in three writes: the high byte with WAITERS,
// the low three bytes, the final high byte; so no swap can succeed on a half-written word,
// and a bit set by another freeze meanwhile is at worst lost, which only makes that
// thread freeze the word again when its call comes back.

import { E, ERESTARTNOINTR, ERESTARTSYS, SysError, fail, isSysError } from '../../../abi/errno.js';
import { POLL } from '../../../abi/linux-poll.js';
import type { Unsubscribe, Waitable } from '../../../vfs/api.js';
import { FUTEX, FUTEX_CLOCK_REALTIME, FUTEX_CMD, FUTEX_CMD_MASK, FUTEX_PRIVATE_FLAG, PI_COMMANDS } from '../../../abi/linux-futex.js';
import type { TaskMemory } from '../../platform/task-memory.js';
import { readWord, storeWord } from './word.js';
import { sharedFutexKey } from './key.js';
import type { EndingThread } from './robust.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallResult, type SyscallTask, type HostCall } from '../syscall.js';

/** FUTEX_WAKE_OP's encoded operation: *uaddr2 |= 1 << 31 (FUTEX_OP_OR with FUTEX_OP_OPARG_SHIFT). */
const SET_WAITERS_OP = BigInt(((2 | 8) << 28) | (31 << 12)) & 0xffffffffn;

/** A thread as the PI waiters know it: its tid as its pid namespace numbers it (what a lock word holds) and its memory. */
interface PiThread {
  readonly process: { readonly tid: number };
  readonly mem: TaskMemory;
}

/** The caller of a PI operation, with the host ids its futex key is made of. */
interface PiCaller {
  readonly task: SyscallTask;
  readonly hostPid: number;
  readonly hostTid: number;
}

/** A thread asleep in FUTEX_LOCK_PI until the lock is handed to it. */
class PiWaiter implements Waitable {
  granted = false;
  private listener: ((events: number) => void) | undefined;

  constructor(
    readonly task: PiThread,
    /** The lock word in the waiter's own address space. */
    readonly addr: bigint,
    private readonly queue: PiWaiter[],
  ) {}

  grant(): void {
    this.granted = true;
    this.listener?.(POLL.IN);
  }

  readiness(mask: number): number {
    return this.granted ? mask & POLL.IN : 0;
  }

  subscribe(_mask: number, callback: (events: number) => void): Unsubscribe {
    this.listener = callback;
    return () => {
      this.listener = undefined;
      this.leave();
    };
  }

  leave(): void {
    const at = this.queue.indexOf(this);
    if (at >= 0) this.queue.splice(at, 1);
  }
}

/** Which futex a word is: private ones by process and address, shared ones by what is mapped there. */
function futexKey(hostPid: number, hostTid: number, addr: bigint, op: number): string {
  const own = `p:${hostPid}:${addr}`;
  if (op & FUTEX_PRIVATE_FLAG) return own;
  return sharedFutexKey(hostTid, addr) ?? own;
}

/**
 * Makes the caller's thread set FUTEX_WAITERS in the word atomically (its call becomes a
 * FUTEX_WAKE_OP), then repeat its own call, which then finds the word frozen.
 */
function freezeThenRetry(addr: bigint): HostCall {
  return {
    kind: 'host',
    args: [addr, BigInt(FUTEX_CMD.WAKE_OP | FUTEX_PRIVATE_FLAG), 0n, 0n, addr, SET_WAITERS_OP],
    // The thread makes the same call again, which then finds the word frozen.
    complete: (result) => (result < 0n ? result : -ERESTARTNOINTR),
  };
}

/** Takes a frozen word without owner for the caller; undefined when it has an owner. */
function tryTake(task: PiThread, addr: bigint, word: number, queue: readonly PiWaiter[]): SyscallResult | undefined {
  const owner = word & FUTEX.TID_MASK;
  if (owner === task.process.tid) return -E.EDEADLK;
  if (owner !== 0) return undefined;
  storeWord(task.mem, addr, (word & FUTEX.OWNER_DIED) | task.process.tid | (queue.length > 0 ? FUTEX.WAITERS : 0));
  return 0;
}

/** The absolute timeout of FUTEX_LOCK_PI(2) as nanoseconds from now; undefined: none. */
function timeoutFromNow(task: SyscallTask, timespecAddr: bigint, realtime: boolean): bigint | undefined {
  if (timespecAddr === 0n) return undefined;
  const raw = task.mem.read(timespecAddr, 16);
  const sec = raw.readBigInt64LE(0);
  const nsec = raw.readBigInt64LE(8);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) fail(E.EINVAL);
  const now = realtime ? task.kernel.realtimeNs() : task.kernel.monotonicNs();
  const left = sec * 1_000_000_000n + nsec - now;
  return left > 0n ? left : 0n;
}

/** Gives the lock to the first waiter, as the kernel does: its tid with WAITERS set. */
function handOver(mem: TaskMemory, addr: bigint, next: PiWaiter, keep: number): void {
  next.leave();
  storeWord(mem, addr, FUTEX.WAITERS | keep | next.task.process.tid);
  next.grant();
}

/**
 * futex(2) for the PI commands (the filter lets every other one run on the host):
 * FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI and FUTEX_UNLOCK_PI. The requeue-PI
 * pair, which glibc's condition variables stopped using in 2.25, is ENOSYS, as on a
 * kernel without PI support; so is any PI call of a task with no host thread (wasm).
 */
export function piFutex(task: SyscallTask, args: SyscallArgs): SyscallResult | HostCall | Promise<SyscallResult> {
  const hostPid = task.process.hostPidOf(task.process.pid);
  const hostTid = task.process.hostTidInProcess(task.process.tid);
  if (hostPid === undefined || hostTid === undefined) return -E.ENOSYS;
  return task.kernel.futexes.futex({ task, hostPid, hostTid }, args);
}

/**
 * The waiters of one sandbox's PI locks (each sandbox has its own: a shared futex's key
 * names a host file another sandbox may map too, and its waiters are not this one's).
 */
export class PiFutexes {
  /** The waiters of each lock word, first come first served, by futex key. */
  private readonly queues = new Map<string, PiWaiter[]>();

  /** A PI command of caller's (see piFutex). */
  futex(caller: PiCaller, args: SyscallArgs): SyscallResult | HostCall | Promise<SyscallResult> {
    const task = caller.task;
    const addr = args[0];
    const op = Number(BigInt.asIntN(32, args[1]));
    const cmd = op & FUTEX_CMD_MASK;
    // The filter lets the others run on the host; one that still stops here (a filter
    // that stops every call) runs there as well.
    if (!PI_COMMANDS.includes(cmd)) return RUN_ON_HOST;
    if ((op & FUTEX_CLOCK_REALTIME) && cmd !== FUTEX_CMD.LOCK_PI2) return -E.ENOSYS;
    if (cmd === FUTEX_CMD.WAIT_REQUEUE_PI || cmd === FUTEX_CMD.CMP_REQUEUE_PI) return -E.ENOSYS;
    if (addr % 4n !== 0n) return -E.EINVAL;
    if (cmd === FUTEX_CMD.UNLOCK_PI) return this.unlock(caller, addr, op);

    const word = readWord(task.mem, addr);
    if ((word & FUTEX.WAITERS) === 0) return freezeThenRetry(addr);
    const key = futexKey(caller.hostPid, caller.hostTid, addr, op);
    const taken = tryTake(task, addr, word, this.queues.get(key) ?? []);
    if (taken !== undefined) return taken;
    if (cmd === FUTEX_CMD.TRYLOCK_PI) return -E.EAGAIN;
    // FUTEX_LOCK_PI always counts in CLOCK_REALTIME; FUTEX_LOCK_PI2 in CLOCK_MONOTONIC unless told.
    const realtime = cmd === FUTEX_CMD.LOCK_PI || (op & FUTEX_CLOCK_REALTIME) !== 0;
    return this.lock(task, addr, key, realtime, args[3]);
  }

  /** The ending thread waits for no lock any more. */
  stopWaiting(thread: object): void {
    for (const queue of this.queues.values()) {
      for (const waiter of [...queue]) if (waiter.task === thread) waiter.leave();
    }
  }

  /**
   * A robust PI lock the ending thread (of host process hostPid) holds: marked
   * FUTEX_OWNER_DIED and handed to its first waiter, or left without owner (the next
   * locker gets EOWNERDEAD).
   */
  ownerDied(thread: EndingThread, hostPid: number, addr: bigint): void {
    const word = readWord(thread.mem, addr);
    // glibc makes the calls of robust PI locks without FUTEX_PRIVATE_FLAG.
    const next = this.queues.get(futexKey(hostPid, thread.hostTid, addr, 0))?.[0];
    if (next) handOver(thread.mem, addr, next, FUTEX.OWNER_DIED);
    else storeWord(thread.mem, addr, (word & FUTEX.WAITERS) | FUTEX.OWNER_DIED);
  }

  /**
   * Each PI lock the ending thread still owns with waiters goes to the first of them, as
   * the kernel hands on a dead owner's PI locks (robust ones are marked before this).
   */
  handOnLocksOf(thread: PiThread): void {
    for (const [key, queue] of this.queues) {
      const first = queue[0];
      if (!first) {
        this.queues.delete(key);
        continue;
      }
      try {
        const word = readWord(first.task.mem, first.addr);
        if ((word & FUTEX.TID_MASK) === thread.process.tid) handOver(first.task.mem, first.addr, first, word & FUTEX.OWNER_DIED);
      } catch (e) {
        if (!isSysError(e)) throw e;
        // The waiter's memory is gone (it is ending too): its own end will hand the lock on.
      }
    }
  }

  private queueOf(key: string): PiWaiter[] {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    return queue;
  }

  private dropIfEmpty(key: string, queue: PiWaiter[]): void {
    if (queue.length === 0 && this.queues.get(key) === queue) this.queues.delete(key);
  }

  private async lock(task: SyscallTask, addr: bigint, key: string, realtime: boolean, timespecAddr: bigint): Promise<SyscallResult> {
    const timeout = timeoutFromNow(task, timespecAddr, realtime);
    const queue = this.queueOf(key);
    const waiter = new PiWaiter(task, addr, queue);
    queue.push(waiter);
    try {
      const [ready] = await task.waitAnyReady([{ file: waiter, events: POLL.IN }], timeout);
      return ready ? 0 : -E.ETIMEDOUT;
    } catch (e) {
      // A signal: the handler runs, then the call is made again (the kernel's ERESTARTNOINTR).
      if (isSysError(e) && e.errno === ERESTARTSYS) throw new SysError(ERESTARTNOINTR);
      throw e;
    } finally {
      waiter.leave();
      this.dropIfEmpty(key, queue);
    }
  }

  private unlock(caller: PiCaller, addr: bigint, op: number): SyscallResult {
    const task = caller.task;
    const word = readWord(task.mem, addr);
    if ((word & FUTEX.TID_MASK) !== task.process.tid) return -E.EPERM;
    const next = this.queues.get(futexKey(caller.hostPid, caller.hostTid, addr, op))?.[0];
    if (!next) {
      storeWord(task.mem, addr, 0);
      return 0;
    }
    handOver(task.mem, addr, next, 0);
    return 0;
  }
}
