// The ptrace relations of one sandbox: tasks a task of the sandbox traces, the
// ptrace-stops the platform's events become for their tracers (signal-delivery, group,
// syscall-enter/exit and PTRACE_EVENT stops), auto-attach of new children, and what the
// tracer's wait reports. The host's own tracer stays the sentry: a tracee is held stopped
// under it while its tracer inside the sandbox looks at it, and goes on when the tracer
// resumes it (ptrace(2)'s rules, emulated over the platform).

import { SIG } from '../../../abi/linux-signal.js';
import { CLONE, CSIGNAL } from '../../../abi/linux-clone.js';
import { PTRACE_EVENT, PTRACE_O } from '../../../abi/linux-ptrace.js';
import { NR } from '../../../abi/linux-syscalls.js';
import type { Platform, RunMode } from '../platform.js';
import type { SignalDelivery } from '../signal-delivery.js';
import type { ChildState } from '../syscall.js';
import type { Task } from '../task.js';
import type { ThreadGroup } from '../thread-group.js';
import { zeroTimes } from '../cpu-times.js';
import { WAIT } from '../job-control.js';
import { trapSignalCode, type SignalSender } from '../signal-senders.js';
import { Tracee, type HeldStop, type PtraceStopKind } from './tracee.js';

/** What the relations need of their sandbox. */
export interface PtraceHost {
  readonly platform: Pick<Platform, 'setRunMode' | 'continueStop' | 'callNumber'>;
  readonly signals: Pick<SignalDelivery, 'signalTask' | 'signalGroup' | 'childSender'>;
  /** A process whose end its tracer collected: its parent hears of it now (TaskLifecycle.tellParent). */
  releasedToParent(group: ThreadGroup): void;
}

const STOPPED = 0x7f;
const STOP_SIGNALS = new Set<number>([SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU]);
/** The option that asks for each PTRACE_EVENT stop. */
const EVENT_OPTION: Record<number, number> = {
  [PTRACE_EVENT.FORK]: PTRACE_O.TRACEFORK,
  [PTRACE_EVENT.VFORK]: PTRACE_O.TRACEVFORK,
  [PTRACE_EVENT.CLONE]: PTRACE_O.TRACECLONE,
  [PTRACE_EVENT.EXEC]: PTRACE_O.TRACEEXEC,
  [PTRACE_EVENT.VFORK_DONE]: PTRACE_O.TRACEVFORKDONE,
  [PTRACE_EVENT.EXIT]: PTRACE_O.TRACEEXIT,
};

export class Ptrace {
  /** Processes whose end a tracer other than their parent has not collected yet: their parent's wait does not see them. */
  private readonly exitsForTracers = new WeakSet<ThreadGroup>();

  constructor(private readonly host: PtraceHost) {}

  /** Makes tracer trace task (the checks are the request's). */
  link(task: Task, tracer: Task, seized: boolean, options: number): Tracee {
    const tracee = new Tracee(tracer, seized);
    tracee.options = options;
    task.tracee = tracee;
    tracer.group.tracees.add(task);
    return tracee;
  }

  /** Ends task's relation (PTRACE_DETACH, its tracer's end): a held stop goes on with sig. */
  detach(task: Task, sig: number): void {
    const tracee = task.tracee;
    if (!tracee) return;
    this.unlink(task);
    this.setRunMode(task, 'plain');
    const stop = tracee.stop;
    tracee.stop = undefined;
    if (stop && !task.exited) stop.resume(sig, false);
  }

  private unlink(task: Task): void {
    const tracee = task.tracee;
    if (!tracee) return;
    task.tracee = undefined;
    tracee.tracer.group.tracees.delete(task);
  }

  /** Resumes a held tracee as its tracer asks (PTRACE_CONT, SYSCALL, SINGLESTEP, LISTEN). */
  resume(task: Task, mode: RunMode, sig: number, listen = false): void {
    const tracee = task.tracee!;
    const stop = tracee.stop!;
    tracee.stop = undefined;
    // The call a syscall-enter stop named is over at its exit stop.
    if (stop.kind === 'syscall-exit') tracee.callNr = -1;
    tracee.runMode = mode;
    this.setRunMode(task, mode);
    stop.resume(sig, listen);
  }

  private setRunMode(task: Task, mode: RunMode): void {
    if (!task.exited && !task.wasmSignal) this.host.platform.setRunMode(task.hostTid, mode);
  }

  /** Whether task's tracer asked to see the stops of every call it makes. */
  tracesCalls(task: Task): boolean {
    return task.tracee?.runMode === 'syscalls' && task.phase === 'running';
  }

  /** Holds task in a ptrace-stop its tracer's wait reports. */
  private hold(task: Task, kind: PtraceStopKind, status: number, resume: HeldStop['resume']): true {
    const tracee = task.tracee!;
    tracee.stop = { kind, status, resume };
    tracee.collected = false;
    this.tellTracer(task, status, trapSignalCode(status, kind === 'group'));
    return true;
  }

