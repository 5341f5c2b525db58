// The sentry's kernel for Linux workloads on the ptrace platform: it starts the init
// task under the seccomp filter, and later processes beside it (exec: startProcess), and
// holds the sandbox's state (tasks by virtual and host tid, the init process). It wires
// its parts, each given what it uses: the platform (platform/ptrace/ptrace-platform.ts,
// seen as kernel/platform.ts's Platform) and its stop loop (platform/ptrace/
// stop-dispatch.ts), syscall-stops.ts answers trapped calls through the registered table,
// task-events.ts applies the other events, signal-delivery.ts sends signals,
// task-lifecycle.ts ends tasks and processes.

import { E, fail, isSysError, SysError } from '../../abi/errno.js';
import { MemoryAccount } from '../../accounting/memory-account.js';
import type { NetworkStack } from '../../netstack/stack.js';
import type { FileDescription, FsContext, Location, Vfs } from '../../vfs/api.js';
import { fsCredentials, makeCredentials, type IdentitySpec } from './credentials.js';
import { FdTable } from './fd-table.js';
import { HostThreadSignalCalls } from './host-signal-calls.js';
import { prepareProgram, type ProgramImage } from '../loader/image.js';
import { withExecCredentials, type ExecImage } from './exec-credentials.js';
import { PtracePlatform } from '../platform/ptrace/ptrace-platform.js';
import type { Platform } from './platform.js';
import { TaskProcess } from './process-control.js';
import { ProcessTable } from './process-table.js';
import { RLIM_INFINITY, type RlimitTable } from './rlimits.js';
import { HostRlimits } from './host-rlimits.js';
import { MemoryMonitor } from './memory-monitor.js';
import { availableParallelism } from 'node:os';
import { ProfileEnforcement } from './profile-enforcement.js';
import { buildSeccompFilter } from '../platform/seccomp-filter.js';
import { killedStatus } from './core-dump.js';
import type { SeccompProfile } from './seccomp-profile.js';
import { SignalDelivery } from './signal-delivery.js';
import type { SignalSender } from './signal-senders.js';
import { SIG } from '../../abi/linux-signal.js';
import { SignalActions } from './signals.js';
import type { StartGate } from './start-gate.js';
import { StopDispatch } from '../platform/ptrace/stop-dispatch.js';
import type { KernelServices, SyscallArgs, SyscallResult, SyscallTable } from './syscall.js';
import { SyscallStops } from './syscall-stops.js';
import { Task } from './task.js';
import { TaskEvents } from './task-events.js';
import { TaskLifecycle } from './task-lifecycle.js';
import { Ptrace } from './ptrace/ptrace.js';
import type { WasmSyscallTable } from '../wasm/process.js';
import { ThreadGroup } from './thread-group.js';
import { makeKernelServices } from './kernel-services.js';
import type { IpcNamespace } from './ipc/namespace.js';

