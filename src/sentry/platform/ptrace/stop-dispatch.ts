// The tracer's loop: it takes every ptrace stop from the main thread and sends each to
// what handles it (syscalls, clone/exec events, group-stops, the stub's trap), and it
// decides how long the tracer may wait in waitpid before going back to the event loop.

import { isSysError } from '../../../abi/errno.js';
import { NR } from '../../../abi/linux-syscalls.js';
import { PTRACE_EVENT, REG, RESUME, STOP, SYSCALL_OP, type Tracer } from '../../../native/ptrace.js';
import { ECHILD_RESULT, SPIN_US } from './ptrace-platform.js';
import { releaseFutexesOf } from '../../kernel/futex/exit.js';
import { ProgramBreak } from '../../kernel/program-break.js';
import { BAD_EXEC_STATUS, endStubExec, execStub, stubExecFailed, stubExecuted, type StubExecHost } from './stub-exec.js';
import type { ExecImage } from '../../kernel/exec-credentials.js';
import type { ProcessTable } from '../../kernel/process-table.js';
import type { StartGate } from '../../kernel/start-gate.js';
import type { SyscallStops } from '../../kernel/syscall-stops.js';
import type { TaskLifecycle } from '../../kernel/task-lifecycle.js';
import type { TaskEvents } from '../../kernel/task-events.js';
import type { Ptrace } from '../../kernel/ptrace/ptrace.js';
import type { ThreadGroup } from '../../kernel/thread-group.js';
import { loadProgram } from './load.js';
import type { PtracePlatform } from './ptrace-platform.js';
import { SIG, SIGINFO_SIZE } from '../../../abi/linux-signal.js';
import { RUN_ON_HOST, type HostCall } from '../../kernel/syscall.js';
import type { Task } from '../../kernel/task.js';

const SIGTRAP = SIG.TRAP;
const STOP_SIGNALS = new Set<number>([SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU]);

/** The kernel's parts a stop goes to, and the sandbox's state it changes. */
export interface StopDispatchParts {
  readonly platform: PtracePlatform;
  /** The sandbox's pid namespace. */
  readonly procs: ProcessTable;
  readonly syscalls: Pick<SyscallStops, 'onSyscall' | 'onSyscallExit' | 'restoreArgs'>;
  readonly lifecycle: Pick<TaskLifecycle, 'onTaskExit' | 'allGone' | 'killProcess'>;
  /** The kernel's rules for every other event of a task. */
  readonly events: TaskEvents;
  /** The ptrace relations inside the sandbox: a tracee's stops go to its tracer first. */
  readonly ptrace: Ptrace;
  /** Holds the init at the stub's first trap until it opens (OCI create, then start). */
  readonly startGate: StartGate | undefined;
  /** The init process, once started. */
  initGroup(): ThreadGroup | undefined;
  /** A bug of the sentry's while it served task (undefined: none to blame). */
  internalError(task: Task | undefined, where: string, error: unknown): void;
  /** The sandbox is over, with this status. */
  end(status: number): void;
}

export class StopDispatch {
  /** First stops of new children that came before their parent's clone event. */
  private readonly earlyStops = new Map<number, number>();
  /** Ends of new children killed (a group exit) before their parent's clone event came. */
  private readonly earlyExits = new Map<number, number>();
  /** What the stub's exec uses of the sandbox. */
  private readonly stubHost: StubExecHost<ExecImage, Task>;
  /** Read at every stop. */
  private readonly tracer: Tracer;

  constructor(private readonly sandbox: StopDispatchParts) {
    this.tracer = sandbox.platform.tracer;
    this.stubHost = {
      tracer: sandbox.platform.tracer,
      freezer: sandbox.platform.freezer,
      killProcess: (task, status) => sandbox.lifecycle.killProcess(task.group, status),
      releaseFutexes: releaseFutexesOf,
    };
  }

