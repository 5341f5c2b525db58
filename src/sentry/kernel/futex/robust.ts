// Robust futexes across the virtual/host tid divide. glibc writes a lock owner's tid into
// the mutex word from its TCB: the virtual tid. When a thread ends (or execs), the host
// kernel walks the robust list the thread registered and marks the words whose owner is
// the thread's HOST tid (FUTEX_OWNER_DIED, and wakes a waiter): with virtual tids nothing
// would match and the next locker would wait forever instead of getting EOWNERDEAD.
//
// So the sentry records each thread's list head (set_robust_list is trapped) and, at the
// thread's exit stop (PTRACE_EVENT_EXIT comes in do_exit before exit_mm walks the list),
// walks the list as the kernel will and gives every word owned by the thread's virtual
// tid its host tid. The kernel's own walk then does the rest. (An exec walks the list
// too, before any stop the sentry sees: the execve path has to hand it over first, see
// releaseFutexesOf.)

import { isSysError } from '../../../abi/errno.js';
import type { TaskMemory } from '../syscall.js';
import { FUTEX } from '../../../abi/linux-futex.js';
import { readWord, storeWord } from './word.js';

/** struct robust_list_head: list.next, futex_offset, list_op_pending. */
export const ROBUST_LIST_HEAD_SIZE = 24;
/** The kernel's bound on a list walk (ROBUST_LIST_LIMIT), which also stops loops. */
const ROBUST_LIST_LIMIT = 2048;

/** The head each thread registered, by task (the kernel forgets it at exec and in new tasks). */
const heads = new WeakMap<object, bigint>();

export function recordRobustList(task: object, head: bigint): void {
  heads.set(task, head);
}

export function forgetRobustList(task: object): void {
  heads.delete(task);
}

/** What the walk needs of the ending thread. */
export interface EndingThread {
  /** Its tid as its pid namespace numbers it: what glibc wrote in the words it owns. */
  readonly process: { readonly tid: number };
  readonly hostTid: number;
  readonly mem: TaskMemory;
}

/**
 * A PI entry owned by the ending thread: the sentry, which implements PI futexes, marks
 * it and hands it on (see futex-pi.ts).
 */
export type PiOwnerDied = (thread: EndingThread, word: bigint) => void;

/**
 * At the thread's exit stop: rewrites the owner of each robust futex the thread holds
 * from its virtual to its host tid, so the kernel's walk that follows finds them. A list
 * in unmapped memory, a loop or a misaligned entry ends the walk, as it ends the kernel's.
 */
export function handRobustListToKernel(task: object & EndingThread, piOwnerDied: PiOwnerDied): void {
  const head = heads.get(task);
  heads.delete(task);
  if (head === undefined || head === 0n) return;
  try {
    const raw = task.mem.read(head, ROBUST_LIST_HEAD_SIZE);
    let entry = raw.readBigUInt64LE(0);
    const offset = raw.readBigInt64LE(8);
    const pending = raw.readBigUInt64LE(16);
    const futexOf = (e: bigint): bigint => BigInt.asUintN(64, (e & ~1n) + offset);
    for (let limit = ROBUST_LIST_LIMIT; entry !== head && limit > 0; limit--) {
      const next = task.mem.read(entry & ~1n, 8).readBigUInt64LE(0);
      if ((entry & ~1n) !== (pending & ~1n)) giveHostOwner(task, futexOf(entry), (entry & 1n) !== 0n, piOwnerDied);
      entry = next;
    }
    if (pending !== 0n) giveHostOwner(task, futexOf(pending), (pending & 1n) !== 0n, piOwnerDied);
  } catch (e) {
    if (!isSysError(e)) throw e;
    // The list runs through memory the thread cannot read: the kernel stops there too.
  }
}

function giveHostOwner(thread: EndingThread, word: bigint, pi: boolean, piOwnerDied: PiOwnerDied): void {
  if (word % 4n !== 0n) return;
  const value = readWord(thread.mem, word);
  if ((value & FUTEX.TID_MASK) !== thread.process.tid) return;
  if (pi) {
    piOwnerDied(thread, word);
    return;
  }
  // Others may set FUTEX_WAITERS meanwhile (their compare-and-swap, then a futex wait);
  // this write is no compare-and-swap, so it keeps WAITERS set: the kernel then always
  // wakes a waiter (at worst one that is not there).
  storeWord(thread.mem, word, (value & ~FUTEX.TID_MASK) | FUTEX.WAITERS | thread.hostTid);
}
