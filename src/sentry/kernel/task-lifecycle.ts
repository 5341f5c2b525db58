// How tasks and processes of the sandbox end and change program: a task's exit, a
// process's last thread gone (zombie, SIGCHLD, reparenting to init), the end of the pid
// namespace with its init, and what an execve resets.

import { sandboxStatus } from './core-dump.js';
import { commitExecCredentials } from './exec-credentials.js';
import { personalityAfterExec, personalityOf } from './personality.js';
import type { ExecImage } from './exec-credentials.js';
import type { ProgramBreak } from './program-break.js';
import { SIG } from '../../abi/linux-signal.js';
import { groupsOrphanedBy } from './job-control.js';
import type { ProcessTable } from './process-table.js';
import type { SignalDelivery } from './signal-delivery.js';
import { SA, SIG_IGN, isValidSignal } from './signals.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/** What the lifecycle acts on besides the tasks and processes themselves. */
export interface LifecycleHost {
  /** The sandbox's pid namespace. */
  readonly procs: ProcessTable;
  /** SIGCHLD to a parent. */
  readonly signals: Pick<SignalDelivery, 'signalGroup' | 'signalProcess' | 'childSender' | 'initDiscards'>;
  /** The init process (pid 1); undefined before it starts. */
  initGroup(): ThreadGroup | undefined;
  /** SIGKILL to task's host thread: its end comes back as onTaskExit. */
  killHostThread(task: Task): void;
  /** A process's IPC state (semaphore undo, message queue registrations) ends with it. */
  processExited(pid: number): void;
  /** Whether a tracer other than group's parent must collect its end before the parent hears of it (ptrace). */
  heldForTracer(group: ThreadGroup): boolean;
  /** A task ended with the wait status its parent sees (the syscall observer's). */
  taskExited(task: Task, status: number): void;
  /** A process with no parent in the sandbox (one started by exec) ended: its starter is told. */
  unparentedExited(group: ThreadGroup): void;
  /** A session's leader is gone. */
  endSession(sid: number): void;
  /** The sandbox is over (init gone, no task left), with init's status. */
  end(status: number): void;
}

export class TaskLifecycle {
  constructor(private readonly host: LifecycleHost) {}

  /** The host thread of task ended with this raw wait status. */
  onTaskExit(task: Task, status: number): void {
    // The host process of a task that became wasm: the task itself lives on.
    if (this.host.procs.dropHost(task)) this.taskGone(task, status);
  }

  taskGone(task: Task, hostStatus: number): void {
    task.markExited();
    this.host.procs.remove(task);
    const group = task.group;
    group.lastFs = task.fs;
    const status = group.fatalStatus ?? sandboxStatus(group, hostStatus);
    this.host.taskExited(task, status);
    task.fds.leave();
    if (group.tasks.size > 0) return;
    group.exitStatus = status;
    group.stopped = false;
    group.jobReport = undefined;
    this.groupExited(group);
  }

  /**
   * Ends group as a fatal signal does, with every thread (Linux's group exit): the host
   * kills it with SIGKILL, and its parent sees status (the first such end counts).
   */
  killProcess(group: ThreadGroup, status: number): void {
    if (group.zombie) return;
    group.fatalStatus ??= status;
    for (const task of group.tasks) task.wasmSignal?.(SIG.KILL);
    // A SIGKILL to one thread ends them all; tgkill names a thread that is still there, so
    // no reused host pid is hit.
    const onHost = [...group.tasks].find((t) => !t.exited && !t.wasmSignal);
    if (onHost) this.host.killHostThread(onHost);
  }

  /** What an execve past its point of no return changes in the process. */
  commitExec(task: Task, program: Pick<ExecImage, 'execfn' | 'argv' | 'envp' | 'location' | 'credentials'>, brk: ProgramBreak | undefined): void {
    const group = task.group;
    if (this.sharesFdsOutside(task)) {
      // Linux's exec unshares an fd table another process uses: close-on-exec is its own.
      const own = task.fds.fork();
      task.fds.leave();
      task.fds = own;
    }
    commitExecCredentials(task, program.credentials);
    task.personality = personalityAfterExec(personalityOf(task), program.credentials?.secure ?? false);
    task.fds.closeOnExec();
    group.aio?.endPolls();
    group.sigactions.resetHandled();
    const base = program.execfn.slice(program.execfn.lastIndexOf('/') + 1);
    group.comm = base.slice(0, 15);
    task.threadComm = undefined;
    group.cmdline = Buffer.from(program.argv.map((a) => `${a}\0`).join(''), 'latin1');
    group.environ = Buffer.from(program.envp.map((a) => `${a}\0`).join(''), 'latin1');
    group.exe = program.location;
    group.execs++;
    group.brk = brk;
    group.fileMappings.clear();
    task.kernel.ipc.processExecuted(group.pid);
    group.memoryLocks.unlockAll();
  }

