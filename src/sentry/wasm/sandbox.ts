// A sandbox whose init is a wasm module: the same Task, ThreadGroup, fd table, VFS and
// kernel services as the ptrace Sandbox, without its platform. It needs no native addon,
// so wasm bundles run on hosts where ptrace is unavailable. preview1 cannot spawn
// processes, so the module stays the sandbox's only process (pid 1).

import { E, fail } from '../../abi/errno.js';
import { SIG } from '../../abi/linux-signal.js';
import type { NetworkStack } from '../../netstack/stack.js';
import type { FsContext, Vfs } from '../../vfs/api.js';
import { fsCredentials, makeCredentials } from '../kernel/credentials.js';
import { FdTable } from '../kernel/fd-table.js';
import type { InitProcess } from '../kernel/sandbox.js';
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

export class WasmSandbox {
  readonly kernel: KernelServices;
  private init: ThreadGroup | undefined;
  private initTask: Task | undefined;
  private wasm: WasmTask | undefined;
  /** Ends a module held at the start gate (a SIGKILL before `start`). */
  private endBeforeStart: ((sig: number) => void) | undefined;

  constructor(private readonly options: WasmSandboxOptions) {
    this.kernel = makeKernelServices(options.vfs, options.memory ?? new MemoryAccount(), options.ipc, options.net, options.hostname, options.domainname);
  }

  /** The init process (pid 1), for signals forwarded from the outside. */
  get initGroup(): ThreadGroup | undefined {
    return this.init;
  }

  /** The task whose calls the sentry is answering (/proc/self): the only one there is. */
  get currentTask(): Task | undefined {
    return this.initTask;
  }

  groups(): ThreadGroup[] {
    return this.init && !this.init.zombie ? [this.init] : [];
  }

  groupByPid(pid: number): ThreadGroup | undefined {
    return pid === 1 ? this.init : undefined;
  }

  /** A process-directed signal. */
  signalGroup(group: ThreadGroup, sig: number): void {
    if (group !== this.init) return;
    if (this.wasm) this.wasm.signal(sig);
    else if (sig === SIG.KILL) this.endBeforeStart?.(sig);
  }

  /**
   * kill(2) of a process as the ptrace Sandbox applies it: the init of a pid namespace only
   * gets the signals it handles, and from outside SIGKILL and SIGSTOP too. A module has no
   * handlers, so only SIGKILL from outside (`tssc kill`, the signal proxy) ends it.
   */
  signalProcess(group: ThreadGroup, sig: number, fromOutside: boolean): void {
    if (group === this.init && group.sigactions.effect(sig) !== 'handler') {
      if (!fromOutside || (sig !== SIG.KILL && sig !== SIG.STOP)) return;
    }
    this.signalGroup(group, sig);
  }

  /**
   * Starts the module and resolves with its raw wait status when it is gone. Errors of
   * the program itself (ENOENT, EACCES, ENOEXEC for a bad module) reject before anything runs.
   */
  async run(): Promise<number> {
    const { init, vfs, table } = this.options;
    const creds = makeCredentials(init.identity);
    const fs: FsContext = { root: vfs.root, cwd: vfs.root, umask: init.umask, creds: fsCredentials(creds) };
    fs.cwd = vfs.resolve(fs, undefined, init.cwd, { follow: true, directory: true });
    const envp = wasmEnvironment(init.envp, init.cwd);
    const program = readWasmProgram(vfs, fs, undefined, init.program, init.argv, envp, 'bundle');
    if (!program) fail(E.ENOEXEC, `${init.program} is not a wasm module`);

    const fds = new FdTable();
    init.stdio.forEach((file, fd) => fds.installAt(fd, file));
    const group = new ThreadGroup(1, 0, undefined, 1, 1, new SignalActions(), init.rlimits, creds, 0);
    const base = init.program.slice(init.program.lastIndexOf('/') + 1);
    group.comm = base.slice(0, 15);
    group.cmdline = Buffer.from(init.argv.map((a) => `${a}\0`).join(''), 'latin1');
    group.environ = Buffer.from(envp.map((e) => `${e}\0`).join(''), 'latin1');
    group.exe = program.location;
    const task = new Task(1, 0, group, fds, fs, this.kernel, NO_MEMORY, { signal: (_task, sig) => this.wasm?.signal(sig) });
    group.tasks.add(task);
    this.init = group;
    this.initTask = task;

    return new Promise<number>((resolve, reject) => {
      const end = (waitStatus: number): void => {
        this.endBeforeStart = undefined;
        group.tasks.delete(task);
        group.lastFs = task.fs;
        fds.closeAll();
        group.exitStatus = waitStatus;
        resolve(waitStatus);
      };
      this.endBeforeStart = end;
      const start = (): void => {
        this.endBeforeStart = undefined;
        void WasmTask.start({
          task,
          program,
          table,
          ...(this.options.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: this.options.memoryLimitBytes }),
          onExit: (waitStatus, status) => {
            if (status.kind === 'signaled' && status.reason) this.options.onTrap?.(1, status.reason);
            end(waitStatus);
          },
        }).then((wasm) => (this.wasm = wasm), (error: unknown) => {
          fds.closeAll();
          reject(error);
        });
      };
      if (!this.options.startGate?.hold(start)) start();
    });
  }
}
