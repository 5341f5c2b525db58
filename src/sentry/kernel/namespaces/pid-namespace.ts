// A pid namespace (pid_namespaces(7), Linux's struct pid_namespace; gVisor's PIDNamespace).
// The sandbox's own namespace is the root: its numbers are the kernel's identities of
// tasks and processes (Task.tid, ThreadGroup.pid, pgids and sids), so the root needs no
// table of its own. A nested namespace gives each task in it, and in every namespace
// below it, a number of its own, from its own allocator; a task has a number in its own
// namespace and every ancestor, none in a namespace below or beside its own. Every pid a
// task passes in or gets back goes through its namespace here: numberOf on the way out
// (0 for a task it cannot see, as pid_vnr), idOf on the way in (undefined: ESRCH).

import { E, fail } from '../../../abi/errno.js';
import type { ThreadGroup } from '../thread-group.js';

/** Linux's MAX_PID_NS_LEVEL: the deepest a namespace can be (the root is level 0). */
export const MAX_PID_NS_LEVEL = 32;

/** Linux's default pid_max: numbers wrap past it. */
const PID_MAX = 4_194_304;

export class PidNamespace {
  readonly level: number;
  /** Its init, the first process given a number here (child_reaper); undefined until then. */
  init: ThreadGroup | undefined;
  /** Its init has ended: no task may join it any more (fork in it is ENOMEM). */
  closed = false;
  /** Its init has ended while other processes in it still ran: its parent hears of it once they are gone. */
  initEndHeld = false;
  /** Kernel identity (a root-namespace number) -> the number here; empty for the root. */
  private readonly numbers = new Map<number, number>();
  /** The number here -> the kernel identity. */
  private readonly ids = new Map<number, number>();
  private next = 1;

  constructor(readonly parent: PidNamespace | undefined) {
    this.level = parent ? parent.level + 1 : 0;
  }

  /** The number the task or process with kernel identity id has here; 0 when it has none (it is not visible). */
  numberOf(id: number): number {
    if (!this.parent) return id;
    return this.numbers.get(id) ?? 0;
  }

  /** The kernel identity of the number n here; undefined when nothing here has that number. */
  idOf(n: number): number | undefined {
    if (!this.parent) return n > 0 ? n : undefined;
    return this.ids.get(n);
  }

  /** Whether ns is this namespace or one below it: its tasks are visible from here. */
  contains(ns: PidNamespace): boolean {
    for (let at: PidNamespace | undefined = ns; at; at = at.parent) if (at === this) return true;
    return false;
  }

  /** The namespaces from this one up to the root (this one first). */
  *lineage(): Generator<PidNamespace> {
    for (let at: PidNamespace | undefined = this; at; at = at.parent) yield at;
  }

  /**
   * Gives id a number here and in every ancestor but the root (alloc_pid), the lowest
   * free one from where the last was taken, or the one clone3's set_tid asks for (wanted:
   * index 0 here, 1 in the parent, ...; checked by checkSetTid; it moves no cursor); the
   * number 1 makes group this namespace's init. Nothing when id has its numbers already
   * (an exec's leader swap).
   */
  assign(id: number, group: ThreadGroup, wanted: readonly number[] = []): void {
    for (const ns of this.lineage()) {
      if (!ns.parent) {
        if (id === 1) ns.init ??= group;
        continue;
      }
      if (ns.numbers.has(id)) continue;
      let n = wanted[this.level - ns.level];
      if (n === undefined) {
        while (ns.ids.has(ns.next)) ns.next = ns.next >= PID_MAX ? 2 : ns.next + 1;
        n = ns.next;
        ns.next = n >= PID_MAX ? 2 : n + 1;
      }
      ns.numbers.set(id, n);
      ns.ids.set(n, id);
      if (n === 1) ns.init = group;
    }
  }

  /** id's numbers are free again, here and in every ancestor. */
  release(id: number): void {
    for (const ns of this.lineage()) {
      const n = ns.numbers.get(id);
      if (n === undefined) continue;
      ns.numbers.delete(id);
      ns.ids.delete(n);
    }
  }

  /** id's number in each namespace from this one down to ns (NSpid's order: outermost first); ns must be this or below. */
  numbersDownTo(ns: PidNamespace, id: number): number[] {
    const out: number[] = [];
    for (const at of ns.lineage()) {
      out.unshift(at.numberOf(id));
      if (at === this) break;
    }
    return out;
  }
}

/**
 * clone3's set_tid for a child that starts in ns (alloc_pid's checks, deepest level
 * first): at most one number per level from ns up (EINVAL), each in 1..pid_max-1 (EINVAL),
 * one other than 1 only where the namespace has its init already (EINVAL), only for a
 * caller with CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (EPERM), and a free one (EEXIST).
 * rootTaken: whether the sandbox's own namespace uses a number.
 */
export function checkSetTid(ns: PidNamespace, tids: readonly number[], privileged: boolean, rootTaken: (n: number) => boolean): void {
  if (tids.length > ns.level + 1) fail(E.EINVAL);
  let i = 0;
  for (const at of ns.lineage()) {
    const tid = tids[i++];
    if (tid === undefined) return;
    if (tid < 1 || tid >= PID_MAX) fail(E.EINVAL);
    if (tid !== 1 && !at.init) fail(E.EINVAL);
    if (!privileged) fail(E.EPERM);
    if (at.parent ? at.idOf(tid) !== undefined : rootTaken(tid)) fail(E.EEXIST);
  }
}
