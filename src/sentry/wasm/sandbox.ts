// A sandbox whose init is a wasm module: the same Task, ThreadGroup, fd table, VFS and
// kernel services as the ptrace Sandbox, without its platform. It needs no native addon,
// so wasm bundles run on hosts where ptrace is unavailable. preview1 cannot spawn
// processes: the init (pid 1) and the modules `exec` starts beside it (startProcess),
// each with its own pid, session, args, env, cwd and stdio, are the sandbox's processes.

import { E, fail } from '../../abi/errno.js';
import { SIG } from '../../abi/linux-signal.js';
import type { NetworkStack } from '../../netstack/stack.js';
import type { FsContext, Vfs } from '../../vfs/api.js';
import { fsCredentials, makeCredentials } from '../kernel/credentials.js';
import { FdTable } from '../kernel/fd-table.js';
import type { InitProcess, NewProcess } from '../kernel/sandbox.js';
import { SignalActions } from '../kernel/signals.js';
import type { KernelServices, TaskMemory } from '../kernel/syscall.js';
import { Task } from '../kernel/task.js';
import { ThreadGroup } from '../kernel/thread-group.js';
import type { WasmSyscallTable } from './process.js';
import { readWasmProgram } from './program.js';
import { WasmTask } from './wasm-task.js';
import { makeKernelServices } from '../kernel/kernel-services.js';
import { MemoryAccount } from '../../accounting/memory-account.js';
import type { StartGate } from '../kernel/start-gate.js';
import type { IpcNamespace } from '../kernel/ipc/namespace.js';

export interface WasmSandboxOptions {
  table: WasmSyscallTable;
  vfs: Vfs;
  /** The sandbox's IPC namespace (message queues, System V objects). */
  ipc: IpcNamespace;
  /** The sandbox's network stack (src/netstack). */
  net: NetworkStack;
  hostname: string;
  domainname: string;
  init: InitProcess;
  /** linux.resources.memory.limit, in bytes. */
  memoryLimitBytes?: number;
  /** The sandbox's memory account, shared with its VFS (unlimited when absent). */
  memory?: MemoryAccount;
  /** Told of a module's trap or of a sentry-side failure (the CLI logs it). */
  onTrap?: (pid: number, reason: string) => void;
  /** Holds the module before its worker starts until it opens (OCI create, then start). */
  startGate?: StartGate;
}


/** A wasm task has no Linux address space: nothing may read or write "its memory". */
const NO_MEMORY: TaskMemory = {
  read: () => fail(E.EFAULT),
  readInto: () => fail(E.EFAULT),
  write: () => fail(E.EFAULT),
  readCString: () => fail(E.EFAULT),
};

/**
 * preview1 has no working directory (every path resolves from the `/` preopen); the
 * spec's process.cwd is still the task's cwd (/proc/1/cwd) and is passed as PWD.
 */
export function wasmEnvironment(envp: readonly string[], cwd: string): string[] {
  if (cwd === '/' || envp.some((e) => e.startsWith('PWD='))) return [...envp];
  return [...envp, `PWD=${cwd}`];
}

/** One module of the sandbox: its process, and its worker once it runs. */
interface WasmEntry {
  group: ThreadGroup;
  task: Task;
  wasm?: WasmTask;
  /** Ends a module held at the start gate (a SIGKILL before `start`). */
  endBeforeStart?: (sig: number) => void;
  /** Resolves once its worker runs the module. */
  running: Promise<void>;
}

/** A module's program and process, ready to run. */
interface LaunchedModule {
  entry: WasmEntry;
  /** Starts its worker; resolves with its raw wait status once it is gone (rejects if it cannot run). */
  run(): Promise<number>;
}

/** The init's pid, session and process group. */
const INIT_PID = 1;

export class WasmSandbox {
  readonly kernel: KernelServices;
  private readonly entries = new Map<number, WasmEntry>();
  private nextPid = INIT_PID + 1;
  /** The pid of the task whose call was taken last (its worker waits for the answer). */
  private calling: number | undefined;
  /** The WASI table, telling which task each call is for. */
  private readonly table: WasmSyscallTable;

  constructor(private readonly options: WasmSandboxOptions) {
    this.kernel = makeKernelServices(options.vfs, options.memory ?? new MemoryAccount(), options.ipc, options.net, options.hostname, options.domainname);
    const table = options.table;
    this.table = {
      ...table,
      attach: (task, control) => {
        const handle = table.attach(task, control);
        return (op, args, buffer) => {
          this.calling = task.pid;
          return handle(op, args, buffer);
        };
      },
    };
  }

  /** The init process (pid 1), for signals forwarded from the outside. */
  get initGroup(): ThreadGroup | undefined {
    return this.entries.get(INIT_PID)?.group;
  }

  /** The task whose calls the sentry is answering (/proc/self). */
  get currentTask(): Task | undefined {
    return this.entries.get(this.calling ?? INIT_PID)?.task ?? this.entries.get(INIT_PID)?.task;
  }

  groups(): ThreadGroup[] {
    return [...this.entries.values()].map((e) => e.group).filter((g) => !g.zombie);
  }

  groupByPid(pid: number): ThreadGroup | undefined {
    return this.entries.get(pid)?.group;
  }

