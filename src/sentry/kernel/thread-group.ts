// A process (Linux's thread group / signal_struct): its virtual pid, its place in the
// sandbox's process tree, its dispositions, limits and identity, and its exit status.

import { POLL } from '../../abi/linux-poll.js';
import { SIG } from '../../abi/linux-signal.js';
import type { FsContext, Location, Waitable } from '../../vfs/api.js';
import type { JobReport } from './job-control.js';
import { WaitQueue } from '../../waiter/index.js';
import type { RlimitTable } from './rlimits.js';
import type { SignalActions } from './signals.js';
import type { TaskCredentials } from './syscall.js';
import type { Task } from './task.js';
import { zeroTimes, type CpuTimes } from './cpu-times.js';
import { FileMappings } from './file-mappings.js';
import type { AioContexts } from './aio.js';
import { LockedMemory } from './memory-locks.js';
import type { ProgramBreak } from './program-break.js';
import type { PidNamespace } from './namespaces/pid-namespace.js';


export class ThreadGroup {
  readonly tasks = new Set<Task>();
  /**
   * The pid namespace it is in (task_active_pid_ns), set before its first task joins the
   * process table (the sandbox's own namespace when nobody set another).
   */
  pidns!: PidNamespace;
  readonly children = new Set<ThreadGroup>();
  /** The tasks its threads trace (ptrace): their stops and ends go to its wait. */
  readonly tracees = new Set<Task>();
  /** wait4/waitid callers in this process wait here for a child to change state. */
  readonly childEvents = new WaitQueue();
  /** Told of every signal the sentry sends to the process or one of its threads (signalfd). */
  readonly signalsSent = new WaitQueue();
  private status: number | undefined;
  /** Reaped by its parent (or at once): its pid is free and names another process next. */
  reaped = false;
  /** Told when the process ends (POLLIN) and when it is reaped (POLLHUP too): its pidfds' readiness. */
  readonly endEvents = new WaitQueue();
  /**
   * The wait status of the fatal signal the sentry ended it with (a core dump, an internal
   * error): its parent sees this, not the SIGKILL the host killed it with.
   */
  fatalStatus: number | undefined;
  /** In a group-stop (SIGSTOP, SIGTSTP, ...) until a SIGCONT. */
  stopped = false;
  /** A stop or continue the parent's wait has not collected yet. */
  jobReport: JobReport | undefined;
  /** The SIGTSTP/SIGTTIN/SIGTTOU sent to the host as SIGSTOP (see hostSignalFor). */
  stopCause: number | undefined;
  comm: string;
  cmdline: Uint8Array;
  environ: Uint8Array;
  exe: Location | undefined;
  /** The program break of its address space (shared with CLONE_VM children); none for wasm. */
  brk: ProgramBreak | undefined;
  /** The signal its parent gets when it ends (clone's low byte; 0: none): SIGCHLD unless cloned otherwise. */
  exitSignal: number = SIG.CHLD;
  dumpable = true;
  /**
   * Who else may attach to it under Yama's scope 1 (prctl PR_SET_PTRACER): a task (it
   * and its descendants, while it lives) or anyone. It stays across exec, as Yama's does.
   */
  ptracer: Task | 'any' | undefined = undefined;
  /** prctl(PR_SET_PDEATHSIG): the signal it gets when its parent ends (0: none); a fork starts without. */
  parentDeathSignal = 0;
  /** How many execve's have replaced its program (mq_notify stops at the next: self_exec_id). */
  execs = 0;
  /** The filesystem context of the last task, for /proc of a zombie. */
  lastFs: FsContext | undefined;
  /** The auxiliary vector its program started with (/proc/PID/auxv). */
  auxv: Uint8Array | undefined;
  /** What its memory maps from files of the sandbox (/proc/PID/maps). */
  fileMappings = new FileMappings();
  /** Its Linux AIO contexts (aio.ts), for the program its last exec started. */
  aio: AioContexts | undefined;
  /** What it has locked with mlock and friends (advisory: memory-locks.ts). */
  readonly memoryLocks = new LockedMemory(() => this.hostPid);
  /** CPU time of its threads that have ended (each added at its exit stop). */
  readonly endedThreads: CpuTimes = zeroTimes();
  /** What its reaped children and their own reaped children used (RUSAGE_CHILDREN). */
  readonly reapedChildren: CpuTimes = zeroTimes();

  constructor(
    readonly pid: number,
    /** The host pid of the leader (the thread group id on the host). */
    public hostPid: number,
    public parent: ThreadGroup | undefined,
    public pgid: number,
    public sid: number,
    public sigactions: SignalActions,
    public rlimits: RlimitTable,
    public creds: TaskCredentials,
    readonly startTicks: number,
  ) {
    this.comm = '';
    this.cmdline = new Uint8Array();
    this.environ = new Uint8Array();
  }

  /** The raw wait status once every task has exited (a zombie until reaped). */
  get exitStatus(): number | undefined {
    return this.status;
  }

  set exitStatus(status: number | undefined) {
    this.status = status;
    if (status !== undefined) this.endEvents.notify(POLL.IN | POLL.RDNORM);
  }

  /** Its parent collected it (or nobody had to): whatever named it by pid is gone. */
  markReaped(): void {
    this.reaped = true;
    this.endEvents.notify(POLL.IN | POLL.RDNORM | POLL.HUP);
  }

  get zombie(): boolean {
    return this.exitStatus !== undefined;
  }

  /**
   * What wait4 blocks on: woken on every change in a child's state; wait4 then looks
   * for a child that matches. Never "ready" by itself, so a zombie that does not match
   * cannot make a waiter spin.
   */
  readonly childEventWaitable: Waitable = {
    readiness: () => 0,
    subscribe: (mask, callback) => this.childEvents.subscribe(mask, callback),
  };

  /** Runs on every change in a child's state that wait4 can report. */
  notifyChildEvent(): void {
    this.childEvents.notify(1);
  }
}