/** A process the sandbox starts from outside: its init, or one `exec` adds. */
export interface NewProcess {
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

/** The container's own process (spec.process). */
export type InitProcess = NewProcess;

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

/** Tasks a sandbox may have at once when the spec sets no pids limit. */
export const DEFAULT_MAX_TASKS = 4096;

export interface SandboxOptions {
  table: SyscallTable;
  /** The most tasks (threads included) at once: clone fails with EAGAIN beyond it. */
  maxTasks?: number;
  /** The sandbox's memory and its limit, shared with its VFS (unlimited when absent). */
  memory?: MemoryAccount;
  /** Lets execve run wasm modules; without it they are ENOEXEC. */
  wasm?: WasmSupport;
  vfs: Vfs;
  /** The sandbox's IPC namespace (message queues, System V objects). */
  ipc: IpcNamespace;
  /** The sandbox's network stack (src/netstack). */
  net: NetworkStack;
  hostname: string;
  domainname: string;
  init: InitProcess;
  observer?: SyscallObserver;
  /** A session leader exited: its controlling terminal hangs up (SIGHUP to its foreground). */
  onSessionEnd?: (sid: number) => void;
  /** Also told of each internal error (the runtime's --log); stderr always is. */
  onInternalError?: (message: string) => void;
  /** The spec's linux.seccomp, enforced at every seccomp stop (profile-enforcement.ts). */
  seccompProfile?: SeccompProfile;
  /** Holds the init at the stub's first trap until it opens (OCI create, then start). */
  startGate?: StartGate;
}

export class Sandbox {
  /** Runs the tasks: the ptrace platform (the kernel's parts see it as a Platform). */
  readonly platform = new PtracePlatform(() => this.procs.hostTasks());
  readonly kernel: KernelServices;
  /** The sandbox's pid namespace (shared with the sentry's parts below). */
  readonly procs = new ProcessTable();
  readonly signals = new SignalDelivery({
    procs: this.procs,
    host: this.platform.hostSignals,
    syncCaller: () => this.syscalls.syncCaller,
    guard: (task, where, fn) => this.guard(task, where, fn),
  });
  /** The ptrace relations between its tasks. */
  readonly ptrace = new Ptrace({ platform: this.platform, signals: this.signals, releasedToParent: (group) => this.lifecycle.tellParent(group) });
  readonly syscalls: SyscallStops;
  readonly stops: StopDispatch;
  readonly lifecycle = new TaskLifecycle({
    procs: this.procs,
    signals: this.signals,
    initGroup: () => this.init,
    killHostThread: (task) => this.platform.hostSignals.raiseInThread(task.group.hostPid, task.hostTid, SIG.KILL),
    processExited: (pid) => this.kernel.ipc.processExited(pid),
    heldForTracer: (group) => this.ptrace.hiddenFromParent(group),
    taskExited: (task, status) => {
      this.ptrace.taskGone(task, status);
      this.options.observer?.exit?.(task, status);
    },
    unparentedExited: (group) => {
      this.started.get(group)?.(group.exitStatus!);
      this.started.delete(group);
    },
    // See SandboxOptions.onSessionEnd.
    endSession: (sid) => this.options.onSessionEnd?.(sid),
    end: (status) => this.end(status),
  });
  readonly hostSignalCalls = new HostThreadSignalCalls((task) => this.procs.task(task.tid)?.group ?? fail(E.ESRCH));
  /** The limits the host enforces on the tasks' processes. */
  readonly hostRlimits: HostRlimits;
  readonly memory: MemoryAccount;
  /** Reads the tasks' memory against the limit, when the spec sets one. */
  readonly memoryMonitor: MemoryMonitor | undefined;
  /** Holds tasks stopped (an exec's or injected call's address space, or the whole sandbox: pause). */
  readonly freezer = this.platform.freezer;
  /** The spec's seccomp profile, when it has one. */
  readonly profile: ProfileEnforcement | undefined;
  private init: ThreadGroup | undefined;
  private finish: ((status: number) => void) | undefined;
  /** Who waits for each process startProcess started (told its raw wait status). */
  private readonly started = new Map<ThreadGroup, (status: number) => void>();
  private readonly onStop = (): void => this.stops.pump(0);
  /** The last guard (see internalError): an error no path of the sentry caught. */
  private readonly onStrayError = (error: unknown): void => this.internalError(undefined, 'an event of the sentry', error);
  /**
   * The stop watcher does not keep Node's loop alive; this timer does while the sandbox
   * runs (and would take any stop the watcher missed).
   */
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(private readonly options: SandboxOptions) {
    const platform: Platform = this.platform;
    this.memory = options.memory ?? new MemoryAccount();
    this.kernel = makeKernelServices(options.vfs, this.memory, options.ipc, options.net, options.hostname, options.domainname);
    this.hostRlimits = new HostRlimits(platform.hostLimit, this.memory.limited ? BigInt(Math.floor(this.memory.limit)) : RLIM_INFINITY);
    this.memoryMonitor = this.memory.limited ? new MemoryMonitor(this, this.memory, availableParallelism()) : undefined;
    const profile = options.seccompProfile;
    const killProcess = (task: Task, status: number): void => this.lifecycle.killProcess(task.group, status);
    this.profile = profile && new ProfileEnforcement({ platform, killProcess }, profile, options.table, buildSeccompFilter(options.table));
    this.syscalls = new SyscallStops({
      platform,
      table: options.table,
      profile: this.profile,
      observer: options.observer,
      exec: (task, image) => this.stops.exec(task, image),
      ptrace: this.ptrace,
      pump: (next) => this.stops.pump(next),
      internalError: (task, where, error) => this.internalError(task, where, error),
    });
    const events = new TaskEvents({
      procs: this.procs,
      lifecycle: this.lifecycle,
      signals: this.signals,
      ipc: this.kernel.ipc,
      addTask: (tid, hostTid, group, fds, fs, kernel) => this.addTask(tid, hostTid, group, fds, fs, kernel),
      ticks: () => this.ticks(),
    });
    this.stops = new StopDispatch({
      platform: this.platform,
      procs: this.procs,
      syscalls: this.syscalls,
      lifecycle: this.lifecycle,
      events,
      ptrace: this.ptrace,
      startGate: options.startGate,
      initGroup: () => this.init,
      internalError: (task, where, error) => this.internalError(task, where, error),
      end: (status) => this.end(status),
    });
  }

