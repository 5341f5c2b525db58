// While the host kernel reads memory of a task's address space for the sentry (the path
// and argv of the stub's exec, a filter program, a recvmsg header), no other task sharing
// that address space may run: a thread or a CLONE_VM process would rewrite what the
// kernel is about to read. A freeze stops them (PTRACE_INTERRUPT), waits until each one
// has stopped, and keeps them stopped (the tracer defers every resume of theirs, so their
// stops are handled as usual) until it is released. One freeze per address space at a
// time. A task alone in its address space needs none: the common fork+exec pays nothing.
//
// A pause (`tssc pause`, a cgroup freezer's FROZEN) holds every task of the sandbox the
// same way, those cloned meanwhile too, until the resume; a freeze of one address space
// released during a pause leaves its tasks to the pause.

import { E, fail } from '../../../abi/errno.js';
import type { Tracer } from '../../../native/ptrace.js';
import { CLONE } from '../../../abi/linux-clone.js';

/** An address space (Linux's mm): shared by the tasks CLONE_VM put in it. */
export class AddressSpace {
  /**
   * The stub's sealed exec page in it (stub-exec.ts), when the kernel could seal it: a
   * fork's copy of the address space has it too (a seal survives fork; nothing removes it).
   */
  execPage: bigint | undefined;
  /** The freeze in force on it, if any. */
  freeze: ActiveFreeze | undefined;
  /** Who waits to freeze it next. */
  readonly waiting: (() => void)[] = [];

  /** The copy a fork makes. */
  copy(): AddressSpace {
    const copy = new AddressSpace();
    copy.execPage = this.execPage;
    return copy;
  }
}

export interface Freeze {
  /** Lets the frozen tasks run again (idempotent). */
  release(): void;
}

/** What the freezer knows of a task (the kernel's Task is one). */
export interface FrozenTask {
  readonly hostTid: number;
  readonly exited: boolean;
  readonly exiting: boolean;
  readonly mm: AddressSpace;
  /** A clone, fork or vfork the host is making for it; its child once the host made one. */
  readonly cloneInFlight: { readonly flags: bigint; readonly child?: FrozenTask | undefined } | undefined;
}

/** What the freezer uses of the sandbox. */
export interface FrozenTasks {
  readonly tracer: Tracer;
  hostTasks(): FrozenTask[];
}

const NOTHING_FROZEN: Freeze = { release: () => undefined };

export class ActiveFreeze implements Freeze {
  private released = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly space: AddressSpace,
    private readonly tids: number[],
    private readonly paused: (tid: number) => boolean,
  ) {
    space.freeze = this;
  }

  /** A new task of the address space (a clone in flight when it froze) stays stopped too. */
  adopt(task: FrozenTask): void {
    if (this.tracer.freeze(task.hostTid) >= 0) this.tids.push(task.hostTid);
  }

  /** Whether it keeps host task tid stopped. */
  holds(tid: number): boolean {
    return !this.released && this.tids.includes(tid);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const tid of this.tids) if (!this.paused(tid)) this.tracer.thaw(tid);
    this.space.freeze = undefined;
    this.space.waiting.shift()?.();
  }
}

export class Freezer {
  /** The interrupted tasks whose stop a freeze or the pause still waits for, by host tid. */
  private readonly awaited = new Map<number, (() => void)[]>();
  /** The host tasks the pause holds, while the sandbox is paused. */
  private pausedTids: Set<number> | undefined;

  constructor(private readonly tasks: FrozenTasks) {}

  get paused(): boolean {
    return this.pausedTids !== undefined;
  }

  /**
   * Holds every task of the sandbox stopped: settles once each one has stopped (or ended).
   * Their stops are handled as usual meanwhile; only their resumes wait for resumeAll.
   */
  async pauseAll(): Promise<void> {
    if (this.pausedTids) return;
    const held = new Set<number>();
    this.pausedTids = held;
    const stopsToCome: number[] = [];
    for (const task of this.tasks.hostTasks()) {
      if (task.exited) continue;
      const state = this.tasks.tracer.freeze(task.hostTid);
      if (state < 0) continue; // gone: its end is on its way to the tracer
      held.add(task.hostTid);
      if (state === 0) stopsToCome.push(task.hostTid);
    }
    await this.stopsOf(stopsToCome);
  }

