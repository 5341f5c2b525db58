// The sentry's kernel for Linux workloads on the ptrace platform: it starts the init
// task under the seccomp filter, takes every ptrace stop from the main thread, answers
// trapped syscalls through the registered table, and keeps the sandbox's process tree
// (virtual pids, zombies, reparenting to init, the end of the pid namespace).

import { E, ERESTARTSYS, SysError, fail, isSysError } from '../abi/errno.js';
import { loadTracer, PTRACE_EVENT, PTRACE_O, REG, RESUME, STOP, type Tracer } from '../native/ptrace.js';
import type { FileDescription, FsContext, Vfs } from '../vfs/api.js';
import { fsCredentials, makeCredentials, type IdentitySpec } from './credentials.js';
import { FdTable } from './fd-table.js';
import { groupContinued, groupStopped, hostSignalFor, reportStatus, terminalAccess } from './job-control.js';
import { childStateCode, OUTSIDE_SENDER, recordSender, showVirtualSender, type SignalSender } from './signal-senders.js';
import { prepareProgram, type ProgramImage } from './loader/image.js';
import { loadProgram } from './loader/load.js';
import { PtraceMemory } from './memory.js';
import { CLONE, TaskProcess } from './process-control.js';
import { ProcessTable } from './process-table.js';
import { RLIMIT, type RlimitTable } from './rlimits.js';
import { deliverableSignals } from './pending-signals.js';
import { interruptedOutcome, isRestartCode } from './restart.js';
import { buildSeccompFilter } from './seccomp-filter.js';
import { SA, SIG, SIG_IGN, SignalActions } from './signals.js';
import { RUN_ON_HOST, type KernelServices, type SyscallArgs, type SyscallResult, type SyscallTable } from './syscall.js';
import { Task } from './task.js';
import { hostBlockedSignals, routeProcessSignal, writeTid } from './threads.js';
import type { WasmSyscallTable } from './wasm/process.js';
import { ThreadGroup } from './thread-group.js';
import { makeKernelServices } from './kernel-services.js';

/**
 * After answering a syscall the next stop usually comes within microseconds: the tracer
 * polls for SPIN_US, then sleeps in waitpid for up to BLOCK_US before it goes back to the
 * event loop (measured in bench/getppid.mjs: a blocking wait is what the C floor does and
 * what holds up on a loaded machine). It never blocks while a woken task waits for its
 * answer in the event loop.
 */
const SPIN_US = 5;
const BLOCK_US = 1000;
const TRACE_OPTIONS =
  PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK | PTRACE_O.TRACECLONE |
  PTRACE_O.TRACEEXEC | PTRACE_O.TRACESECCOMP | PTRACE_O.EXITKILL;
const SIGTRAP = SIG.TRAP;
const STOP_SIGNALS = new Set<number>([SIG.STOP, SIG.TSTP, SIG.TTIN, SIG.TTOU]);
const ECHILD_RESULT = -E.ECHILD;

export interface InitProcess {
  /** The program's path inside the sandbox (args[0] after the PATH lookup). */
  program: string;
  argv: readonly string[];
  envp: readonly string[];
  /** The working directory, an absolute path inside the sandbox. */
  cwd: string;
  identity: IdentitySpec;
  umask: number;
  rlimits: RlimitTable;
  /** The descriptions to install at fds 0, 1, 2 (the sandbox takes over one reference each). */
  stdio: readonly FileDescription[];
}

/** Sees every trapped syscall once it has an answer (strace). */
export interface SyscallObserver {
  /** result is undefined when the host kernel runs the call (execve, clone, rt_sigaction). */
  syscall(task: Task, nr: number, args: SyscallArgs, result: SyscallResult | undefined): void;
  /** A task ended: status is the raw wait status. */
  exit?(task: Task, status: number): void;
}

/** How an execve of a wasm module runs it (the WASI table, given by the composer). */
export interface WasmSupport {
  table: WasmSyscallTable;
  memoryLimitBytes?: number;
  onTrap?: (pid: number, reason: string) => void;
}