  /** The host half of an execve (stub-exec.ts): the task execs the stub, image is loaded at its first trap. */
  exec(task: Task, image: ExecImage): HostCall | Promise<HostCall> {
    this.sandbox.ptrace.execStarting(task);
    const started = execStub(this.stubHost, task, image);
    // The host runs the task's call: the stub's execveat it is now.
    return started instanceof Promise ? started.then(() => RUN_ON_HOST) : RUN_ON_HOST;
  }

  /**
   * Takes stops until none is pending; pid is a stop already reaped (0: none yet). An
   * internal error while handling one kills the task it was for (Sandbox.internalError),
   * and the others' stops go on being taken.
   */
  pump(pid: number): void {
    const sandbox = this.sandbox;
    const platform = sandbox.platform;
    const tracer = platform.tracer;
    let next = pid;
    for (;;) {
      if (next <= 0) next = tracer.waitStop(SPIN_US, platform.blockUs());
      if (next === ECHILD_RESULT) {
        this.allGone();
        return;
      }
      if (next <= 0) {
        // Back to the event loop: the watcher wakes it for the next stop.
        tracer.armWatcher();
        return;
      }
      const hostPid = next;
      try {
        next = this.handleStop(hostPid);
      } catch (error) {
        sandbox.internalError(sandbox.procs.taskOfHost(hostPid), 'a stop of the tracer', error);
        next = 0;
      }
    }
  }

  /** No tracee is left: the sandbox ends, even if an internal error breaks its ending. */
  private allGone(): void {
    const sandbox = this.sandbox;
    try {
      sandbox.lifecycle.allGone();
    } catch (error) {
      sandbox.internalError(undefined, 'the end of the sandbox', error);
      sandbox.end(sandbox.initGroup()?.exitStatus ?? SIG.KILL);
    }
  }

  /** Handles the stop the tracer just reaped; returns the next stop's pid if it took one. */
  private handleStop(hostPid: number): number {
    const { procs, platform } = this.sandbox;
    const tracer = this.tracer;
    const status = tracer.stop[STOP.status]!;
    const task = procs.taskOfHost(hostPid);
    const stopped = (status & 0xff) === 0x7f;
    platform.freezer.sawStop(hostPid);
    if (!stopped) {
      if (task) {
        endStubExec(task);
        this.sandbox.lifecycle.onTaskExit(task, status);
      } else this.earlyExits.set(hostPid, status);
      return 0;
    }
    const sig = (status >> 8) & 0xff;
    const event = status >>> 16;
    if (event === PTRACE_EVENT.EXIT) {
      // The thread is ending (SIGKILL included): its futexes first (futex-exit.ts).
      const resume = (): void => void tracer.cont(hostPid, 0, RESUME.cont);
      if (task) {
        task.exiting = true;
        endStubExec(task);
        releaseFutexesOf(task);
        this.sandbox.events.accountEndedThread(task);
        if (task.tracee) task.tracee.stop = undefined;
        if (this.sandbox.ptrace.eventStop(task, event, BigInt(tracer.stop[STOP.eventMsg]!), resume)) return 0;
      }
      resume();
      return 0;
    }
    if (!task) {
      this.earlyStops.set(hostPid, status);
      // A live thread with this tid: an end recorded under it was an older thread's.
      this.earlyExits.delete(hostPid);
      return 0;
    }
    if (event === PTRACE_EVENT.SECCOMP) return this.onSeccompStop(task);
    if (sig === (SIGTRAP | 0x80)) return this.onCallStop(task, hostPid);
    switch (event) {
      case PTRACE_EVENT.FORK:
      case PTRACE_EVENT.VFORK:
      case PTRACE_EVENT.CLONE:
        this.onCloneEvent(task, tracer.stop[STOP.eventMsg]!);
        return 0;
      case PTRACE_EVENT.EXEC: {
        const execing = this.sandbox.events.execed(task, tracer.stop[STOP.eventMsg]!);
        stubExecuted(this.stubHost, execing);
        tracer.cont(hostPid, 0, RESUME.cont);
        return 0;
      }
      case PTRACE_EVENT.STOP:
        this.onEventStop(task, sig);
        return 0;
      default:
        break;
    }
    if (task.phase === 'exec') {
      // Back from the stub's exec without it: the exec failed.
      stubExecFailed(this.stubHost, task);
      tracer.cont(hostPid, 0, RESUME.cont);
      return 0;
    }
    if (sig === SIGTRAP && task.phase === 'stub' && task.pendingImage) {
      // The init's first program waits at the start gate (OCI create) until start opens it.
      if (this.holdAtGate(task)) return 0;
      this.onStubTrap(task);
      return 0;
    }
    // A tracer inside the sandbox sees the signal first (its siginfo as the sandbox shows
    // it), and decides which one goes on.
    if (this.sandbox.ptrace.tracesSignals(task, sig)) {
      this.showSiginfo(task, hostPid, sig);
      this.sandbox.ptrace.signalStop(task, sig, (next) => this.deliverSignal(task, hostPid, next, next !== sig));
      return 0;
    }
    this.deliverSignal(task, hostPid, sig, true);
    return 0;
  }

