// A sentry task whose program is a wasm module: the same Task and ThreadGroup as any
// process of the sandbox (virtual pid, fd table, fs context, limits, dispositions), with
// a worker thread in place of a host thread. What a Sandbox calls when init or an
// execve turns out to be wasm.

import { SIG } from '../../abi/linux-signal.js';
import type { Task } from '../kernel/task.js';
import { RLIMIT, RLIM_INFINITY } from '../kernel/rlimits.js';
import { waitStatusOf, type WasmExitStatus } from './exit-status.js';
import { prepareWasmProcess, type WasmLimits, type WasmProcess, type WasmProgram, type WasmSyscallTable } from './process.js';


export interface WasmTaskOptions {
  readonly task: Task;
  readonly program: WasmProgram;
  readonly table: WasmSyscallTable;
  /** linux.resources.memory.limit of the sandbox, in bytes. */
  readonly memoryLimitBytes?: number;
  /** Called once with the raw wait status when the module is gone (exit, trap, kill). */
  readonly onExit: (waitStatus: number, status: WasmExitStatus) => void;
}

const finite = (value: bigint): number | undefined => (value === RLIM_INFINITY ? undefined : Number(value));

/** The limits a module runs under: RLIMIT_CPU, and the tighter of RLIMIT_AS and the memory limit. */
export function wasmLimitsOf(task: Task, memoryLimitBytes: number | undefined): WasmLimits {
  const cpu = task.rlimits.get(RLIMIT.CPU);
  const as = finite(task.rlimits.get(RLIMIT.AS).cur);
  const memory = [as, memoryLimitBytes].filter((v): v is number => v !== undefined);
  const limits: WasmLimits = {};
  const soft = finite(cpu.cur);
  const hard = finite(cpu.max);
  if (soft !== undefined) limits.cpuSoftSeconds = soft;
  if (hard !== undefined) limits.cpuHardSeconds = hard;
  if (memory.length > 0) limits.memoryBytes = Math.min(...memory);
  return limits;
}

/** A wasm program ready to replace a task's program (execve before its point of no return). */
export interface PreparedWasmTask {
  /** The point of no return is passed: the module starts as the task's program. */
  start(): WasmTask;
}

export class WasmTask {
  private constructor(
    private readonly task: Task,
    readonly process: WasmProcess,
  ) {}

  /**
   * Compiles and checks the module for task. Rejects (SysError ENOEXEC, ENOMEM) when it
   * cannot run, while the task's current program is still intact.
   */
  static async prepare(options: WasmTaskOptions): Promise<PreparedWasmTask> {
    const { task } = options;
    const prepared = await prepareWasmProcess(options.program, options.table, wasmLimitsOf(task, options.memoryLimitBytes));
    return {
      start: () => {
        const wasm = prepared.start(task);
        void wasm.exited.then((status) => {
          task.exited = true;
          task.interrupt(SIG.KILL);
          options.onExit(waitStatusOf(status), status);
        });
        return new WasmTask(task, wasm);
      },
    };
  }

  /** prepare, then start at once (a new process whose program is wasm). */
  static async start(options: WasmTaskOptions): Promise<WasmTask> {
    return (await WasmTask.prepare(options)).start();
  }

  /**
   * A signal for this task (the Task's signal hook). WASI has no handlers: a signal whose
   * disposition terminates ends the module; ignored ones do nothing; stop signals are not
   * modelled for wasm tasks and are ignored.
   */
  signal(sig: number): void {
    if (this.task.exited) return;
    if (this.task.group.sigactions.effect(sig) !== 'terminate') return;
    this.task.interrupt(sig);
    this.process.kill(sig);
  }
}