/** How often tasks in blocking calls are checked for host-raised signals. */
const PENDING_POLL_MS = 20;

/** Tasks a sandbox may have at once when the spec sets no pids limit. */
export const DEFAULT_MAX_TASKS = 4096;

export interface SandboxOptions {
  table: SyscallTable;
  /** The most tasks (threads included) at once: clone fails with EAGAIN beyond it. */
  maxTasks?: number;
  /** Lets execve run wasm modules; without it they are ENOEXEC. */
  wasm?: WasmSupport;
  vfs: Vfs;
  hostname: string;
  domainname: string;
  init: InitProcess;
  observer?: SyscallObserver;
}

/**
 * The limits the host kernel enforces on the workload's real processes (CPU time, memory,
 * stack, core dumps, locked memory); files and fds are the sentry's and are checked there.
 * Lowering a limit needs no privilege; a limit above tssc's own hard limit stays at it.
 */
function hostLimits(rlimits: RlimitTable): [number, number, number][] {
  const toHost = (v: bigint): number => (v >= BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v));
  return [RLIMIT.CPU, RLIMIT.DATA, RLIMIT.STACK, RLIMIT.CORE, RLIMIT.MEMLOCK, RLIMIT.AS].map((resource) => {
    const { cur, max } = rlimits.get(resource);
    return [resource, toHost(cur), toHost(max)];
  });
}

export class Sandbox {
  readonly tracer: Tracer;
  readonly kernel: KernelServices;
  private readonly procs = new ProcessTable();
  /** First stops of new children that came before their parent's clone event. */
  private readonly earlyStops = new Map<number, number>();
  /** Ends of new children killed (a group exit) before their parent's clone event came. */
  private readonly earlyExits = new Map<number, number>();
  /** The task whose syscall handler is running (for /proc/self and terminals). */
  currentTask: Task | undefined;
  /** The task whose handler runs right now, synchronously (not a continuation after a wait). */
  private syncCaller: Task | undefined;
  private init: ThreadGroup | undefined;
  private finish: ((status: number) => void) | undefined;
  private readonly onStop = (): void => this.pump(0);
  /**
   * Async handlers whose answer may come without any stop: not asleep in one of the
   * task's waits (a promise that settles in a microtask, or a wait that has just ended).
   * While there are any, the tracer must not sleep in waitpid.
   */
  private awakeAnswers = 0;
  /**
   * The stop watcher does not keep Node's loop alive; this timer does while the sandbox
   * runs (and would take any stop the watcher missed).
   */
  private keepAlive: NodeJS.Timeout | undefined;
  /** Runs while tasks sleep in blocking calls (see pending-signals.ts). */
  private pendingPoll: NodeJS.Timeout | undefined;

  constructor(private readonly options: SandboxOptions) {
    this.tracer = loadTracer();
    this.kernel = makeKernelServices(options.vfs, options.hostname, options.domainname);
  }

  /**
   * Starts init and resolves with its raw wait status once the whole sandbox is gone.
   * Errors of the init program itself (ENOENT, EACCES, ENOEXEC) reject before anything runs.
   */
  run(): Promise<number> {
    const { init, table } = this.options;
    const creds = makeCredentials(init.identity);
    const root = this.options.vfs.root;
    const fs: FsContext = { root, cwd: root, umask: init.umask, creds: fsCredentials(creds) };
    fs.cwd = this.options.vfs.resolve(fs, undefined, init.cwd, { follow: true, directory: true });
    const program = prepareProgram(this.options.vfs, fs, undefined, init.program, init.argv, init.envp);

    const fds = new FdTable();
    init.stdio.forEach((file, fd) => fds.installAt(fd, file));
    const hostPid = this.tracer.spawn(this.tracer.stubPath, [], buildSeccompFilter(table), TRACE_OPTIONS, hostLimits(init.rlimits));
    if (hostPid < 0) throw new Error(`cannot start the workload: ${new SysError(-hostPid).message}`);

    const pid = this.procs.allocatePid();
    const group = new ThreadGroup(pid, hostPid, undefined, pid, pid, new SignalActions(), init.rlimits, creds, this.ticks());
    this.init = group;
    const task = this.addTask(pid, hostPid, group, fds, fs);
    task.phase = 'spawning';
    task.pendingImage = program;

    const done = new Promise<number>((resolve) => {
      this.finish = resolve;
    });
    if (this.tracer.onStop) throw new Error('one traced sandbox per process at a time');
    this.tracer.onStop = this.onStop;
    this.keepAlive = setInterval(this.onStop, 500);
    this.pump(0);
    return done;
  }

