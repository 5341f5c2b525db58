// A thread (Linux's task_struct) as handlers see it: the SyscallTask of the contract,
// plus the sentry's bookkeeping of where the host thread is in its life.

import { ERESTARTSYS, SysError } from '../../abi/errno.js';
import { POLL } from '../../abi/linux-poll.js';
import { SIG } from '../../abi/linux-signal.js';
import type { FsContext, Waitable } from '../../vfs/api.js';
import type { FdTable } from './fd-table.js';
import { AddressSpace, type Freeze } from '../platform/ptrace/freezer.js';
import type { TaskPhase } from '../platform/ptrace/stub-exec.js';
import type { ExecImage } from './exec-credentials.js';
import { DEFAULT_SCHED } from './scheduling.js';
import type { IoContext } from './io-priority.js';
import type { KernelServices, ProcessControl, Rlimits, SchedPolicy, SyscallArgs, SyscallResult, SyscallTask, TaskCredentials, TaskMemory } from './syscall.js';
import type { ThreadGroup } from './thread-group.js';
import type { TaskNamespaces } from './namespaces/new-namespaces.js';
import type { Tracee } from './ptrace/tracee.js';
import { WaitQueue } from '../../waiter/index.js';
import type { PidNamespace } from './namespaces/pid-namespace.js';

/** A clone/fork/vfork the host kernel is running for the task. */
export interface CloneInFlight {
  readonly flags: bigint;
  readonly parentTidAddr: bigint;
  readonly childTidAddr: bigint;
  readonly started?: ((childTid: number) => void) | undefined;
  readonly namespaces?: TaskNamespaces | undefined;
  readonly setTid?: readonly number[] | undefined;
  child?: Task;
}

export interface TaskHooks {
  /** Sends a host signal to this task's host thread. */
  signal(task: Task, sig: number): void;
  /** The task went to sleep in one of its waits / its wait just ended. */
  asleep?(task: Task): void;
  woken?(task: Task): void;
  /** Its process's limits as its calls see them (the ptrace sandbox also sets them on the host). */
  rlimits?(group: ThreadGroup): Rlimits;
}

export class Task implements SyscallTask {
  phase: TaskPhase = 'running';
  /** The program to load at the stub's first trap. */
  pendingImage: ExecImage | undefined;
  /** Its address space: its own, or shared with the tasks CLONE_VM shares it with. */
  mm = new AddressSpace();
  /** The other tasks of its address space, frozen until its exec of the stub is over. */
  execFreeze: Freeze | undefined;
  cloneInFlight: CloneInFlight | undefined;
  /**
   * For a call the host kernel runs in a rewritten form (set by SyscallStops from a
   * HostCall's completion): computes the workload's result from the host's at the
   * syscall-exit stop (file mmap fills the anonymous mapping).
   */
  exitHook: ((hostResult: bigint) => SyscallResult) | undefined;
  /**
   * The argument registers as the workload set them, when the sentry rewrote the call:
   * the syscall ABI preserves them (glibc's vfork keeps its return address in rdi), so
   * they are put back at the syscall exit, and in a new child at its first stop.
   */
  savedArgs: SyscallArgs | undefined;
  /** The number of the call the sentry rewrote, for a restart of the original. */
  savedNr = -1;
  /** Still waiting for its first ptrace stop (a new child). */
  awaitingFirstStop = false;
  /** Where to write the child's virtual tid at its first stop (CLONE_CHILD_SETTID). */
  childTidAddr = 0n;
  /** The signal that ended the current wait, to pick EINTR or a restart. */
  interruptedBy = 0;
  /** In a handler that has not answered yet: the task stays stopped. */
  blocked = false;
  /** The siginfo of the SIGSYS a seccomp profile's TRAP queued, for its delivery stop. */
  seccompSiginfo: Buffer | undefined;
  /** Blocked, and its answer may come without any ptrace stop (see Sandbox.awakeAnswers). */
  awake = false;
  /** Set by markExited. */
  exited = false;
  /**
   * The seccomp filters the workload installed on this thread, oldest first (the host
   * holds them; PTRACE_SECCOMP_GET_FILTER reads these checked copies): inherited by its
   * children and kept across exec, as Linux keeps task->seccomp.filter.
   */
  seccompFilters: readonly Uint8Array[] = [];
  /** Told when the thread has ended (its PIDFD_THREAD pidfds' readiness). */
  readonly endEvents = new WaitQueue();
  /**
   * Past its exit stop: it never runs again, though its end has not been reaped yet. A
   * thread joined through CLONE_CHILD_CLEARTID may be in this state when its joiner runs.
   */
  exiting = false;
  /**
   * Set once an execve made the task's program a wasm module: its host process is gone
   * and this sends the task its signals instead.
   */
  wasmSignal: ((sig: number) => void) | undefined;
  /**
   * A thread's own name (PR_SET_NAME), for every thread but the leader, whose name is the
   * process's (ThreadGroup.comm): naming a worker thread does not rename the process.
   */
  threadComm: string | undefined;
  /** Its scheduling policy: the sandbox's record, never the host thread's (scheduling.ts). */
  sched: SchedPolicy = DEFAULT_SCHED;
  /** Its personality (personality.ts); undefined until first asked: its host thread's. */
  personality: number | undefined;
  /** Its io context (ioprio_set), none until one is set or inherited (io-priority.ts). */
  io: IoContext | undefined;
  /** Its side of a ptrace relation with a tracer inside the sandbox (kernel/ptrace/). */
  tracee: Tracee | undefined;
  /**
   * The pid namespace its next children start in (pid_ns_for_children): its process's own
   * until unshare(CLONE_NEWPID) or setns names another.
   */
  pidForChildren: PidNamespace | undefined;
  /** Set by the sandbox right after construction (it needs the task to exist). */
  process!: ProcessControl;
  private cancelWait: (() => void) | undefined;
  private limits: Rlimits | undefined;