  /** Whether a task of another process uses task's fd table (CLONE_FILES without CLONE_THREAD). */
  private sharesFdsOutside(task: Task): boolean {
    const { procs } = this.host;
    return task.fds.shared && [...procs.hostTasks(), ...procs.wasmTasks()].some((t) => t.fds === task.fds && t.group !== task.group);
  }

  /** waitpid said no tracee is left: whatever the tables say, the sandbox is over. */
  allGone(): void {
    const procs = this.host.procs;
    for (const task of procs.hostTasks()) this.onTaskExit(task, SIG.KILL);
    if (procs.liveCount > 0) return;
    this.maybeFinish();
  }

  private groupExited(group: ThreadGroup): void {
    const procs = this.host.procs;
    group.aio?.endPolls();
    this.host.processExited(group.pid);
    const ns = group.pidns;
    // Orphans go to the init of the namespace their parent was in (find_child_reaper).
    const init = ns.init;
    if (group.pid === group.sid) this.host.endSession(group.sid);
    if (group === init) {
      // A pid namespace ends with its init: every other task in it and below it is
      // killed, and nobody joins it any more (zap_pid_ns_processes).
      ns.closed = true;
      for (const other of procs.hostTasks()) if (ns.contains(other.group.pidns)) this.host.killHostThread(other);
      for (const other of procs.wasmTasks()) if (ns.contains(other.group.pidns)) other.wasmSignal?.(SIG.KILL);
    } else if (init) {
      const children = [...group.children];
      // PR_SET_PDEATHSIG: each child that asked hears of its parent's end, from the parent.
      for (const child of children) {
        if (child.parentDeathSignal) this.host.signals.signalGroup(child, child.parentDeathSignal, { pid: group.pid, uid: group.creds.ruid });
      }
      for (const child of children) {
        child.parent = init;
        init.children.add(child);
      }
      if (children.length > 0) init.notifyChildEvent();
      group.children.clear();
      this.hangUpOrphaned(group, children);
    }
    // A nested namespace's init ends for its parent only once the rest of it has gone.
    if (group === init && this.namespaceStillRuns(group)) ns.initEndHeld = true;
    else this.ended(group);
    for (const above of ns.lineage()) {
      const held = above.init;
      if (above.initEndHeld && held && !this.namespaceStillRuns(held)) {
        above.initEndHeld = false;
        this.ended(held);
      }
    }
    this.maybeFinish();
  }

  /** Whether a process other than init still runs in init's namespace or below it. */
  private namespaceStillRuns(init: ThreadGroup): boolean {
    const ns = init.pidns;
    return ns.parent !== undefined && this.host.procs.groups().some((g) => g !== init && !g.zombie && ns.contains(g.pidns));
  }

  /** Ended group's parent hears of it, or nobody has to: reaped at once (the sandbox's init stays for run()). */
  private ended(group: ThreadGroup): void {
    const parent = group.parent;
    if (parent && !parent.zombie) {
      // A tracer that is not the parent collects the end first; the parent hears of it then.
      if (!this.host.heldForTracer(group)) this.tellParent(group);
    } else if (group !== this.host.initGroup()) {
      this.host.procs.reap(group);
      if (!parent) this.host.unparentedExited(group);
    }
  }

  /** The parent of ended group hears of it: its wait, and its exit signal. */
  tellParent(group: ThreadGroup): void {
    const { procs, signals } = this.host;
    const parent = group.parent;
    if (!parent || parent.zombie) return;
    const chld = parent.sigactions.get(SIG.CHLD);
    // Ignoring SIGCHLD reaps a child that ends with it at once; a wait blocked for it then
    // finds none left (ECHILD). A child cloned with another exit signal stays a zombie.
    if (group.exitSignal === SIG.CHLD && (chld.handler === SIG_IGN || chld.flags & SA.NOCLDWAIT)) procs.reap(group);
    parent.notifyChildEvent();
    // As any signal from inside: init drops an exit signal it has no handler for (a child
    // cloned with CLONE_PARENT and SIGTERM as its exit signal does not end the sandbox).
    const sig = group.exitSignal;
    if (isValidSignal(sig) && !signals.initDiscards(parent, sig, false)) signals.signalGroup(parent, sig, signals.childSender(group, group.exitStatus!));
  }

  /** SIGHUP then SIGCONT to each stopped process group group's exit left orphaned (see groupsOrphanedBy). */
  private hangUpOrphaned(group: ThreadGroup, children: readonly ThreadGroup[]): void {
    const { procs, signals } = this.host;
    const all = procs.groups();
    for (const pgid of groupsOrphanedBy(group, children, all)) {
      for (const sig of [SIG.HUP, SIG.CONT]) {
        for (const member of all) if (member.pgid === pgid && !member.zombie) signals.signalProcess(member, sig, false);
      }
    }
  }

  private maybeFinish(): void {
    const init = this.host.initGroup();
    if (!init?.zombie || this.host.procs.liveCount > 0) return;
    this.host.end(init.exitStatus!);
  }
}
