// A wasm process: one worker thread running one module, whose every call that touches
// sentry state is answered on the main thread by the WASI table against the task's fd
// table, filesystem context and kernel. A busy or blocked module never blocks the
// sentry's event loop; kill terminates the worker wherever it is.

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { SIG } from '../../abi/linux-signal.js';
import type { SyscallTask } from '../kernel/syscall.js';
import { CallBuffer, reply, type CallArg, type WorkerMessage } from './channel.js';
import type { WasmExitStatus } from './exit-status.js';
import { limitModuleMemory } from './memory-limit.js';
import { compileCached } from './module-cache.js';
import type { WasmWorkerData } from './worker-data.js';


/** What the WASI table gives a running process to end it (proc_exit). */
export interface WasmProcessControl {
  exit(code: number): void;
}

/** Answers one call: the WASI errno, with results left in buffer. */
export type WasmCallHandler = (op: string, args: readonly CallArg[], buffer: CallBuffer) => number | Promise<number>;

/**
 * A table of wasm imports (src/syscalls/wasi registers preview1). The sentry never imports
 * a table: whoever builds the sandbox hands it one.
 */
export interface WasmSyscallTable {
  /** The worker entry module that instantiates a module with this table's imports. */
  readonly workerUrl: URL;
  /** Whether the module's imports and exports are ones this table can run (a command module). */
  validate(module: WebAssembly.Module): void;
  /** Per-process state (preopens, rights) and the handler of its calls. */
  attach(task: SyscallTask, control: WasmProcessControl): WasmCallHandler;
}

export interface WasmLimits {
  /** RLIMIT_CPU soft and hard limits in seconds (SIGXCPU at soft, SIGKILL at hard). */
  cpuSoftSeconds?: number;
  cpuHardSeconds?: number;
  /** linux.resources.memory.limit in bytes: the module's memory maximum. */
  memoryBytes?: number;
}

export interface WasmProgram {
  readonly bytes: Uint8Array;
  readonly argv: readonly string[];
  readonly envp: readonly string[];
}

export interface WasmProcess {
  /** Resolves once, when the module exits, traps, or is killed. */
  readonly exited: Promise<WasmExitStatus>;
  /** Terminates the module as a fatal signal does (SIGKILL, SIGTERM ...). */
  kill(signal: number): void;
}

/** A module compiled and checked for a program: what execve holds before its point of no return. */
export interface PreparedWasm {
  /** Starts the module as task's program. */
  start(task: SyscallTask): WasmProcess;
}

/**
 * Compiles and checks program for table. Rejects with SysError(ENOEXEC) for a malformed
 * module or one this table cannot run, and ENOMEM when its initial memory is above the
 * limit: an execve can still fail without disturbing the calling program.
 */
export async function prepareWasmProcess(program: WasmProgram, table: WasmSyscallTable, limits: WasmLimits = {}): Promise<PreparedWasm> {
  const bytes = limits.memoryBytes === undefined ? program.bytes : limitModuleMemory(program.bytes, limits.memoryBytes);
  const module = await compileCached(bytes);
  table.validate(module);
  return { start: (task) => new RunningWasmProcess(task, module, program, table, limits) };
}

/** prepareWasmProcess, then start. */
export async function startWasmProcess(task: SyscallTask, program: WasmProgram, table: WasmSyscallTable, limits: WasmLimits = {}): Promise<WasmProcess> {
  return (await prepareWasmProcess(program, table, limits)).start(task);
}

class RunningWasmProcess implements WasmProcess {
  readonly exited: Promise<WasmExitStatus>;
  private settle!: (status: WasmExitStatus) => void;
  private status: WasmExitStatus | undefined;
  private readonly worker: Worker;
  private readonly buffer = new CallBuffer();
  private readonly handle: WasmCallHandler;
  private usedNs = 0n;
  /** When the module last started running (undefined while it waits on the sentry). */
  private runningSince: bigint | undefined;
  private cpuTimer: NodeJS.Timeout | undefined;

  constructor(
    task: SyscallTask,
    module: WebAssembly.Module,
    program: WasmProgram,
    table: WasmSyscallTable,
    private readonly limits: WasmLimits,
  ) {
    this.exited = new Promise((resolve) => (this.settle = resolve));
    this.handle = table.attach(task, { exit: (code) => this.end({ kind: 'exited', code: code & 0xff }) });
    const { port1, port2 } = new MessageChannel();
    const now = process.hrtime.bigint();
    const workerData: WasmWorkerData = {
      module,
      argv: program.argv,
      envp: program.envp,
      shared: this.buffer.shared,
      port: port2,
      realtimeOffsetNs: task.kernel.realtimeNs() - now,
      monotonicOffsetNs: task.kernel.monotonicNs() - now,
    };
    this.worker = new Worker(table.workerUrl, { workerData, transferList: [port2] });
    port1.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.end({ kind: 'signaled', signal: SIG.KILL, reason: `wasm worker failed: ${error.message}` }));
    this.worker.on('exit', () => {
      // The worker's last message (returned, trapped) and its exit travel separately:
      // take what it said before concluding it died without a word.
      for (let left = receiveMessageOnPort(port1); left; left = receiveMessageOnPort(port1)) {
        this.onMessage(left.message as WorkerMessage);
      }
      port1.close();
      this.end({ kind: 'signaled', signal: SIG.KILL, reason: 'wasm worker exited unexpectedly' });
    });
    this.resumeRunning();
  }

  kill(signal: number): void {
    this.end({ kind: 'signaled', signal });
  }

  private onMessage(message: WorkerMessage): void {
    if (this.status) return;
    switch (message.kind) {
      case 'returned':
        return this.end({ kind: 'exited', code: 0 });
      case 'trapped':
        return this.end({ kind: 'signaled', signal: message.signal, reason: message.reason });
      case 'call':
        this.pauseRunning();
        void this.answer(message.op, message.args);
    }
  }

  private async answer(op: string, args: readonly CallArg[]): Promise<void> {
    let errno: number;
    try {
      errno = await this.handle(op, args, this.buffer);
    } catch (error) {
      // A handler bug must not take the sentry down: the module dies, the sentry goes on.
      this.end({ kind: 'signaled', signal: SIG.KILL, reason: `sentry error in ${op}: ${error instanceof Error ? error.stack : String(error)}` });
      return;
    }
    if (this.status) return;
    this.resumeRunning();
    reply(this.buffer, errno);
  }

  private pauseRunning(): void {
    if (this.runningSince !== undefined) this.usedNs += process.hrtime.bigint() - this.runningSince;
    this.runningSince = undefined;
    clearTimeout(this.cpuTimer);
  }

  private resumeRunning(): void {
    this.runningSince = process.hrtime.bigint();
    const { cpuSoftSeconds, cpuHardSeconds } = this.limits;
    const limit = cpuSoftSeconds ?? cpuHardSeconds;
    if (limit === undefined) return;
    const signal = cpuSoftSeconds !== undefined ? SIG.XCPU : SIG.KILL;
    const remainingMs = Number((BigInt(Math.round(limit * 1e9)) - this.usedNs) / 1_000_000n);
    this.cpuTimer = setTimeout(() => this.kill(signal), Math.max(remainingMs, 0));
  }

  private end(status: WasmExitStatus): void {
    if (this.status) return;
    this.status = status;
    this.pauseRunning();
    void this.worker.terminate();
    this.settle(status);
  }
}