  groupByPid(pid: number): ThreadGroup | undefined {
    return this.procs.group(pid);
  }

  taskByTid(tid: number): Task | undefined {
    return this.procs.task(tid);
  }

  /** Whether one more task would exceed the sandbox's limit (spec linux.resources.pids). */
  atTaskLimit(): boolean {
    return this.procs.liveCount >= (this.options.maxTasks ?? DEFAULT_MAX_TASKS);
  }

  groups(): ThreadGroup[] {
    return this.procs.groups();
  }

  /** The init process (pid 1), for signals forwarded from the outside. */
  get initGroup(): ThreadGroup | undefined {
    return this.init;
  }

  /** wait4 collected a zombie: its pid becomes free. */
  reap(group: ThreadGroup): void {
    this.procs.reap(group);
  }

  /**
   * kill(2) of a process, from inside the sandbox or forwarded from outside. The init of
   * a pid namespace only gets the signals it handles (pid_namespaces(7)); from outside,
   * SIGKILL and SIGSTOP too. So a shell as init survives `kill -TERM 1`, as under runc.
   */
  signalProcess(group: ThreadGroup, sig: number, fromOutside: boolean): void {
    if (group === this.init && group.sigactions.effect(sig) !== 'handler') {
      if (!fromOutside || (sig !== SIG.KILL && sig !== SIG.STOP)) return;
    }
    this.signalGroup(group, sig);
  }

  /** A process-directed signal. */
  signalGroup(group: ThreadGroup, sig: number, sender: SignalSender = this.currentSender()): void {
    if (group.zombie) return;
    const wasm = [...group.tasks].find((t) => t.wasmSignal);
    if (wasm) {
      this.signalTask(wasm, sig, sender);
      return;
    }
    const route = routeProcessSignal(group.pid, group.tasks, sig, (t) => hostBlockedSignals(t.hostTid));
    if (route.kind === 'task') {
      this.signalTask(route.task, sig, sender);
      return;
    }
    recordSender(group, sig, sender);
    try {
      process.kill(group.hostPid, hostSignalFor(group, sig));
    } catch {
      // The host process is gone already: its exit is on its way to the tracer.
    }
  }

  /** A thread-directed signal: the host delivers it; a wait it must end is ended here. */
  signalTask(task: Task, sig: number, sender: SignalSender = this.currentSender()): void {
    if (task.exited) return;
    recordSender(task.group, sig, sender);
    if (task.wasmSignal) {
      task.wasmSignal(sig);
      return;
    }
    this.tracer.tgkill(task.group.hostPid, task.hostTid, hostSignalFor(task.group, sig));
    if (!task.waiting) return;
    const blocked = (this.tracer.sigmask(task.hostTid) >> BigInt(sig - 1)) & 1n;
    if (blocked && sig !== SIG.KILL) return;
    if (task.group.sigactions.effect(sig) !== 'ignore') task.interrupt(sig);
  }