  /**
   * A signal-delivery stop goes on with sig (0: none): the kernel decides whether it goes
   * on, and with what siginfo (showInfo: it is still the host's).
   */
  private deliverSignal(task: Task, hostPid: number, sig: number, showInfo: boolean): void {
    const tracer = this.tracer;
    const siginfo = (): Buffer | undefined => readSiginfo(tracer, hostPid);
    if (sig === 0 || this.sandbox.events.delivering(task, hostPid, sig, siginfo) === 'drop') {
      tracer.cont(hostPid, 0, RESUME.cont);
      return;
    }
    if (showInfo) this.showSiginfo(task, hostPid, sig);
    tracer.cont(hostPid, sig, RESUME.cont);
  }

  /** The siginfo the workload sees for sig, written over the host's. */
  private showSiginfo(task: Task, hostPid: number, sig: number): void {
    const tracer = this.tracer;
    const shown = this.sandbox.events.siginfoShown(task, sig, () => readSiginfo(tracer, hostPid));
    if (shown) tracer.siginfo(hostPid, shown, true);
  }

  /**
   * A syscall stop: the entry of any call of a task whose tracer follows its calls, or
   * the end of a call the host ran (the sentry's own business when it rewrote the call).
   */
  private onCallStop(task: Task, hostPid: number): number {
    const tracer = this.tracer;
    const resume = (sig: number): void => void tracer.cont(hostPid, sig, RESUME.cont);
    if (tracer.stop[STOP.syscallOp] === SYSCALL_OP.entry) {
      if (!this.sandbox.ptrace.callStop(task, 'enter', resume)) resume(0);
      return 0;
    }
    const sentrys = task.exitHook !== undefined || task.cloneInFlight !== undefined || task.savedArgs !== undefined;
    if (!sentrys && this.sandbox.ptrace.callStop(task, 'exit', resume)) return 0;
    return this.sandbox.syscalls.onSyscallExit(task);
  }

