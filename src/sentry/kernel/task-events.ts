// What the kernel does when a platform reports a task's event other than a trapped call
// (syscall-stops.ts takes those): a clone the host made, an exec by a thread other than
// the leader, a group-stop or its end, a signal about to be delivered, a program loaded
// into a fresh address space, a thread's first stop. The platform decodes its own stops
// and resumes the task afterwards; the Linux rules are here, the same for any platform.

import { CLONE, CSIGNAL } from '../../abi/linux-clone.js';
import { SIG } from '../../abi/linux-signal.js';
import type { FsContext } from '../../vfs/api.js';
import { dumpsCore, killedStatus } from './core-dump.js';
import { addTimes, readHostPeakRssKb, readHostStat } from './cpu-times.js';
import type { ExecImage } from './exec-credentials.js';
import type { FdTable } from './fd-table.js';
import { forgetRobustList } from './futex/robust.js';
import { inheritIoContext } from './io-priority.js';
import type { IpcNamespace } from './ipc/namespace.js';
import { groupContinued, groupStopped, reportStatus } from './job-control.js';
import type { ProcessTable } from './process-table.js';
import { takeSeccompSiginfo } from './profile-enforcement.js';
import type { ProgramBreak } from './program-break.js';
import { inheritScheduling } from './scheduling.js';
import type { SignalDelivery } from './signal-delivery.js';
import { forgetSender, isForcedFault, showSiginfo } from './signal-senders.js';
import type { Task } from './task.js';
import type { KernelServices } from './syscall.js';
import type { TaskLifecycle } from './task-lifecycle.js';
import { faultAtSignalStop } from './test-faults.js';
import { ThreadGroup } from './thread-group.js';
import { writeTid } from './threads.js';

/** What the events change besides the tasks themselves. */
export interface TaskEventsParts {
  /** The sandbox's pid namespace. */
  readonly procs: ProcessTable;
  readonly lifecycle: Pick<TaskLifecycle, 'killProcess' | 'commitExec'>;
  readonly signals: Pick<SignalDelivery, 'initDropsAtDelivery' | 'signalGroup' | 'childSender'>;
  /** The sandbox's IPC namespace (a forked process keeps its System V attachments). */
  readonly ipc: Pick<IpcNamespace, 'processForked'>;
  /** A new task of the sandbox (Sandbox.addTask). */
  addTask(tid: number, hostTid: number, group: ThreadGroup, fds: FdTable, fs: FsContext, kernel?: KernelServices): Task;
  /** Clock ticks since the sandbox started. */
  ticks(): number;
}

/** A mapping of the program's or its interpreter's file pages, as the platform placed them. */
export interface ProgramSegment {
  readonly start: bigint;
  readonly end: bigint;
  /** The file offset at start. */
  readonly offset: bigint;
  /** Of the interpreter rather than the program. */
  readonly interpreter: boolean;
}

/** What a signal-delivery stop becomes. */
export type DeliveryVerdict = 'deliver' | 'drop';

export class TaskEvents {
  constructor(private readonly parts: TaskEventsParts) {}

  /**
   * The host made parent's clone (its call's CloneRequest is in flight): the child's task,
   * in a new process unless CLONE_THREAD, with its fds, fs, signal actions and books as
   * the flags say. undefined when parent had no clone in flight.
   */
  cloned(parent: Task, childHost: number): Task | undefined {
    const parts = this.parts;
    const flight = parent.cloneInFlight;
    if (!flight) return undefined;
    const flags = flight.flags;
    const thread = (flags & CLONE.THREAD) !== 0n;
    const fds = flags & CLONE.FILES ? parent.fds.share() : parent.fds.fork();
    const fs: FsContext = flight.namespaces?.fs ?? (flags & CLONE.FS ? parent.fs : { ...parent.fs });
    // A thread stays in its process's namespace; a process starts in the one its creator names.
    const pidns = thread ? parent.group.pidns : (flight.namespaces?.pidForChildren ?? parent.childPidNamespace);
    const tid = parts.procs.allocatePid(flight.setTid?.[pidns.level]);
    let group = parent.group;
    if (!thread) {
      const pg = parent.group;
      const actions = flags & CLONE.SIGHAND ? pg.sigactions : pg.sigactions.copy();
      // clone3's CLONE_CLEAR_SIGHAND: handled signals back to SIG_DFL, as an exec does.
      if (flags & CLONE.CLEAR_SIGHAND) actions.resetHandled();
      // CLONE_PARENT: a sibling of the caller, with the caller's own exit signal.
      const parentGroup = flags & CLONE.PARENT ? pg.parent : pg;
      group = new ThreadGroup(tid, childHost, parentGroup, pg.pgid, pg.sid, actions, pg.rlimits.copy(), flight.namespaces?.creds ?? pg.creds, parts.ticks());
      group.pidns = pidns;
      group.exitSignal = flags & CLONE.PARENT ? pg.exitSignal : Number(flags & CSIGNAL);
      group.comm = parent.threadComm ?? pg.comm;
      group.cmdline = pg.cmdline;
      group.environ = pg.environ;
      group.exe = pg.exe;
      // CLONE_VM without CLONE_THREAD (vfork) shares the address space, break included.
      group.brk = flags & CLONE.VM ? pg.brk : pg.brk?.copy();
      group.dumpable = pg.dumpable;
      group.fileMappings = pg.fileMappings.copy();
      // A copied address space keeps the System V segments attached; a shared one holds them once.
      if (!(flags & CLONE.VM)) parts.ipc.processForked(pg.pid, tid);
      parentGroup?.children.add(group);
    }
    // clone3's set_tid numbers (the table numbers the rest as it adds the task).
    pidns.assign(tid, group, flight.setTid);
    const child = parts.addTask(tid, childHost, group, fds, fs, flight.namespaces?.kernel ?? parent.kernel);
    child.mm = flags & CLONE.VM ? parent.mm : parent.mm.copy();
    // A new thread starts with its creator's name (a new process too, above).
    if (thread) child.threadComm = parent.threadComm ?? group.comm;
    inheritScheduling(parent, child);
    child.personality = parent.personality;
    child.seccompFilters = parent.seccompFilters;
    inheritIoContext(parent, child, flags);
    child.awaitingFirstStop = true;
    child.savedArgs = parent.savedArgs;
    if (flags & CLONE.CHILD_SETTID) child.childTidAddr = flight.childTidAddr;
    flight.child = child;
    // Written before the child runs: a thread that ends at once has the kernel clear
    // that word (CLONE_CHILD_CLEARTID), and a later write would undo it for pthread_join.
    if (flags & CLONE.PARENT_SETTID) writeTid(parent, flight.parentTidAddr, parent.pidNamespace.numberOf(tid));
    return child;
  }