  /**
   * Job control of a terminal access by the task whose handler runs (see terminalAccess):
   * EIO, or its process group gets SIGTTIN/SIGTTOU and the call restarts once continued.
   * Continuations after a wait are not checked: their caller is not known here.
   */
  checkTerminalAccess(terminal: { session: number | undefined; foreground: number | undefined }, kind: 'read' | 'write'): void {
    const task = this.syncCaller;
    if (!task) return;
    const blocks = (sig: number): boolean => ((this.tracer.sigmask(task.hostTid) >> BigInt(sig - 1)) & 1n) === 1n;
    const verdict = terminalAccess({ group: task.group, blocks }, terminal, kind, this.groups());
    if (verdict === 'ok') return;
    if (verdict === 'eio') fail(E.EIO);
    const pgid = task.group.pgid;
    for (const group of this.groups()) {
      if (group.pgid === pgid) this.signalGroup(group, verdict);
    }
    task.interruptedBy = verdict;
    throw new SysError(ERESTARTSYS);
  }

  /** Who a signal sent now comes from: the task whose handler runs, else the outside. */
  private currentSender(): SignalSender {
    const task = this.syncCaller;
    return task ? { pid: task.pid, uid: task.creds.ruid } : OUTSIDE_SENDER;
  }

  /** The sender of the SIGCHLD a change of child's state (raw wait status) raises. */
  private childSender(child: ThreadGroup, status: number): SignalSender {
    return { pid: child.pid, uid: child.creds.ruid, child: childStateCode(status) };
  }

  get wasm(): WasmSupport | undefined {
    return this.options.wasm;
  }

  /**
   * execve of a wasm module, past its point of no return: the host process goes, the
   * task (pid, fds, dispositions) lives on in start's worker; its end is the task's exit.
   */
  becomeWasm(task: Task, program: { execfn: string; argv: readonly string[]; envp: readonly string[]; location: ProgramImage['location'] }, start: () => (sig: number) => void): void {
    this.tracer.tgkill(task.group.hostPid, task.hostTid, SIG.KILL);
    this.procs.moveToWasm(task);
    this.commitExec(task, program, 0n);
    task.wasmSignal = start();
  }

  /** A wasm task's module is gone with this raw wait status. */
  wasmExited(task: Task, status: number): void {
    if (!this.procs.dropWasm(task)) return;
    this.taskGone(task, status);
    this.pump(0);
  }

  /** Ends the waits of tasks for which the host kernel has queued a signal that must end them. */
  private pollPendingSignals(): void {
    if (this.pendingPoll) return;
    this.pendingPoll = setInterval(() => {
      const waiting = this.procs.hostTasks().filter((t) => t.waiting);
      if (waiting.length === 0) {
        clearInterval(this.pendingPoll);
        this.pendingPoll = undefined;
        return;
      }
      for (const task of waiting) {
        for (const sig of deliverableSignals(task.hostTid)) {
          if (task.group.sigactions.effect(sig) !== 'ignore') {
            task.interrupt(sig);
            break;
          }
        }
      }
    }, PENDING_POLL_MS);
  }

  private blockUs(): number {
    return this.awakeAnswers > 0 ? 0 : BLOCK_US;
  }

  private setAwake(task: Task, awake: boolean): void {
    if (task.awake === awake) return;
    task.awake = awake;
    this.awakeAnswers += awake ? 1 : -1;
  }

  private ticks(): number {
    return Number(this.kernel.uptimeNs() / 10_000_000n);
  }

  private addTask(tid: number, hostTid: number, group: ThreadGroup, fds: FdTable, fs: FsContext): Task {
    let task: Task | undefined;
    const memory = new PtraceMemory(this.tracer, () => task!.hostTid);
    task = new Task(tid, hostTid, group, fds, fs, this.kernel, memory, {
      signal: (t, sig) => this.signalTask(t, sig),
      asleep: (t) => {
        this.setAwake(t, false);
        this.pollPendingSignals();
      },
      woken: (t) => this.setAwake(t, t.blocked),
    });
    task.process = new TaskProcess(task, this);
    this.procs.add(task);
    return task;
  }

