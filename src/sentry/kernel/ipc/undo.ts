// SEM_UNDO (Linux's struct sem_undo lists): each process's adjustment per semaphore it
// changed with SEM_UNDO, kept across exec and applied when the process exits, however it
// ends: a semaphore a killed holder took comes back.

import { SEMVMX } from '../../../abi/linux-ipc.js';
import type { SemaphoreSet } from './sem.js';

export class UndoLists {
  /** pid -> set -> adjustment per semaphore. */
  private readonly lists = new Map<number, Map<SemaphoreSet, Int32Array>>();

  adjustment(pid: number, set: SemaphoreSet, num: number): number {
    return this.lists.get(pid)?.get(set)?.[num] ?? 0;
  }

  setAdjustment(pid: number, set: SemaphoreSet, num: number, value: number): void {
    let sets = this.lists.get(pid);
    if (!sets) this.lists.set(pid, (sets = new Map()));
    let adjustments = sets.get(set);
    if (!adjustments) sets.set(set, (adjustments = new Int32Array(set.nsems)));
    adjustments[num] = value;
  }

  /** SETVAL/SETALL: nobody's adjustment of that semaphore stands any more. */
  clear(set: SemaphoreSet, num: number): void {
    for (const sets of this.lists.values()) {
      const adjustments = sets.get(set);
      if (adjustments) adjustments[num] = 0;
    }
  }

  /** IPC_RMID of a set: its adjustments go with it. */
  forget(set: SemaphoreSet): void {
    for (const sets of this.lists.values()) sets.delete(set);
  }

  /**
   * The process pid exited: each adjustment is added to its semaphore (clamped to
   * 0..SEMVMX), which then names pid as its last user, and waiters look again.
   */
  exit(pid: number): void {
    const sets = this.lists.get(pid);
    if (!sets) return;
    this.lists.delete(pid);
    for (const [set, adjustments] of sets) {
      if (set.removed) continue;
      adjustments.forEach((adj, num) => {
        if (adj === 0) return;
        set.values[num] = Math.min(Math.max(set.values[num]! + adj, 0), SEMVMX);
        set.pids[num] = pid;
      });
      set.changed();
    }
  }
}
