// The tracer's loop: it takes every ptrace stop from the main thread and sends each to
// what handles it (syscalls, clone/exec events, group-stops, the stub's trap), and it
// decides how long the tracer may wait in waitpid before going back to the event loop.

import { isSysError } from '../../../abi/errno.js';
import { NR } from '../../../abi/linux-syscalls.js';
import { PTRACE_EVENT, RESUME, STOP, type Tracer } from '../../../native/ptrace.js';
import { ECHILD_RESULT, SPIN_US } from './ptrace-platform.js';
import type { FsContext } from '../../../vfs/api.js';
import { releaseFutexesOf } from '../../kernel/futex/exit.js';
import { groupContinued, groupStopped, reportStatus } from '../../kernel/job-control.js';
import { loadProgram, type LoadedSegment } from './load.js';
import type { ProgramImage } from '../../loader/image.js';
import { CLONE, CSIGNAL } from '../../../abi/linux-clone.js';
import { ProgramBreak } from '../../kernel/program-break.js';
import { inheritScheduling } from '../../kernel/scheduling.js';
import { inheritIoContext } from '../../kernel/io-priority.js';
import { takeSeccompSiginfo } from '../../kernel/profile-enforcement.js';
import { BAD_EXEC_STATUS, endStubExec, execStub, stubExecFailed, stubExecuted, type StubExecHost } from './stub-exec.js';
import type { ExecImage } from '../../kernel/exec-credentials.js';
import { forgetRobustList } from '../../kernel/futex/robust.js';
import type { ProcessTable } from '../../kernel/process-table.js';
import type { SignalDelivery } from '../../kernel/signal-delivery.js';
import type { StartGate } from '../../kernel/start-gate.js';
import type { SyscallStops } from '../../kernel/syscall-stops.js';
import type { TaskLifecycle } from '../../kernel/task-lifecycle.js';
import type { FdTable } from '../../kernel/fd-table.js';
import type { IpcNamespace } from '../../kernel/ipc/namespace.js';
import type { PtracePlatform } from './ptrace-platform.js';
import { forgetSender, isForcedFault, showSiginfo } from '../../kernel/signal-senders.js';
import { SIG, SIGINFO_SIZE } from '../../../abi/linux-signal.js';
import type { HostCall } from '../../kernel/syscall.js';
import type { Task } from '../../kernel/task.js';
import { ThreadGroup } from '../../kernel/thread-group.js';
import { writeTid } from '../../kernel/threads.js';
import { addTimes, readHostPeakRssKb, readHostStat } from '../../kernel/cpu-times.js';
import { dumpsCore, killedStatus } from '../../kernel/core-dump.js';
import { faultAtSignalStop } from '../../kernel/test-faults.js';

const SIGTRAP = SIG.TRAP;
const STOP_SIGNALS = new Set<number>([SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU]);

/** The kernel's parts a stop goes to, and the sandbox's state it changes. */
export interface StopDispatchParts {
  readonly platform: PtracePlatform;
  /** The sandbox's pid namespace. */
  readonly procs: ProcessTable;
  readonly syscalls: Pick<SyscallStops, 'onSyscall' | 'onSyscallExit' | 'restoreArgs'>;
  readonly lifecycle: Pick<TaskLifecycle, 'onTaskExit' | 'allGone' | 'killProcess' | 'commitExec'>;
  readonly signals: Pick<SignalDelivery, 'initDropsAtDelivery' | 'signalGroup' | 'childSender'>;
  /** The sandbox's IPC namespace (a forked process keeps its System V attachments). */
  readonly ipc: Pick<IpcNamespace, 'processForked'>;
  /** Holds the init at the stub's first trap until it opens (OCI create, then start). */
  readonly startGate: StartGate | undefined;
  /** The init process, once started. */
  initGroup(): ThreadGroup | undefined;
  /** A new task of the sandbox (Sandbox.addTask). */
  addTask(tid: number, hostTid: number, group: ThreadGroup, fds: FdTable, fs: FsContext): Task;
  /** Clock ticks since the sandbox started. */
  ticks(): number;
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
  private readonly stubHost: StubExecHost;

  constructor(private readonly sandbox: StopDispatchParts) {
    this.stubHost = {
      tracer: sandbox.platform.tracer,
      freezer: sandbox.platform.freezer,
      killProcess: (task, status) => sandbox.lifecycle.killProcess(task.group, status),
    };
  }