  /** Takes stops until none is pending; pid is a stop already reaped (0: none yet). */
  private pump(pid: number): void {
    let next = pid;
    for (;;) {
      if (next <= 0) next = this.tracer.waitStop(SPIN_US, this.blockUs());
      if (next === ECHILD_RESULT) {
        this.allGone();
        return;
      }
      if (next <= 0) {
        // Back to the event loop: the watcher wakes it for the next stop.
        this.tracer.armWatcher();
        return;
      }
      next = this.handleStop(next);
    }
  }

  /** Handles the stop the tracer just reaped; returns the next stop's pid if it took one. */
  private handleStop(hostPid: number): number {
    const status = this.tracer.stop[STOP.status]!;
    const task = this.procs.taskOfHost(hostPid);
    const stopped = (status & 0xff) === 0x7f;
    if (!stopped) {
      if (task) this.onTaskExit(task, status);
      else this.earlyExits.set(hostPid, status);
      return 0;
    }
    const sig = (status >> 8) & 0xff;
    const event = status >>> 16;
    if (!task) {
      this.earlyStops.set(hostPid, status);
      // A live thread with this tid: an end recorded under it was an older thread's.
      this.earlyExits.delete(hostPid);
      return 0;
    }
    if (event === PTRACE_EVENT.SECCOMP) return this.onSyscall(task);
    if (sig === (SIGTRAP | 0x80)) return this.onSyscallExit(task);
    switch (event) {
      case PTRACE_EVENT.FORK:
      case PTRACE_EVENT.VFORK:
      case PTRACE_EVENT.CLONE:
        this.onCloneEvent(task, this.tracer.stop[STOP.eventMsg]!);
        return 0;
      case PTRACE_EVENT.EXEC:
        this.onExecEvent(task, this.tracer.stop[STOP.eventMsg]!);
        this.tracer.cont(hostPid, 0, RESUME.cont);
        return 0;
      case PTRACE_EVENT.STOP:
        this.onEventStop(task, sig);
        return 0;
      default:
        break;
    }
    if (sig === SIGTRAP && (task.phase === 'exec' || task.phase === 'spawning') && task.pendingImage) {
      this.onStubTrap(task);
      return 0;
    }
    // A signal-delivery-stop: the signal goes on to the workload.
    showVirtualSender(this.tracer, hostPid, task.group, sig);
    this.tracer.cont(hostPid, sig, RESUME.cont);
    return 0;
  }

  /** Puts back the argument registers a rewritten call changed (regs must hold task's). */
  private restoreArgs(task: Task): void {
    const saved = task.savedArgs;
    if (!saved) return;
    task.savedArgs = undefined;
    const regs = this.tracer.regs;
    [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9].forEach((reg, i) => {
      regs[reg] = saved[i]!;
    });
  }

  private onEventStop(task: Task, sig: number): void {
    if (task.awaitingFirstStop) {
      task.awaitingFirstStop = false;
      if (task.savedArgs && this.tracer.getRegs(task.hostTid) === 0) {
        this.restoreArgs(task);
        this.tracer.setRegs(task.hostTid);
      }
      if (task.childTidAddr) {
        const tid = Buffer.alloc(4);
        tid.writeInt32LE(task.tid);
        try {
          task.mem.write(task.childTidAddr, tid);
        } catch {
          // A bad CLONE_CHILD_SETTID address is the child's problem, as in Linux.
        }
      }
      // The first stop of a new child (it reports SIGSTOP) is no group-stop.
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
      return;
    }
    // A group-stop (SIGSTOP, SIGTSTP, ...) keeps the task stopped until SIGCONT
    // (PTRACE_LISTEN); any other event-stop, such as the end of one, lets it run.
    const stop = STOP_SIGNALS.has(sig);
    const group = task.group;
    if (stop ? groupStopped(group, sig) : groupContinued(group)) this.signalGroup(group.parent!, SIG.CHLD, this.childSender(group, group.jobReport ? reportStatus(group.jobReport) : 0xffff));
    this.tracer.cont(task.hostTid, 0, stop ? RESUME.listen : RESUME.cont);
  }