  /** A new task's first stop, before it runs: CLONE_CHILD_SETTID's word gets its virtual tid. */
  firstStop(task: Task): void {
    if (task.childTidAddr) writeTid(task, task.childTidAddr, task.pidNamespace.numberOf(task.tid));
  }

  /**
   * An exec event of leader's process: when a thread other than the leader made it (its
   * host tid was formerHostTid), the kernel ended the other threads and gave it the
   * leader's host tid; it takes the leader's virtual tid too, and the leader's task is
   * gone without a process exit. Returns the task that exec'd; the old program's robust
   * list went with it.
   */
  execed(leader: Task, formerHostTid: number): Task {
    const execing = this.takeOverLeader(leader, formerHostTid) ?? leader;
    forgetRobustList(execing);
    return execing;
  }

  /**
   * A group-stop began (stopSignal: the signal that stopped it) or ended (undefined): the
   * parent hears of it with SIGCHLD when the process's state changed.
   */
  groupStopChanged(task: Task, stopSignal: number | undefined): void {
    const group = task.group;
    if (stopSignal !== undefined ? groupStopped(group, stopSignal) : groupContinued(group)) {
      const signals = this.parts.signals;
      signals.signalGroup(group.parent!, SIG.CHLD, signals.childSender(group, group.jobReport ? reportStatus(group.jobReport) : 0xffff));
    }
  }

  /**
   * A signal-delivery stop of sig in task (host thread hostTid): 'drop' when it never
   * reaches the workload (init's rule, or a core dump the sentry ends the process for
   * instead); siginfo reads the stop's siginfo.
   */
  delivering(task: Task, hostTid: number, sig: number, siginfo: () => Buffer | undefined): DeliveryVerdict {
    faultAtSignalStop(sig);
    if (this.parts.signals.initDropsAtDelivery(task.group, sig, () => isForcedFault(sig, siginfo))) {
      forgetSender(task.group, sig);
      return 'drop';
    }
    // The signal goes on to the workload, unless it would dump core on the host
    // (core-dump.ts): then the sentry ends the process, the signal never goes on.
    if (dumpsCore(task.group.hostPid, hostTid, sig)) {
      this.parts.lifecycle.killProcess(task.group, killedStatus(task.group, sig));
      return 'drop';
    }
    return 'deliver';
  }

  /**
   * The siginfo the workload's handler gets for a delivered sig: a seccomp trap's SIGSYS
   * the one the kernel built, a signal the sentry sent its virtual sender (siginfo reads
   * the host's). undefined: the host's stays.
   */
  siginfoShown(task: Task, sig: number, siginfo: () => Buffer | undefined): Buffer | undefined {
    const trapped = takeSeccompSiginfo(task, sig);
    if (trapped) return trapped;
    const info = siginfo();
    return info && showSiginfo(info, task.group, sig) ? info : undefined;
  }

  /**
   * The platform loaded program into task's fresh address space (segments: where its file
   * pages went, brk: its break): the exec is committed.
   */
  programLoaded(task: Task, program: ExecImage, brk: ProgramBreak, segments: readonly ProgramSegment[]): void {
    this.parts.lifecycle.commitExec(task, program, brk);
    for (const segment of segments) {
      const location = segment.interpreter ? program.interpreterLocation : program.location;
      if (!location) continue;
      const st = location.dentry.inode.stat();
      const path = task.kernel.vfs.pathOf(task.fs, location);
      task.group.fileMappings.add({ start: segment.start, end: segment.end, offset: segment.offset, path, dev: st.dev, ino: st.ino });
    }
  }

  /** At a thread's exit stop its CPU time is final: it goes to its process's ended threads. */
  accountEndedThread(task: Task): void {
    const group = task.group;
    const stat = readHostStat(group.hostPid, task.hostTid);
    if (!stat) return;
    addTimes(group.endedThreads, { utimeTicks: stat.utimeTicks, stimeTicks: stat.stimeTicks, maxRssKb: readHostPeakRssKb(group.hostPid) });
  }

  /** The execing thread (host tid formerHostTid) takes the leader's place; undefined when the leader exec'd itself. */
  private takeOverLeader(leader: Task, formerHostTid: number): Task | undefined {
    if (formerHostTid === leader.hostTid) return undefined;
    const procs = this.parts.procs;
    const execing = procs.taskOfHost(formerHostTid);
    if (!execing || execing.group !== leader.group) return undefined;
    leader.markExited();
    leader.fds.leave();
    procs.dropHost(leader);
    procs.remove(leader);
    procs.dropHost(execing);
    procs.remove(execing);
    execing.hostTid = leader.hostTid;
    execing.tid = leader.tid;
    procs.add(execing);
    return execing;
  }
}