  /** A process-directed signal. */
  signalGroup(group: ThreadGroup, sig: number): void {
    const entry = this.entries.get(group.pid);
    if (entry?.group !== group) return;
    if (entry.wasm) entry.wasm.signal(sig);
    else if (sig === SIG.KILL) entry.endBeforeStart?.(sig);
  }

  /**
   * kill(2) of a process as the ptrace Sandbox applies it: the init of a pid namespace only
   * gets the signals it handles, and from outside SIGKILL and SIGSTOP too. A module has no
   * handlers, so only SIGKILL from outside (`tssc kill`, the signal proxy) ends it.
   */
  signalProcess(group: ThreadGroup, sig: number, fromOutside: boolean): void {
    if (group === this.initGroup && group.sigactions.effect(sig) !== 'handler') {
      if (!fromOutside || (sig !== SIG.KILL && sig !== SIG.STOP)) return;
    }
    this.signalGroup(group, sig);
  }

  /**
   * Starts the module and resolves with its raw wait status when it is gone; the modules
   * exec started are killed then, as a pid namespace's are when its init ends. Errors of
   * the program itself (ENOENT, EACCES, ENOEXEC for a bad module) reject before anything runs.
   */
  async run(): Promise<number> {
    const launched = this.launch(this.options.init, INIT_PID);
    const status = await launched.run();
    for (const other of this.entries.values()) if (other !== launched.entry) this.signalGroup(other.group, SIG.KILL);
    return status;
  }

  /**
   * A new process beside the running init (exec): its own pid, session and process group,
   * no parent inside the pid namespace, spec's program (a wasm module: nothing else runs
   * without a platform), args, env, cwd, identity and stdio. Errors of its program reject
   * before it runs. prepare sees its process before it runs (a terminal to attach);
   * exited resolves with its raw wait status.
   */
  async startProcess(spec: NewProcess, prepare?: (group: ThreadGroup) => void): Promise<{ group: ThreadGroup; exited: Promise<number> }> {
    const init = this.initGroup;
    if (!init || init.zombie) {
      for (const file of spec.stdio) file.unref();
      throw new Error('the sandbox is not running');
    }
    const launched = this.launch(spec, this.nextPid++);
    prepare?.(launched.entry.group);
    const exited = launched.run();
    // Started (its module compiled) or refused: the first of these to settle tells.
    await Promise.race([exited, launched.entry.running]);
    return { group: launched.entry.group, exited };
  }

  /** spec's module as process pid, not started yet; throws what keeps its program from running. */
  private launch(spec: NewProcess, pid: number): LaunchedModule {
    const { vfs } = this.options;
    const creds = makeCredentials(spec.identity);
    const fs: FsContext = { root: vfs.root, cwd: vfs.root, umask: spec.umask, creds: fsCredentials(creds) };
    const envp = wasmEnvironment(spec.envp, spec.cwd);
    let program;
    try {
      fs.cwd = vfs.resolve(fs, undefined, spec.cwd, { follow: true, directory: true });
      program = readWasmProgram(vfs, fs, undefined, spec.program, spec.argv, envp, 'bundle');
      if (!program) fail(E.ENOEXEC, `${spec.program} is not a wasm module (a wasm container runs wasm modules only)`);
    } catch (error) {
      for (const file of spec.stdio) file.unref();
      throw error;
    }
    const found = program;

    const fds = new FdTable();
    spec.stdio.forEach((file, fd) => fds.installAt(fd, file));
    const group = new ThreadGroup(pid, 0, undefined, pid, pid, new SignalActions(), spec.rlimits, creds, 0);
    const base = spec.program.slice(spec.program.lastIndexOf('/') + 1);
    group.comm = base.slice(0, 15);
    group.cmdline = Buffer.from(spec.argv.map((a) => `${a}\0`).join(''), 'latin1');
    group.environ = Buffer.from(envp.map((e) => `${e}\0`).join(''), 'latin1');
    group.exe = found.location;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const task = new Task(pid, 0, group, fds, fs, this.kernel, NO_MEMORY, { signal: (_task, sig) => entry.wasm?.signal(sig) });
    const entry: WasmEntry = { group, task, running };
    group.tasks.add(task);
    this.entries.set(pid, entry);

    const run = (): Promise<number> =>
      new Promise<number>((resolve, reject) => {
        const end = (waitStatus: number): void => {
          entry.endBeforeStart = undefined;
          group.tasks.delete(task);
          group.lastFs = task.fs;
          fds.closeAll();
          group.exitStatus = waitStatus;
          if (this.calling === pid) this.calling = undefined;
          resolve(waitStatus);
        };
        entry.endBeforeStart = end;
        const start = (): void => {
          entry.endBeforeStart = undefined;
          void WasmTask.start({
            task,
            program: found,
            table: this.table,
            ...(this.options.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: this.options.memoryLimitBytes }),
            onExit: (waitStatus, status) => {
              if (status.kind === 'signaled' && status.reason) this.options.onTrap?.(pid, status.reason);
              end(waitStatus);
            },
          }).then(
            (wasm) => {
              entry.wasm = wasm;
              started();
            },
            (error: unknown) => {
              fds.closeAll();
              this.entries.delete(pid);
              reject(error);
            },
          );
        };
        if (pid !== INIT_PID || !this.options.startGate?.hold(start)) start();
      });
    return { entry, run };
  }
}