  private onSyscall(task: Task): number {
    const regs = this.tracer.regs;
    const nr = Number(regs[REG.orig_rax]!);
    if (task.phase === 'spawning' && !task.exited && nr === 59) {
      // The helper's own execve of the stub.
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    if (task.phase === 'exec') {
      // The kernel could not exec the stub: the task is back in its old program.
      task.phase = 'running';
      task.pendingImage = undefined;
    }
    const args: SyscallArgs = [regs[REG.rdi]!, regs[REG.rsi]!, regs[REG.rdx]!, regs[REG.r10]!, regs[REG.r8]!, regs[REG.r9]!];
    const handler = this.options.table.entry(nr)?.handler;
    let result: ReturnType<NonNullable<typeof handler>>;
    if (!handler) result = -E.ENOSYS;
    else {
      try {
        this.currentTask = task;
        this.syncCaller = task;
        result = handler(task, args);
      } catch (e) {
        result = this.errorResult(task, nr, e);
      } finally {
        this.syncCaller = undefined;
      }
    }
    if (result instanceof Promise) {
      task.blocked = true;
      this.setAwake(task, true);
      const settle = (value: SyscallResult | typeof RUN_ON_HOST): void => {
        this.setAwake(task, false);
        this.finishBlocked(task, nr, args, value);
      };
      result.then(settle, (e: unknown) => settle(this.errorResult(task, nr, e)));
      return 0;
    }
    // A handler may ask for a restart at once (a background read of the terminal).
    if (typeof result !== 'symbol' && isRestartCode(-Number(result))) return this.answer(task, nr, args, this.restartOrInterrupt(task, nr, result));
    return this.answer(task, nr, args, result);
  }

  private answer(task: Task, nr: number, args: SyscallArgs, result: SyscallResult | typeof RUN_ON_HOST): number {
    if (result === RUN_ON_HOST) {
      this.options.observer?.syscall(task, nr, args, undefined);
      const rewritten = task.cloneInFlight !== undefined || task.exitHook !== undefined;
      if (rewritten) {
        task.savedArgs = args;
        task.savedNr = nr;
      }
      const mode = rewritten ? RESUME.toSyscallExit : RESUME.cont;
      this.tracer.cont(task.hostTid, 0, mode);
      return 0;
    }
    this.options.observer?.syscall(task, nr, args, result);
    const next = this.tracer.complete(task.hostTid, result, SPIN_US, this.blockUs());
    return next > 0 || next === ECHILD_RESULT ? next : 0;
  }

  /** A handler's Promise settled: the task is still stopped at its seccomp stop. */
  private finishBlocked(task: Task, nr: number, args: SyscallArgs, value: SyscallResult | typeof RUN_ON_HOST): void {
    task.blocked = false;
    if (task.exited || task.wasmSignal) return;
    if (this.tracer.getRegs(task.hostTid) !== 0) return;
    let result = value;
    if (typeof result !== 'symbol') result = this.restartOrInterrupt(task, nr, result);
    this.pump(this.answer(task, nr, args, result));
  }

  /** A wait a signal ended: restart the call after the handler, or fail it with EINTR. */
  private restartOrInterrupt(task: Task, nr: number, result: SyscallResult): SyscallResult {
    const errno = -Number(result);
    const stoppedBy = task.interruptedBy !== 0 && task.group.sigactions.effect(task.interruptedBy) === 'stop';
    // A stop is no handler: after SIGCONT the call goes on, as Linux restarts it (a
    // handler's own EINTR, as sleeps give, included).
    if (stoppedBy && (errno === E.EINTR || isRestartCode(errno))) return this.restartCall(nr);
    if (!isRestartCode(errno)) return result;
    const outcome = interruptedOutcome(errno, task.interruptedBy, task.group.sigactions);
    if (outcome !== 'restart') return outcome;
    return this.restartCall(nr);
  }

  /** Makes the stopped task make call nr again (regs must hold the task's). */
  private restartCall(nr: number): number {
    // Back up over the 2-byte syscall instruction with the number in rax: after the
    // handler returns, the task makes the call again.
    const regs = this.tracer.regs;
    regs[REG.rip] = regs[REG.rip]! - 2n;
    return nr;
  }

  private errorResult(task: Task, nr: number, e: unknown): SyscallResult {
    if (isSysError(e)) return -e.errno;
    const name = this.options.table.entry(nr)?.name ?? `syscall ${nr}`;
    process.stderr.write(`tssc: internal error in ${name} of pid ${task.pid}: ${e instanceof Error ? e.stack : String(e)}\n`);
    return -E.EIO;
  }

  private onCloneEvent(parent: Task, childHost: number): void {
    const flight = parent.cloneInFlight;
    if (flight) {
      const flags = flight.flags;
      const thread = (flags & CLONE.THREAD) !== 0n;
      const fds = flags & CLONE.FILES ? parent.fds : parent.fds.fork();
      const fs: FsContext = flags & CLONE.FS ? parent.fs : { ...parent.fs };
      const tid = this.procs.allocatePid();
      let group = parent.group;
      if (!thread) {
        const pg = parent.group;
        const actions = flags & CLONE.SIGHAND ? pg.sigactions : pg.sigactions.copy();
        group = new ThreadGroup(tid, childHost, pg, pg.pgid, pg.sid, actions, pg.rlimits.copy(), pg.creds, this.ticks());
        group.comm = parent.threadComm ?? pg.comm;
        group.cmdline = pg.cmdline;
        group.environ = pg.environ;
        group.exe = pg.exe;
        group.brk = pg.brk;
        pg.children.add(group);
      }
      const child = this.addTask(tid, childHost, group, fds, fs);
      // A new thread starts with its creator's name (a new process too, above).
      if (thread) child.threadComm = parent.threadComm ?? group.comm;
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
        this.onTaskExit(child, ended);
      }
    }
    this.tracer.cont(parent.hostTid, 0, RESUME.toSyscallExit);
  }

