// Signals the sentry sends to tasks of the sandbox: kill(2) of processes (with the
// pid-namespace init's rules), thread-directed signals, job control's SIGTTIN/SIGTTOU on
// terminal access, and the end of waits a signal the host raised itself interrupts. The
// host kernel delivers them: the platform's HostSignals raises them in the host threads.

import { E, ERESTARTSYS, SysError, fail } from '../../abi/errno.js';
import { hostSignalFor, terminalAccess } from './job-control.js';
import { holdsSignal, temporaryMask } from './masked-waits.js';
import type { HostSignals } from '../platform/host-signals.js';
import type { ProcessTable } from './process-table.js';
import { childStateCode, OUTSIDE_SENDER, recordSender, type SignalSender } from './signal-senders.js';
import { SIG } from '../../abi/linux-signal.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { routeProcessSignal } from './threads.js';

/** How often tasks in blocking calls are checked for host-raised signals. */
const PENDING_POLL_MS = 20;

/** What signal delivery needs of its sandbox. */
export interface SignalDeliveryHost {
  readonly procs: ProcessTable;
  readonly host: HostSignals;
  /** The task whose handler runs right now, synchronously: the sender of what it sends. */
  syncCaller(): Task | undefined;
  /** Runs fn for task, which an internal error in it kills. */
  guard(task: Task, where: string, fn: () => void): void;
}

export class SignalDelivery {
  /** Runs while tasks sleep in blocking calls (see pending-signals.ts). */
  private pendingPoll: NodeJS.Timeout | undefined;

  constructor(private readonly sandbox: SignalDeliveryHost) {}

  /**
   * kill(2) of a process, from inside the sandbox or forwarded from outside. The init of
   * a pid namespace (the sandbox's, or a nested one's) only gets the signals it handles
   * (pid_namespaces(7)); from outside (an ancestor namespace, or the sandbox's outside),
   * SIGKILL and SIGSTOP too. So a shell as init survives `kill -TERM 1`, as under runc.
   * A signal init blocks or awaits (sigwaitinfo) is kept, as Linux keeps it.
   */
  signalProcess(group: ThreadGroup, sig: number, fromOutside: boolean): void {
    if (this.initDiscards(group, sig, fromOutside)) return;
    this.signalGroup(group, sig);
  }

  /** Whether sig sent to group goes nowhere by the pid-namespace init's rules (see signalProcess). */
  initDiscards(group: ThreadGroup, sig: number, fromOutside: boolean): boolean {
    if (!isNamespaceInit(group) || group.sigactions.effect(sig) === 'handler' || this.held(group, sig)) return false;
    return !fromOutside || (sig !== SIG.KILL && sig !== SIG.STOP);
  }

  /**
   * Whether group drops sig as it takes it (Linux's get_signal): the pid namespace's init
   * takes a signal with the default action only when it is SIGKILL or SIGSTOP (sent from
   * outside) or a fault forced on it. So one it blocked when sent and unblocked with no
   * handler goes nowhere (glibc's raise blocks every signal around its tgkill).
   */
  initDropsAtDelivery(group: ThreadGroup, sig: number, forcedFault: () => boolean): boolean {
    if (!isNamespaceInit(group) || sig === SIG.KILL || sig === SIG.STOP) return false;
    return group.sigactions.effect(sig) !== 'handler' && !forcedFault();
  }

  /** Whether a thread of group blocks or awaits sig. */
  private held(group: ThreadGroup, sig: number): boolean {
    const host = this.sandbox.host;
    return [...group.tasks].some((t) => !t.wasmSignal && holdsSignal(t, host.blocked(t.hostTid) ?? 0n, sig));
  }

  /** A process-directed signal. */
  signalGroup(group: ThreadGroup, sig: number, sender: SignalSender = this.currentSender()): void {
    if (group.zombie) return;
    const wasm = [...group.tasks].find((t) => t.wasmSignal);
    if (wasm) {
      this.signalTask(wasm, sig, sender);
      return;
    }
    const host = this.sandbox.host;
    const route = routeProcessSignal(group.pid, group.tasks, sig, (t) => temporaryMask(t) ?? host.blocked(t.hostTid));
    if (route.kind === 'task') {
      this.signalTask(route.task, sig, sender);
      return;
    }
    recordSender(group, sig, sender);
    const blocked = (): boolean => ![...group.tasks].some((t) => !holdsSignal(t, host.blocked(t.hostTid) ?? ~0n, sig));
    host.raiseInProcess(group.hostPid, hostSignalFor(group, sig, blocked, this.sandbox.procs.groups()));
    group.signalsSent.notify(1);
  }