  constructor(
    /** Changes once if the thread calls execve while it is not the leader: it takes the leader's. */
    public tid: number,
    public hostTid: number,
    readonly group: ThreadGroup,
    public fds: FdTable,
    public fs: FsContext,
    /** Its namespaces' kernel: replaced when it unshares (namespaces/unshare.ts). */
    public kernel: KernelServices,
    readonly mem: TaskMemory,
    private readonly hooks: TaskHooks,
  ) {}

  get pid(): number {
    return this.group.pid;
  }

  /** The pid namespace it is in (its process's). */
  get pidNamespace(): PidNamespace {
    return this.group.pidns;
  }

  /** The pid namespace its children start in. */
  get childPidNamespace(): PidNamespace {
    return this.pidForChildren ?? this.group.pidns;
  }

  get creds(): TaskCredentials {
    return this.group.creds;
  }

  get rlimits(): Rlimits {
    return (this.limits ??= this.hooks.rlimits?.(this.group) ?? this.group.rlimits);
  }

  waitReady(file: Waitable, events: number): Promise<number> {
    const ready = file.readiness(events);
    if (ready) return Promise.resolve(ready);
    return this.block<number>((resolve, guarded) =>
      file.subscribe(
        events,
        guarded((notified: number) => {
          const now = file.readiness(events) || notified & events;
          if (now) resolve(now);
        }),
      ),
    );
  }

  waitChange(file: Waitable, events: number): Promise<number> {
    return this.block<number>((resolve) => file.subscribe(events, (notified) => resolve(notified & events || notified)));
  }

  waitAnyReady(waits: readonly { file: Waitable; events: number }[], timeoutNs: bigint | undefined): Promise<number[]> {
    const poll = (): number[] => waits.map(({ file, events }) => file.readiness(events));
    const now = poll();
    if (now.some((r) => r !== 0) || timeoutNs === 0n) return Promise.resolve(now);
    return this.block<number[]>((resolve, guarded) => {
      const check = guarded(() => {
        const ready = poll();
        if (ready.some((r) => r !== 0)) resolve(ready);
      });
      const unsubscribes = waits.map(({ file, events }) => file.subscribe(events, check));
      const timer = timeoutNs === undefined ? undefined : setTimeout(guarded(() => resolve(poll())), nsToMs(timeoutNs));
      return () => {
        for (const unsubscribe of unsubscribes) unsubscribe();
        if (timer) clearTimeout(timer);
      };
    });
  }

  sleep(ns: bigint): Promise<void> {
    if (ns <= 0n) return Promise.resolve();
    return this.block<void>((resolve) => {
      const timer = setTimeout(() => resolve(), nsToMs(ns));
      return () => clearTimeout(timer);
    });
  }

  signalSelf(signal: number): void {
    this.hooks.signal(this, signal);
  }

  /** The thread is gone: its wait ends, and its PIDFD_THREAD pidfds see it end. */
  markExited(): void {
    this.exited = true;
    this.interrupt(SIG.KILL);
    this.endEvents.notify(POLL.IN | POLL.RDNORM | POLL.HUP);
  }

  /** Whether the task is inside an interruptible wait. */
  get waiting(): boolean {
    return this.cancelWait !== undefined;
  }

  /** Ends the current wait with ERESTARTSYS because sig arrived (or the task died). */
  interrupt(sig: number): void {
    this.interruptedBy = sig;
    this.cancelWait?.();
  }

  /**
   * Runs start (which subscribes and returns its cleanup) until it resolves or a signal
   * cancels the wait. Its callbacks run from other tasks' calls and from timers: wrapped in
   * guarded, an error in one fails this wait (an internal error of this task), not theirs.
   */
  private block<T>(start: (resolve: (value: T) => void, guarded: <A extends unknown[]>(callback: (...args: A) => void) => (...args: A) => void) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let cleanup: (() => void) | undefined;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        cleanup?.();
        this.cancelWait = undefined;
        this.hooks.woken?.(this);
        return true;
      };
      this.interruptedBy = 0;
      this.cancelWait = () => {
        if (settle()) reject(new SysError(ERESTARTSYS));
      };
      this.hooks.asleep?.(this);
      const guarded = <A extends unknown[]>(callback: (...args: A) => void) => (...args: A): void => {
        try {
          callback(...args);
        } catch (error) {
          if (settle()) reject(error);
        }
      };
      cleanup = start((value) => {
        if (settle()) resolve(value);
      }, guarded);
      if (settled) cleanup();
      // A PTRACE_INTERRUPT that came before the wait (its host stop still unprocessed when
      // the tracer asked) ends it as one during the wait would: the stop comes, then the
      // call again. Otherwise the tracer's wait and this one would wait for each other.
      else if (this.tracee?.interrupted) this.interrupt(SIG.STOP);
    });
  }
}

function nsToMs(ns: bigint): number {
  const ms = Number((ns + 999_999n) / 1_000_000n);
  return Math.min(ms, 2 ** 31 - 1);
}