  private onSyscallExit(task: Task): number {
    const hook = task.exitHook;
    const hostResult = BigInt.asIntN(64, this.tracer.regs[REG.rax]!);
    if (hostResult < 0n && isRestartCode(Number(-hostResult))) {
      // A signal interrupted the host's run of the rewritten call (fork gives
      // ERESTARTNOINTR): put the original call back, so the kernel's restart makes it
      // again and the sentry sees it afresh.
      hook?.(hostResult);
      task.exitHook = undefined;
      task.cloneInFlight = undefined;
      this.tracer.regs[REG.orig_rax] = BigInt(task.savedNr);
      this.restoreArgs(task);
      this.tracer.setRegs(task.hostTid);
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
      return 0;
    }
    this.restoreArgs(task);
    if (hook) {
      task.exitHook = undefined;
      const result = hook(hostResult);
      const next = this.tracer.complete(task.hostTid, result, SPIN_US, this.blockUs());
      return next > 0 || next === ECHILD_RESULT ? next : 0;
    }
    const flight = task.cloneInFlight;
    task.cloneInFlight = undefined;
    if (!flight || hostResult < 0n || !flight.child) {
      const next = this.tracer.complete(task.hostTid, hostResult, SPIN_US, this.blockUs());
      return next > 0 || next === ECHILD_RESULT ? next : 0;
    }
    const vtid = flight.child.tid;
    this.options.observer?.syscall(task, 56, [flight.flags, 0n, 0n, 0n, 0n, 0n], vtid);
    const next = this.tracer.complete(task.hostTid, vtid, SPIN_US, this.blockUs());
    return next > 0 || next === ECHILD_RESULT ? next : 0;
  }