  /** A thread-directed signal: the host delivers it; a wait it must end is ended here. */
  signalTask(task: Task, sig: number, sender: SignalSender = this.currentSender()): void {
    if (task.exited) return;
    recordSender(task.group, sig, sender);
    if (task.wasmSignal) {
      task.wasmSignal(sig);
      return;
    }
    const host = this.sandbox.host;
    // A masked wait (ppoll, pselect6, epoll_pwait) blocks what its own mask says.
    const blocked = (): boolean => holdsSignal(task, host.blocked(task.hostTid) ?? 0n, sig);
    host.raiseInThread(task.group.hostPid, task.hostTid, hostSignalFor(task.group, sig, blocked, this.sandbox.procs.groups()));
    task.group.signalsSent.notify(1);
    if (!task.waiting) return;
    if (holdsSignal(task, host.stoppedMask(task.hostTid), sig) && sig !== SIG.KILL) return;
    if (task.group.sigactions.effect(sig) !== 'ignore') task.interrupt(sig);
  }

  /**
   * Job control of a terminal access by the task whose handler runs (see terminalAccess):
   * EIO, or its process group gets SIGTTIN/SIGTTOU and the call restarts once continued.
   * Continuations after a wait are not checked: their caller is not known here.
   */
  checkTerminalAccess(terminal: { session: number | undefined; foreground: number | undefined }, kind: 'read' | 'write'): void {
    const task = this.sandbox.syncCaller();
    if (!task) return;
    const blocks = (sig: number): boolean => ((this.sandbox.host.stoppedMask(task.hostTid) >> BigInt(sig - 1)) & 1n) === 1n;
    const groups = this.sandbox.procs.groups();
    const verdict = terminalAccess({ group: task.group, blocks }, terminal, kind, groups);
    if (verdict === 'ok') return;
    if (verdict === 'eio') fail(E.EIO);
    const pgid = task.group.pgid;
    for (const group of groups) {
      if (group.pgid === pgid) this.signalGroup(group, verdict);
    }
    task.interruptedBy = verdict;
    throw new SysError(ERESTARTSYS);
  }

  /** The sender of the SIGCHLD a change of child's state (raw wait status) raises. */
  childSender(child: ThreadGroup, status: number): SignalSender {
    return { pid: child.pid, uid: child.creds.ruid, child: childStateCode(status) };
  }

  /** Ends the waits of tasks for which the host kernel has queued a signal that must end them. */
  pollPendingSignals(): void {
    if (this.pendingPoll) return;
    this.pendingPoll = setInterval(() => {
      const waiting = this.sandbox.procs.hostTasks().filter((t) => t.waiting);
      if (waiting.length === 0) {
        this.stopPolling();
        return;
      }
      for (const task of waiting) {
        this.sandbox.guard(task, 'the check for host-raised signals', () => {
          for (const sig of this.sandbox.host.deliverable(task.hostTid, temporaryMask(task))) {
            if (task.group.sigactions.effect(sig) !== 'ignore') {
              task.interrupt(sig);
              break;
            }
          }
        });
      }
    }, PENDING_POLL_MS);
  }

  stopPolling(): void {
    clearInterval(this.pendingPoll);
    this.pendingPoll = undefined;
  }

  /** Who a signal sent now comes from: the task whose handler runs, else the outside. */
  private currentSender(): SignalSender {
    const task = this.sandbox.syncCaller();
    return task ? { pid: task.pid, uid: task.creds.ruid } : OUTSIDE_SENDER;
  }
}

/** Whether group is the init of its pid namespace (the sandbox's own or a nested one). */
export function isNamespaceInit(group: ThreadGroup): boolean {
  return group.pidns?.init === group;
}