  /** The tracer's wait may have something new; it gets SIGCHLD as Linux sends it (child: its si_code and si_status for a stop). */
  private tellTracer(task: Task, status: number, child?: SignalSender['child']): void {
    const tracerGroup = task.tracee!.tracer.group;
    tracerGroup.notifyChildEvent();
    if (tracerGroup.zombie) return;
    const sender = this.host.signals.childSender(task.group, status);
    this.host.signals.signalGroup(tracerGroup, SIG.CHLD, { ...sender, pid: task.tid, child: child ?? sender.child });
  }

  /**
   * A signal-delivery stop of a traced task: held for its tracer, whose resume decides
   * which signal (if any) deliver goes on with. False when the task is not traced.
   */
  signalStop(task: Task, sig: number, deliver: (sig: number) => void): boolean {
    if (!this.tracesSignals(task, sig)) return false;
    return this.hold(task, 'signal', (sig << 8) | STOPPED, (next) => deliver(next));
  }

  /** Whether sig's delivery to task stops it for a tracer first (all but SIGKILL, once its program runs). */
  tracesSignals(task: Task, sig: number): boolean {
    return task.tracee !== undefined && task.phase === 'running' && sig !== SIG.KILL;
  }

  /** A syscall-enter or syscall-exit stop of a task whose tracer asked for them (its call is the platform's current one). */
  callStop(task: Task, at: 'enter' | 'exit', resume: (sig: number) => void): boolean {
    const tracee = task.tracee;
    if (!tracee || !this.tracesCalls(task)) return false;
    if (at === 'enter') tracee.callNr = this.host.platform.callNumber();
    const trap = tracee.options & PTRACE_O.TRACESYSGOOD ? SIG.TRAP | 0x80 : SIG.TRAP;
    return this.hold(task, at === 'enter' ? 'syscall-enter' : 'syscall-exit', (trap << 8) | STOPPED, (sig) => resume(sig));
  }

  /** A PTRACE_EVENT stop (fork, vfork, clone, exec, exit, vfork_done), when the tracer's options ask for it. */
  eventStop(task: Task, event: number, message: bigint, resume: (sig: number) => void): boolean {
    const tracee = task.tracee;
    if (!tracee || !(tracee.options & (EVENT_OPTION[event] ?? 0))) return false;
    tracee.eventMsg = message;
    return this.hold(task, 'event', (event << 16) | (SIG.TRAP << 8) | STOPPED, (sig) => resume(sig));
  }

  /** eventStop whose message is a task (the new child, the vfork child): its tid in the tracer's pid namespace, as ptrace_event_pid gives it. */
  pidEventStop(task: Task, event: number, id: number, resume: (sig: number) => void): boolean {
    const tracer = task.tracee?.tracer;
    return this.eventStop(task, event, BigInt(tracer ? tracer.pidNamespace.numberOf(id) : id), resume);
  }

  /** Whether task's tracer asked for PTRACE_EVENT_VFORK_DONE stops. */
  reportsVforkDone(task: Task): boolean {
    return task.tracee !== undefined && (task.tracee.options & PTRACE_O.TRACEVFORKDONE) !== 0 && task.phase === 'running';
  }

  /**
   * A traced task made a new child (clone flags): it is traced too when the options ask
   * for its kind (auto-attach), and the parent's event stop to report is returned (0: none).
   */
  cloned(parent: Task, child: Task, flags: bigint): number {
    const tracee = parent.tracee;
    if (!tracee || flags & CLONE.UNTRACED) return 0;
    const event = flags & CLONE.VFORK ? PTRACE_EVENT.VFORK : (flags & CSIGNAL) !== BigInt(SIG.CHLD) ? PTRACE_EVENT.CLONE : PTRACE_EVENT.FORK;
    if (!(tracee.options & EVENT_OPTION[event]!)) return 0;
    this.link(child, tracee.tracer, tracee.seized, tracee.options).awaitsFirstStop = true;
    return event;
  }

  /**
   * The first stop of an auto-attached child: a SIGSTOP signal-delivery stop, or under
   * PTRACE_SEIZE an event stop with SIGTRAP (ptrace(2): no SIGSTOP is delivered then).
   */
  firstStop(child: Task, resume: () => void): boolean {
    const tracee = child.tracee;
    // A child another task seized before it first ran has no such stop: it runs on, unless
    // a PTRACE_INTERRUPT waits for one. A PTRACE_ATTACH's SIGSTOP merges into this one.
    if (!tracee || (tracee.seized && !tracee.awaitsFirstStop && !tracee.interrupted)) return false;
    tracee.awaitsFirstStop = false;
    tracee.interrupted = false;
    const status = tracee.seized ? (PTRACE_EVENT.STOP << 16) | (SIG.TRAP << 8) | STOPPED : (SIG.STOP << 8) | STOPPED;
    return this.hold(child, tracee.seized ? 'group' : 'signal', status, () => resume());
  }