  /**
   * Starts init and resolves with its raw wait status once the whole sandbox is gone.
   * Errors of the init program itself (ENOENT, EACCES, ENOEXEC) reject before anything runs.
   */
  run(): Promise<number> {
    if (this.platform.taken) throw new Error('one traced sandbox per process at a time');
    this.init = this.spawnProcess(this.options.init);
    const done = new Promise<number>((resolve) => {
      this.finish = resolve;
    });
    this.platform.watch(this.onStop);
    this.keepAlive = setInterval(this.onStop, 500);
    this.memoryMonitor?.start();
    process.on('uncaughtException', this.onStrayError);
    process.on('unhandledRejection', this.onStrayError);
    this.stops.pump(0);
    return done;
  }

  /**
   * Starts another process in the running sandbox (OCI exec): the same VFS, mounts and
   * namespaces as init, its own pid, session and process group, and no parent inside
   * the pid namespace (getppid() is 0, as for a process runc or runsc exec'd). It is
   * nobody's child: its end does not end the sandbox, and init's end kills it. exited
   * resolves with its raw wait status. Errors of its program (ENOENT, EACCES, ENOEXEC,
   * a cwd that is not a directory) throw before anything runs. prepare sees its process
   * before it runs any instruction (a terminal to attach).
   */
  startProcess(spec: NewProcess, prepare?: (group: ThreadGroup) => void): { group: ThreadGroup; exited: Promise<number> } {
    if (!this.finish || !this.init || this.init.zombie) this.refuse(spec, new Error('the sandbox is not running'));
    // As a fork beyond the pids limit: EAGAIN.
    if (this.atTaskLimit()) this.refuse(spec, new SysError(E.EAGAIN, 'the sandbox is at its pids limit'));
    const group = this.spawnProcess(spec);
    const exited = new Promise<number>((resolve) => this.started.set(group, resolve));
    // Before any stop of it is taken: it has run nothing yet.
    prepare?.(group);
    this.stops.pump(0);
    return { group, exited };
  }

  /** spec will not start: the sandbox lets go of its stdio, and error is thrown. */
  private refuse(spec: NewProcess, error: unknown): never {
    for (const file of spec.stdio) file.unref();
    throw error;
  }

  /** The working directory of a new process; an error names it. */
  private resolveCwd(fs: FsContext, cwd: string): Location {
    try {
      return this.options.vfs.resolve(fs, undefined, cwd, { follow: true, directory: true });
    } catch (error) {
      if (isSysError(error)) throw new SysError(error.errno, `cwd ${cwd}`);
      throw error;
    }
  }

  /** A new traced host process that will exec the stub and then spec's program. */
  private spawnProcess(spec: NewProcess): ThreadGroup {
    const creds = makeCredentials(spec.identity);
    const root = this.options.vfs.root;
    const fs: FsContext = { root, cwd: root, umask: spec.umask, creds: fsCredentials(creds) };
    let program: ExecImage;
    try {
      fs.cwd = this.resolveCwd(fs, spec.cwd);
      program = withExecCredentials(prepareProgram(this.options.vfs, fs, undefined, spec.program, spec.argv, spec.envp, this.platform.reservedRange), creds);
    } catch (error) {
      this.refuse(spec, error);
    }

    const fds = new FdTable();
    spec.stdio.forEach((file, fd) => fds.installAt(fd, file));
    const filter = buildSeccompFilter(this.options.table, this.profile?.alsoTrap);
    const hostPid = this.platform.spawn(filter, this.hostRlimits.initial(spec.rlimits));
    if (hostPid < 0) {
      fds.leave();
      throw new Error(`cannot start the workload: ${new SysError(-hostPid).message}`);
    }

    const pid = this.procs.allocatePid();
    const group = new ThreadGroup(pid, hostPid, undefined, pid, pid, new SignalActions(), spec.rlimits, creds, this.ticks());
    const task = this.addTask(pid, hostPid, group, fds, fs);
    task.phase = 'spawning';
    task.pendingImage = program;
    return group;
  }

  /** The task whose syscall handler is running (for /proc/self and terminals). */
  get currentTask(): Task | undefined {
    return this.syscalls.currentTask;
  }

  groupByPid(pid: number): ThreadGroup | undefined {
    return this.procs.group(pid);
  }

  /** The most tasks at once (spec linux.resources.pids, `tssc update`); undefined: the default. */
  get maxTasks(): number | undefined {
    return this.options.maxTasks;
  }

