// A System V semaphore set (Linux's struct sem_array) and semop's rule: all operations
// of a call apply at once or none does; a call that cannot go on waits, counted in
// semncnt/semzcnt by the operation that blocks it. SEM_UNDO adjustments are kept per
// process (undo.ts) and applied when it exits.

import { E, fail } from '../../../abi/errno.js';
import { SEM, SEMVMX } from '../../../abi/linux-ipc.js';
import { IpcObject, type IpcPerm } from './perm.js';
import type { UndoLists } from './undo.js';

export interface SemOp {
  readonly num: number;
  readonly op: number;
  readonly flags: number;
}

/** A semop caller waiting on the set, and the operation it waits for. */
export interface SemWaiter {
  blocking: SemOp;
}

export class SemaphoreSet extends IpcObject {
  readonly values: Int32Array;
  /** The pid of the last process that operated on each semaphore (GETPID). */
  readonly pids: Int32Array;
  /** Seconds of the last semop and of the last change of the set (creation, IPC_SET, SETVAL, SETALL). */
  otime = 0;
  ctime: number;
  readonly waiters = new Set<SemWaiter>();

  constructor(perm: IpcPerm, readonly nsems: number, now: number) {
    super(perm);
    this.values = new Int32Array(nsems);
    this.pids = new Int32Array(nsems);
    this.ctime = now;
  }

  /**
   * Tries ops for process pid: undefined when all applied (and recorded in undo for the
   * SEM_UNDO ones), else the first operation that cannot go on now. ERANGE for a value or
   * an adjustment beyond SEMVMX.
   */
  tryOps(ops: readonly SemOp[], pid: number, undo: UndoLists, now: number): SemOp | undefined {
    const values = Int32Array.from(this.values);
    const adjust = new Map<number, number>();
    for (const op of ops) {
      const result = values[op.num]! + op.op;
      if (op.op === 0 && values[op.num] !== 0) return op;
      if (result < 0) return op;
      if (result > SEMVMX) fail(E.ERANGE);
      if (op.flags & SEM.UNDO) {
        const adj = (adjust.get(op.num) ?? undo.adjustment(pid, this, op.num)) - op.op;
        if (adj < -SEMVMX - 1 || adj > SEMVMX) fail(E.ERANGE);
        adjust.set(op.num, adj);
      }
      values[op.num] = result;
    }
    this.values.set(values);
    for (const op of ops) this.pids[op.num] = pid;
    for (const [num, adj] of adjust) undo.setAdjustment(pid, this, num, adj);
    this.otime = now;
    if (ops.some((op) => op.op !== 0)) this.changed();
    return undefined;
  }

  /** SETVAL/SETALL: new values; every process's undo adjustment for them is dropped. */
  setValues(first: number, values: readonly number[], pid: number, undo: UndoLists, now: number): void {
    if (values.some((v) => v < 0 || v > SEMVMX)) fail(E.ERANGE);
    values.forEach((value, i) => {
      this.values[first + i] = value;
      this.pids[first + i] = pid;
      undo.clear(this, first + i);
    });
    this.ctime = now;
    this.changed();
  }

  /** GETNCNT (count decrements) and GETZCNT (wait-for-zero) of one semaphore. */
  waiting(num: number, forZero: boolean): number {
    let count = 0;
    for (const waiter of this.waiters) {
      const op = waiter.blocking;
      if (op.num === num && (forZero ? op.op === 0 : op.op < 0)) count++;
    }
    return count;
  }
}