  /**
   * A stop event of a traced task: a group-stop for sig (a stop signal), or the end of a
   * PTRACE_INTERRUPT. The tracer resumes it, or keeps a group-stop with PTRACE_LISTEN.
   */
  groupStop(task: Task, sig: number, resume: (listen: boolean) => void): boolean {
    const tracee = task.tracee;
    if (!tracee || task.phase !== 'running') return false;
    const stopping = STOP_SIGNALS.has(sig);
    if (!stopping && !tracee.interrupted) return false;
    tracee.interrupted = false;
    const status = (sig << 8) | STOPPED | (tracee.seized ? PTRACE_EVENT.STOP << 16 : 0);
    return this.hold(task, 'group', status, (_sig, listen) => resume(listen));
  }

  /**
   * Task's new program is loaded (formerTid: the tid it exec'd under; returnZero makes
   * execve's result 0 in its registers): the exec event stop with PTRACE_O_TRACEEXEC, else
   * the SIGTRAP Linux sends a traced task after an exec; then, for a tracer that follows
   * calls, execve's syscall-exit stop.
   */
  execLoaded(task: Task, formerTid: number, returnZero: () => void, resume: (sig: number) => void): boolean {
    const tracee = task.tracee;
    if (!tracee) return false;
    this.setRunMode(task, tracee.runMode);
    returnZero();
    const afterEvent = (sig: number): void => {
      if (this.tracesCalls(task) && task.tracee) {
        tracee.callNr = NR.execve;
        this.hold(task, 'syscall-exit', ((tracee.options & PTRACE_O.TRACESYSGOOD ? SIG.TRAP | 0x80 : SIG.TRAP) << 8) | STOPPED, (next) => resume(next));
        return;
      }
      resume(sig);
    };
    if (tracee.options & PTRACE_O.TRACEEXEC) {
      tracee.eventMsg = BigInt(tracee.tracer.pidNamespace.numberOf(formerTid));
      return this.hold(task, 'event', (PTRACE_EVENT.EXEC << 16) | (SIG.TRAP << 8) | STOPPED, afterEvent);
    }
    this.host.signals.signalTask(task, SIG.TRAP);
    afterEvent(0);
    return true;
  }

  /** Task starts an exec: its tracer sees nothing of the platform's own steps until the program is loaded. */
  execStarting(task: Task): void {
    if (task.tracee) this.setRunMode(task, 'plain');
  }

  /**
   * Task ended with this raw wait status. A tracee's end goes to its tracer's wait first
   * (its parent's wait sees its process only once a tracer that is not the parent has
   * collected it); a tracer's tracees are detached, or killed with PTRACE_O_EXITKILL.
   */
  taskGone(task: Task, status: number): void {
    for (const traced of [...task.group.tracees]) {
      if (traced.tracee?.tracer !== task) continue;
      if (traced.tracee.exitStatus !== undefined) {
        this.exitCollected(traced);
        continue;
      }
      if (traced.tracee.options & PTRACE_O.EXITKILL) this.host.signals.signalTask(traced, SIG.KILL);
      this.detach(traced, 0);
    }
    const tracee = task.tracee;
    if (!tracee) return;
    tracee.stop = undefined;
    const leader = task.tid === task.group.pid;
    if (leader && tracee.tracer.group === task.group.parent) {
      // Its tracer is its parent: the ordinary zombie report is the one.
      this.unlink(task);
      return;
    }
    tracee.exitStatus = status;
    if (leader) this.exitsForTracers.add(task.group);
    this.tellTracer(task, status);
  }

  /** Whether group's end waits for a tracer's wait before its parent may see it. */
  hiddenFromParent(group: ThreadGroup): boolean {
    return this.exitsForTracers.has(group);
  }

  /** Whether group traces any task matches accepts. */
  tracesAny(group: ThreadGroup, matches: (task: Task) => boolean): boolean {
    for (const task of group.tracees) {
      // A leader an exec by another thread of its process replaced ends with no exit of its own.
      if (task.exited && task.tracee?.exitStatus === undefined) this.unlink(task);
    }
    return [...group.tracees].some(matches);
  }

  /**
   * What a wait of group (tracing tasks) collects from its tracees that matches accepts:
   * a ptrace-stop (whatever WUNTRACED says) or an end (with WEXITED); undefined for none.
   * Its pid is what number gives the tracee's tid, asked before a collected end frees it.
   */
  collect(group: ThreadGroup, matches: (task: Task) => boolean, options: number, number: (id: number) => number): ChildState | undefined {
    for (const task of group.tracees) {
      const tracee = task.tracee!;
      if (!matches(task)) continue;
      if (tracee.exitStatus !== undefined) {
        if (!(options & WAIT.EXITED)) continue;
        const pid = number(task.tid);
        if (!(options & WAIT.NOWAIT)) this.exitCollected(task);
        return { pid, uid: task.creds.ruid, status: tracee.exitStatus, times: zeroTimes() };
      }
      if (tracee.stop && !tracee.collected) {
        if (!(options & WAIT.NOWAIT)) tracee.collected = true;
        return { pid: number(task.tid), uid: task.creds.ruid, status: tracee.stop.status, times: zeroTimes(), trapped: true };
      }
    }
    return undefined;
  }

  /** A tracer collected task's end: the relation is over and its parent may see its process. */
  private exitCollected(task: Task): void {
    this.unlink(task);
    const group = task.group;
    if (!this.exitsForTracers.delete(group)) return;
    this.host.releasedToParent(group);
  }
}