  /**
   * An execve done by a thread other than the leader: the kernel ended the other threads
   * and gave the execing one the leader's host tid (formerHostTid was its own); it takes
   * the leader's virtual tid too, and the leader's task is gone without a process exit.
   */
  private onExecEvent(leader: Task, formerHostTid: number): void {
    if (formerHostTid === leader.hostTid) return;
    const execing = this.procs.taskOfHost(formerHostTid);
    if (!execing || execing.group !== leader.group) return;
    leader.exited = true;
    leader.interrupt(SIG.KILL);
    this.procs.dropHost(leader);
    this.procs.remove(leader);
    this.procs.dropHost(execing);
    this.procs.remove(execing);
    execing.hostTid = leader.hostTid;
    execing.tid = leader.tid;
    this.procs.add(execing);
  }

  private onStubTrap(task: Task): void {
    const program = task.pendingImage!;
    task.pendingImage = undefined;
    task.phase = 'running';
    try {
      const { brk } = loadProgram(this.tracer, task.hostTid, program, task.creds);
      this.commitExec(task, program, brk);
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
    } catch (e) {
      process.stderr.write(`tssc: cannot load ${program.execfn}: ${isSysError(e) ? e.message : String(e)}\n`);
      this.tracer.tgkill(task.group.hostPid, task.hostTid, SIG.KILL);
      this.tracer.cont(task.hostTid, 0, RESUME.cont);
    }
  }

  private commitExec(task: Task, program: Pick<ProgramImage, 'execfn' | 'argv' | 'envp' | 'location'>, brk: bigint): void {
    const group = task.group;
    task.fds.closeOnExec();
    group.sigactions.resetHandled();
    const base = program.execfn.slice(program.execfn.lastIndexOf('/') + 1);
    group.comm = base.slice(0, 15);
    task.threadComm = undefined;
    group.cmdline = Buffer.from(program.argv.map((a) => `${a}\0`).join(''), 'latin1');
    group.environ = Buffer.from(program.envp.map((a) => `${a}\0`).join(''), 'latin1');
    group.exe = program.location;
    group.brk = brk;
  }

  private onTaskExit(task: Task, status: number): void {
    // The host process of a task that became wasm: the task itself lives on.
    if (this.procs.dropHost(task)) this.taskGone(task, status);
  }

  private taskGone(task: Task, status: number): void {
    task.exited = true;
    task.interrupt(SIG.KILL);
    this.procs.remove(task);
    const group = task.group;
    group.lastFs = task.fs;
    this.options.observer?.exit?.(task, status);
    if (group.tasks.size > 0) return;
    task.fds.closeAll();
    group.exitStatus = status;
    group.stopped = false;
    group.jobReport = undefined;
    this.groupExited(group);
  }

  private groupExited(group: ThreadGroup): void {
    const init = this.init;
    if (group === init) {
      // The pid namespace ends with its init: every other task is killed.
      for (const other of this.procs.hostTasks()) this.tracer.tgkill(other.group.hostPid, other.hostTid, SIG.KILL);
      for (const other of this.procs.wasmTasks()) other.wasmSignal?.(SIG.KILL);
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
      if (chld.handler === SIG_IGN || chld.flags & SA.NOCLDWAIT) this.reap(group);
      else parent.notifyChildEvent();
      this.signalGroup(parent, SIG.CHLD, this.childSender(group, group.exitStatus!));
    } else if (group !== init) {
      this.reap(group);
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    const init = this.init;
    if (!init?.zombie || this.procs.liveCount > 0 || !this.finish) return;
    const finish = this.finish;
    this.finish = undefined;
    this.tracer.onStop = undefined;
    clearInterval(this.keepAlive);
    clearInterval(this.pendingPoll);
    finish(init.exitStatus!);
  }

  /** waitpid said no tracee is left: whatever the tables say, the sandbox is over. */
  private allGone(): void {
    for (const task of this.procs.hostTasks()) this.onTaskExit(task, SIG.KILL);
    if (this.procs.liveCount > 0) return;
    this.maybeFinish();
  }
}