  setMaxTasks(limit: number | undefined): void {
    if (limit === undefined) delete this.options.maxTasks;
    else this.options.maxTasks = limit;
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

  /** kill(2) of a process (see SignalDelivery.signalProcess). */
  signalProcess(group: ThreadGroup, sig: number, fromOutside: boolean): void {
    this.signals.signalProcess(group, sig, fromOutside);
  }

  /** A process-directed signal (see SignalDelivery.signalGroup). */
  signalGroup(group: ThreadGroup, sig: number, sender?: SignalSender): void {
    this.signals.signalGroup(group, sig, sender);
  }

  /** Job control of a terminal access (see SignalDelivery.checkTerminalAccess). */
  checkTerminalAccess(terminal: { session: number | undefined; foreground: number | undefined }, kind: 'read' | 'write'): void {
    this.signals.checkTerminalAccess(terminal, kind);
  }

  get wasm(): WasmSupport | undefined {
    return this.options.wasm;
  }

  /**
   * execve of a wasm module, past its point of no return: the host process goes, the
   * task (pid, fds, dispositions) lives on in start's worker; its end is the task's exit.
   */
  becomeWasm(task: Task, program: { execfn: string; argv: readonly string[]; envp: readonly string[]; location: ProgramImage['location'] }, start: () => (sig: number) => void): void {
    this.platform.hostSignals.raiseInThread(task.group.hostPid, task.hostTid, SIG.KILL);
    this.procs.moveToWasm(task);
    this.lifecycle.commitExec(task, program, undefined);
    task.wasmSignal = start();
  }

  /** A wasm task's module is gone with this raw wait status. */
  wasmExited(task: Task, status: number): void {
    if (!this.procs.dropWasm(task)) return;
    this.guard(task, 'the end of a wasm task', () => this.lifecycle.taskGone(task, status));
    this.stops.pump(0);
  }

  /** Runs fn for task, which an internal error in it kills (see internalError). */
  guard(task: Task | undefined, where: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.internalError(task, where, error);
    }
  }

  /**
   * A bug of the sentry's, hit while it served task (undefined: no task to blame): logged
   * once with its stack, and task's process is killed as Linux kills a process whose system
   * call a seccomp filter refuses with KILL_PROCESS: SIGSYS, "bad system call" (core bit by
   * its RLIMIT_CORE). Its parent sees that the kernel would not serve it, not an OOM kill or
   * an operator's SIGKILL; no half-done operation of the sentry's goes on in it. The rest of
   * the sandbox goes on.
   */
  internalError(task: Task | undefined, where: string, error: unknown): void {
    const who = task ? ` (pid ${task.pid}, tid ${task.tid})` : '';
    const fate = task && !task.exited ? '; its process is killed with SIGSYS' : '';
    const message = `tssc: internal error in ${where}${who}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${fate}`;
    process.stderr.write(`${message}\n`);
    try {
      this.options.onInternalError?.(message);
    } catch {
      // An unwritable log must not hide the error printed above.
    }
    if (task && !task.exited) this.lifecycle.killProcess(task.group, killedStatus(task.group, SIG.SYS));
  }

  /** Clock ticks since the sandbox started (a process's start time in /proc). */
  ticks(): number {
    return Number(this.kernel.uptimeNs() / 10_000_000n);
  }

  /** kernel: the task's namespaces (a new process's are the sandbox's first ones). */
  addTask(tid: number, hostTid: number, group: ThreadGroup, fds: FdTable, fs: FsContext, kernel = this.kernel): Task {
    let task: Task | undefined;
    const memory = this.platform.memoryOf(() => task!.hostTid);
    task = new Task(tid, hostTid, group, fds, fs, kernel, memory, {
      signal: (t, sig) => this.signals.signalTask(t, sig),
      asleep: (t) => {
        this.syscalls.setAwake(t, false);
        this.signals.pollPendingSignals();
      },
      woken: (t) => this.syscalls.setAwake(t, t.blocked),
      rlimits: (g) => this.hostRlimits.of(g),
    });
    task.process = new TaskProcess(task, this);
    this.procs.add(task);
    return task;
  }

  /** The sandbox is over (init gone, no task left): run() resolves with init's status. */
  end(status: number): void {
    const finish = this.finish;
    if (!finish) return;
    this.finish = undefined;
    this.platform.watch(undefined);
    clearInterval(this.keepAlive);
    this.memoryMonitor?.stop();
    process.off('uncaughtException', this.onStrayError);
    process.off('unhandledRejection', this.onStrayError);
    this.signals.stopPolling();
    finish(status);
  }
}
