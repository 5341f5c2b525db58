// How tasks and processes of the sandbox end and change program: a task's exit, a
// process's last thread gone (zombie, SIGCHLD, reparenting to init), the end of the pid
// namespace with its init, and what an execve resets.

import { sandboxStatus } from './core-dump.js';
import { commitExecCredentials } from './exec-credentials.js';
import type { ProgramImage } from './loader/image.js';
import type { ProgramBreak } from './program-break.js';
import type { Sandbox } from './sandbox.js';
import { SIG } from '../abi/linux-signal.js';
import { SA, SIG_IGN } from './signals.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

export class TaskLifecycle {
  constructor(private readonly sandbox: Sandbox) {}

  /** The host thread of task ended with this raw wait status. */
  onTaskExit(task: Task, status: number): void {
    // The host process of a task that became wasm: the task itself lives on.
    if (this.sandbox.procs.dropHost(task)) this.taskGone(task, status);
  }

  taskGone(task: Task, hostStatus: number): void {
    task.exited = true;
    task.interrupt(SIG.KILL);
    this.sandbox.procs.remove(task);
    const group = task.group;
    group.lastFs = task.fs;
    const status = group.fatalStatus ?? sandboxStatus(group, hostStatus);
    this.sandbox.observer?.exit?.(task, status);
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
    if (onHost) this.sandbox.tracer.tgkill(group.hostPid, onHost.hostTid, SIG.KILL);
  }

  /** What an execve past its point of no return changes in the process. */
  commitExec(task: Task, program: Pick<ProgramImage, 'execfn' | 'argv' | 'envp' | 'location' | 'credentials'>, brk: ProgramBreak | undefined): void {
    const group = task.group;
    if (this.sharesFdsOutside(task)) {
      // Linux's exec unshares an fd table another process uses: close-on-exec is its own.
      const own = task.fds.fork();
      task.fds.leave();
      task.fds = own;
    }
    commitExecCredentials(task, program.credentials);
    task.fds.closeOnExec();
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
    group.memoryLocks.unlockAll();
  }

  /** Whether a task of another process uses task's fd table (CLONE_FILES without CLONE_THREAD). */
  private sharesFdsOutside(task: Task): boolean {
    const { procs } = this.sandbox;
    return task.fds.shared && [...procs.hostTasks(), ...procs.wasmTasks()].some((t) => t.fds === task.fds && t.group !== task.group);
  }

  /** waitpid said no tracee is left: whatever the tables say, the sandbox is over. */
  allGone(): void {
    const procs = this.sandbox.procs;
    for (const task of procs.hostTasks()) this.onTaskExit(task, SIG.KILL);
    if (procs.liveCount > 0) return;
    this.maybeFinish();
  }

  private groupExited(group: ThreadGroup): void {
    const { procs, tracer, signals } = this.sandbox;
    this.sandbox.kernel.ipc.processExited(group.pid);
    const init = this.sandbox.initGroup;
    if (group.pid === group.sid) this.sandbox.endSession(group.sid);
    if (group === init) {
      // The pid namespace ends with its init: every other task is killed.
      for (const other of procs.hostTasks()) tracer.tgkill(other.group.hostPid, other.hostTid, SIG.KILL);
      for (const other of procs.wasmTasks()) other.wasmSignal?.(SIG.KILL);
    } else if (init) {
      for (const child of group.children) {
        child.parent = init;
        init.children.add(child);
      }
      if (group.children.size > 0) init.notifyChildEvent();
      group.children.clear();
    }
    const parent = group.parent;
    if (parent && !parent.zombie) {
      const chld = parent.sigactions.get(SIG.CHLD);
      // Ignoring SIGCHLD reaps the child at once; a wait blocked for it then finds none left (ECHILD).
      if (chld.handler === SIG_IGN || chld.flags & SA.NOCLDWAIT) this.sandbox.reap(group);
      parent.notifyChildEvent();
      signals.signalGroup(parent, SIG.CHLD, signals.childSender(group, group.exitStatus!));
    } else if (group !== init) {
      this.sandbox.reap(group);
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    const init = this.sandbox.initGroup;
    if (!init?.zombie || this.sandbox.procs.liveCount > 0) return;
    this.sandbox.end(init.exitStatus!);
  }
}