  /** A seccomp stop: the kernel's trapped call, unless it is the stub's exec. */
  private onSeccompStop(task: Task): number {
    const phase = task.phase;
    if (phase === 'running') return this.sandbox.syscalls.onSyscall(task);
    if (phase === 'spawning' && !task.exited && this.sandbox.platform.callNumber() === NR.execveat) {
      // The helper's own exec of the stub, before any code of the workload's has run.
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    if (phase === 'exec') {
      // Back from the stub's exec without it: the exec failed.
      stubExecFailed(this.stubHost, task);
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    return this.sandbox.syscalls.onSyscall(task);
  }

  private onEventStop(task: Task, sig: number): void {
    const tracer = this.tracer;
    if (task.awaitingFirstStop) {
      task.awaitingFirstStop = false;
      if (task.savedArgs && tracer.getRegs(task.hostTid) === 0) {
        this.sandbox.syscalls.restoreArgs(task);
        tracer.setRegs(task.hostTid);
      }
      this.sandbox.events.firstStop(task);
      // The first stop of a new child (it reports SIGSTOP) is no group-stop; an
      // auto-attached child's tracer sees it.
      const resume = (): void => void tracer.cont(task.hostTid, 0, RESUME.cont);
      if (!this.sandbox.ptrace.firstStop(task, resume)) resume();
      return;
    }
    // A group-stop (SIGSTOP, SIGTSTP, ...) keeps the task stopped until SIGCONT
    // (PTRACE_LISTEN); any other event-stop, such as the end of one, lets it run.
    const stop = STOP_SIGNALS.has(sig);
    this.sandbox.events.groupStopChanged(task, stop ? sig : undefined);
    const resume = (listen: boolean): void => void tracer.cont(task.hostTid, 0, listen ? RESUME.listen : RESUME.cont);
    if (!this.sandbox.ptrace.groupStop(task, sig, resume)) resume(stop);
  }

  private onCloneEvent(parent: Task, childHost: number): void {
    const sandbox = this.sandbox;
    const child = sandbox.events.cloned(parent, childHost);
    // The event stop the parent's tracer asked for, if any (its child is then traced too).
    const traceEvent = child ? sandbox.ptrace.cloned(parent, child, parent.cloneInFlight!.flags) : 0;
    if (child) {
      // Cloned while its address space was frozen or the sandbox paused: it stays stopped too.
      sandbox.platform.freezer.adopt(child);
      const early = this.earlyStops.get(childHost);
      if (early !== undefined) {
        this.earlyStops.delete(childHost);
        this.onEventStop(child, (early >> 8) & 0xff);
      }
      const ended = this.earlyExits.get(childHost);
      if (ended !== undefined) {
        this.earlyExits.delete(childHost);
        sandbox.lifecycle.onTaskExit(child, ended);
      }
    }
    const resume = (): void => void sandbox.platform.tracer.cont(parent.hostTid, 0, RESUME.toSyscallExit);
    if (child && traceEvent && sandbox.ptrace.pidEventStop(parent, traceEvent, child.tid, resume)) return;
    resume();
  }

  /** The init at its first trap waits for the start gate (OCI start), stopped; true if held. */
  private holdAtGate(task: Task): boolean {
    if (task.group !== this.sandbox.initGroup()) return false;
    return this.sandbox.startGate?.hold(() => {
      if (task.exited) return;
      this.onStubTrap(task);
      this.pump(0);
    }) === true;
  }

  /** The stub's int3 after the kernel exec'd it: the program is loaded in its place. */
  private onStubTrap(task: Task): void {
    const tracer = this.tracer;
    const program = task.pendingImage!;
    task.pendingImage = undefined;
    task.phase = 'running';
    try {
      const loaded = loadProgram(tracer, task.hostTid, program, task.creds, this.sandbox.platform.stub);
      task.mm.execPage = loaded.execPage;
      task.group.auxv = loaded.auxv;
      this.sandbox.events.programLoaded(task, program, ProgramBreak.afterExec(loaded, task.group.hostPid), loaded.segments);
    } catch (e) {
      process.stderr.write(`tssc: cannot load ${program.execfn}: ${isSysError(e) ? e.message : String(e)}\n`);
      this.sandbox.lifecycle.killProcess(task.group, BAD_EXEC_STATUS);
    }
    const resume = (sig: number): void => void tracer.cont(task.hostTid, sig, RESUME.cont);
    if (!this.sandbox.ptrace.execLoaded(task, task.tid, () => returnZero(tracer, task.hostTid), resume)) resume(0);
  }
}

/** execve's result in a task whose new program is loaded: 0, as the kernel's exec leaves rax. */
function returnZero(tracer: Tracer, hostTid: number): void {
  if (tracer.getRegs(hostTid) !== 0) return;
  tracer.regs[REG.rax] = 0n;
  tracer.setRegs(hostTid);
}

/** The siginfo of hostTid's signal-delivery stop; undefined when the tracer cannot read it. */
function readSiginfo(tracer: Tracer, hostTid: number): Buffer | undefined {
  const info = Buffer.alloc(SIGINFO_SIZE);
  return tracer.siginfo(hostTid, info, false) === 0 ? info : undefined;
}