  /** Lets every task the pause holds run again, but those a freeze of their address space still holds. */
  resumeAll(): void {
    const held = this.pausedTids;
    if (!held) return;
    this.pausedTids = undefined;
    const tasks = new Map(this.tasks.hostTasks().map((task) => [task.hostTid, task]));
    for (const tid of held) {
      if (!tasks.get(tid)?.mm.freeze?.holds(tid)) this.tasks.tracer.thaw(tid);
    }
  }

  /** A task new to the sandbox: stopped with its address space's freeze, and by the pause. */
  adopt(task: FrozenTask): void {
    task.mm.freeze?.adopt(task);
    if (this.pausedTids && this.tasks.tracer.freeze(task.hostTid) >= 0) this.pausedTids.add(task.hostTid);
  }

  /**
   * Freezes every other task of task's address space: at once when none has to stop
   * first, else once each has reported a stop (or exit). The caller releases it.
   */
  freezeOthers(task: FrozenTask): Freeze | Promise<Freeze> {
    const space = task.mm;
    if (!space.freeze) return this.begin(task);
    return new Promise<Freeze>((resolve) => {
      space.waiting.push(() => resolve(this.begin(task)));
    });
  }

  /** Runs work (on a live task) with the other tasks of task's address space frozen, then thaws them. */
  whileFrozen<T>(task: FrozenTask, work: () => T): T | Promise<Awaited<T>> {
    return afterFreeze(this.freezeOthers(task), (freeze) => {
      try {
        if (task.exited) fail(E.ESRCH);
        return work();
      } finally {
        freeze.release();
      }
    });
  }

  /** A stop or the end of a host task was reaped (every one passes here). */
  sawStop(hostTid: number): void {
    const arrived = this.awaited.get(hostTid);
    if (!arrived) return;
    this.awaited.delete(hostTid);
    for (const wake of arrived) wake();
  }

  /** Settles once each of tids has reported a stop (or its end). */
  private stopsOf(tids: number[]): Promise<void> {
    if (tids.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let remaining = tids.length;
      for (const tid of tids) {
        const waiters = this.awaited.get(tid) ?? [];
        waiters.push(() => {
          if (--remaining === 0) resolve();
        });
        this.awaited.set(tid, waiters);
      }
    });
  }

  private begin(task: FrozenTask): Freeze | Promise<Freeze> {
    const space = task.mm;
    const others = this.tasks.hostTasks().filter((t) => t !== task && t.mm === space && !t.exited && !t.exiting);
    if (others.length === 0) {
      space.waiting.shift()?.();
      return NOTHING_FROZEN;
    }
    const tracer = this.tasks.tracer;
    const frozen: number[] = [];
    const stopsToCome: number[] = [];
    for (const other of others) {
      const vforkChild = vforkWaitingFor(other);
      // A vfork parent waiting for this very task runs no instruction before the task's
      // exec has released the address space (every read of it done) or the task is gone.
      if (vforkChild === task) continue;
      const state = tracer.freeze(other.hostTid);
      if (state < 0) continue; // gone: its end is on its way to the tracer
      frozen.push(other.hostTid);
      // A vfork parent waiting for another (frozen) child stays in the kernel: its
      // interrupt stops it before its first instruction if that child ever lets it go.
      if (state === 0 && !vforkChild) stopsToCome.push(other.hostTid);
    }
    const freeze = new ActiveFreeze(tracer, space, frozen, (tid) => this.pausedTids?.has(tid) === true);
    if (stopsToCome.length === 0) return freeze;
    return this.stopsOf(stopsToCome).then(() => freeze);
  }
}

/** The vfork child a task is waiting for in the kernel, if it is in a vfork. */
function vforkWaitingFor(task: FrozenTask): FrozenTask | undefined {
  const flight = task.cloneInFlight;
  return flight && flight.flags & CLONE.VFORK ? flight.child : undefined;
}

/** Runs then with value, at once or once the promise settles. */
export function afterFreeze<T>(freeze: Freeze | Promise<Freeze>, then: (freeze: Freeze) => T): T | Promise<Awaited<T>> {
  if (freeze instanceof Promise) return freeze.then(then) as Promise<Awaited<T>>;
  return then(freeze);
}