  /** The host half of an execve (stub-exec.ts): the task execs the stub, image is loaded at its first trap. */
  exec(task: Task, image: ExecImage): HostCall | Promise<HostCall> {
    return execStub(this.stubHost, task, image);
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
    const { procs } = this.sandbox;
    const tracer = this.sandbox.platform.tracer;
    const status = tracer.stop[STOP.status]!;
    const task = procs.taskOfHost(hostPid);
    const stopped = (status & 0xff) === 0x7f;
    this.sandbox.platform.freezer.sawStop(hostPid);
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
      if (task) {
        task.exiting = true;
        endStubExec(task);
        releaseFutexesOf(task);
        accountEndedThread(task);
      }
      tracer.cont(hostPid, 0, RESUME.cont);
      return 0;
    }
    if (!task) {
      this.earlyStops.set(hostPid, status);
      // A live thread with this tid: an end recorded under it was an older thread's.
      this.earlyExits.delete(hostPid);
      return 0;
    }
    if (event === PTRACE_EVENT.SECCOMP) return this.onSeccompStop(task);
    if (sig === (SIGTRAP | 0x80)) return this.sandbox.syscalls.onSyscallExit(task);
    switch (event) {
      case PTRACE_EVENT.FORK:
      case PTRACE_EVENT.VFORK:
      case PTRACE_EVENT.CLONE:
        this.onCloneEvent(task, tracer.stop[STOP.eventMsg]!);
        return 0;
      case PTRACE_EVENT.EXEC: {
        this.onExecEvent(task, tracer.stop[STOP.eventMsg]!);
        const execing = procs.taskOfHost(hostPid) ?? task;
        // The kernel dropped the robust list with the old program.
        forgetRobustList(execing);
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
    faultAtSignalStop(sig);
    if (this.sandbox.signals.initDropsAtDelivery(task.group, sig, () => isForcedFault(sig, () => readSiginfo(tracer, hostPid)))) {
      forgetSender(task.group, sig);
      tracer.cont(hostPid, 0, RESUME.cont);
      return 0;
    }
    // A signal-delivery-stop: the signal goes on to the workload, unless it would dump core
    // on the host (core-dump.ts): then the sentry ends the process, the signal never goes on.
    if (dumpsCore(task.group.hostPid, hostPid, sig)) {
      this.sandbox.lifecycle.killProcess(task.group, killedStatus(task.group, sig));
      tracer.cont(hostPid, 0, RESUME.cont);
      return 0;
    }
    this.showSiginfo(task, hostPid, sig);
    tracer.cont(hostPid, sig, RESUME.cont);
    return 0;
  }

  /** A seccomp stop: the kernel's trapped call, unless it is the stub's exec. */
  private onSeccompStop(task: Task): number {
    const tracer = this.sandbox.platform.tracer;
    if (task.phase === 'spawning' && !task.exited && this.sandbox.platform.callNumber() === NR.execveat) {
      // The helper's own exec of the stub, before any code of the workload's has run.
      tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    if (task.phase === 'exec') {
      // Back from the stub's exec without it: the exec failed.
      stubExecFailed(this.stubHost, task);
      tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    return this.sandbox.syscalls.onSyscall(task);
  }

  /**
   * At a signal-delivery stop: the siginfo the workload's handler gets. A seccomp trap's
   * SIGSYS gets the one the kernel built; a signal the sentry sent shows its virtual sender.
   */
  private showSiginfo(task: Task, hostTid: number, sig: number): void {
    const tracer = this.sandbox.platform.tracer;
    const trapped = takeSeccompSiginfo(task, sig);
    if (trapped) {
      tracer.siginfo(hostTid, trapped, true);
      return;
    }
    const info = readSiginfo(tracer, hostTid);
    if (info && showSiginfo(info, task.group, sig)) tracer.siginfo(hostTid, info, true);
  }

  private onEventStop(task: Task, sig: number): void {
    const tracer = this.sandbox.platform.tracer;
    if (task.awaitingFirstStop) {
      task.awaitingFirstStop = false;
      if (task.savedArgs && tracer.getRegs(task.hostTid) === 0) {
        this.sandbox.syscalls.restoreArgs(task);
        tracer.setRegs(task.hostTid);
      }
      if (task.childTidAddr) writeTid(task, task.childTidAddr, task.tid);
      // The first stop of a new child (it reports SIGSTOP) is no group-stop.
      tracer.cont(task.hostTid, 0, RESUME.cont);
      return;
    }
    // A group-stop (SIGSTOP, SIGTSTP, ...) keeps the task stopped until SIGCONT
    // (PTRACE_LISTEN); any other event-stop, such as the end of one, lets it run.
    const stop = STOP_SIGNALS.has(sig);
    const group = task.group;
    if (stop ? groupStopped(group, sig) : groupContinued(group)) {
      const signals = this.sandbox.signals;
      signals.signalGroup(group.parent!, SIG.CHLD, signals.childSender(group, group.jobReport ? reportStatus(group.jobReport) : 0xffff));
    }
    tracer.cont(task.hostTid, 0, stop ? RESUME.listen : RESUME.cont);
  }

  private onCloneEvent(parent: Task, childHost: number): void {
    const sandbox = this.sandbox;
    const flight = parent.cloneInFlight;
    if (flight) {
      const flags = flight.flags;
      const thread = (flags & CLONE.THREAD) !== 0n;
      const fds = flags & CLONE.FILES ? parent.fds.share() : parent.fds.fork();
      const fs: FsContext = flags & CLONE.FS ? parent.fs : { ...parent.fs };
      const tid = sandbox.procs.allocatePid();
      let group = parent.group;
      if (!thread) {
        const pg = parent.group;
        const actions = flags & CLONE.SIGHAND ? pg.sigactions : pg.sigactions.copy();
        // CLONE_PARENT: a sibling of the caller, with the caller's own exit signal.
        const parentGroup = flags & CLONE.PARENT ? pg.parent : pg;
        group = new ThreadGroup(tid, childHost, parentGroup, pg.pgid, pg.sid, actions, pg.rlimits.copy(), pg.creds, sandbox.ticks());
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
        if (!(flags & CLONE.VM)) sandbox.ipc.processForked(pg.pid, tid);
        parentGroup?.children.add(group);
      }
      const child = sandbox.addTask(tid, childHost, group, fds, fs);
      child.mm = flags & CLONE.VM ? parent.mm : parent.mm.copy();
      // Cloned while its address space was frozen or the sandbox paused: it stays stopped too.
      sandbox.platform.freezer.adopt(child);
      // A new thread starts with its creator's name (a new process too, above).
      if (thread) child.threadComm = parent.threadComm ?? group.comm;
      inheritScheduling(parent, child);
      inheritIoContext(parent, child, flags);
      child.awaitingFirstStop = true;
      child.savedArgs = parent.savedArgs;
      if (flags & CLONE.CHILD_SETTID) child.childTidAddr = flight.childTidAddr;
      flight.child = child;
      // Written before the child runs: a thread that ends at once has the kernel clear
      // that word (CLONE_CHILD_CLEARTID), and a later write would undo it for pthread_join.
      if (flags & CLONE.PARENT_SETTID) writeTid(parent, flight.parentTidAddr, tid);
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
    sandbox.platform.tracer.cont(parent.hostTid, 0, RESUME.toSyscallExit);
  }

  /**
   * An execve done by a thread other than the leader: the kernel ended the other threads
   * and gave the execing one the leader's host tid (formerHostTid was its own); it takes
   * the leader's virtual tid too, and the leader's task is gone without a process exit.
   */
  private onExecEvent(leader: Task, formerHostTid: number): void {
    if (formerHostTid === leader.hostTid) return;
    const procs = this.sandbox.procs;
    const execing = procs.taskOfHost(formerHostTid);
    if (!execing || execing.group !== leader.group) return;
    leader.exited = true;
    leader.interrupt(SIG.KILL);
    leader.fds.leave();
    procs.dropHost(leader);
    procs.remove(leader);
    procs.dropHost(execing);
    procs.remove(execing);
    execing.hostTid = leader.hostTid;
    execing.tid = leader.tid;
    procs.add(execing);
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
    const tracer = this.sandbox.platform.tracer;
    const program = task.pendingImage!;
    task.pendingImage = undefined;
    task.phase = 'running';
    try {
      const loaded = loadProgram(tracer, task.hostTid, program, task.creds, this.sandbox.platform.stub);
      task.mm.execPage = loaded.execPage;
      this.sandbox.lifecycle.commitExec(task, program, ProgramBreak.afterExec(loaded, task.group.hostPid));
      recordProgramMappings(task, program, loaded.segments);
    } catch (e) {
      process.stderr.write(`tssc: cannot load ${program.execfn}: ${isSysError(e) ? e.message : String(e)}\n`);
      this.sandbox.lifecycle.killProcess(task.group, BAD_EXEC_STATUS);
    }
    tracer.cont(task.hostTid, 0, RESUME.cont);
  }
}

/** The siginfo of hostTid's signal-delivery stop; undefined when the tracer cannot read it. */
function readSiginfo(tracer: Tracer, hostTid: number): Buffer | undefined {
  const info = Buffer.alloc(SIGINFO_SIZE);
  return tracer.siginfo(hostTid, info, false) === 0 ? info : undefined;
}

/** At a thread's exit stop its CPU time is final: it goes to its process's ended threads. */
function accountEndedThread(task: Task): void {
  const group = task.group;
  const stat = readHostStat(group.hostPid, task.hostTid);
  if (!stat) return;
  addTimes(group.endedThreads, { utimeTicks: stat.utimeTicks, stimeTicks: stat.stimeTicks, maxRssKb: readHostPeakRssKb(group.hostPid) });
}

/** The program's and its interpreter's file pages, named in /proc/PID/maps. */
function recordProgramMappings(task: Task, program: ProgramImage, segments: readonly LoadedSegment[]): void {
  for (const segment of segments) {
    const location = segment.interpreter ? program.interpreterLocation : program.location;
    if (!location) continue;
    const st = location.dentry.inode.stat();
    const path = task.kernel.vfs.pathOf(task.fs, location);
    task.group.fileMappings.add({ start: segment.start, end: segment.end, offset: segment.offset, path, dev: st.dev, ino: st.ino });
  }
}
