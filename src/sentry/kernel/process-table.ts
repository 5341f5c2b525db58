// The sandbox's processes by kernel identity (their numbers in the sandbox's own pid
// namespace, the root of any nested ones: namespaces/pid-namespace.ts), and which host
// thread (or wasm worker) runs each task.

import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { PidNamespace } from './namespaces/pid-namespace.js';

export class ProcessTable {
  private readonly byHost = new Map<number, Task>();
  private readonly byTid = new Map<number, Task>();
  private readonly byPid = new Map<number, ThreadGroup>();
  /** Tasks whose program is a wasm module: no host thread, a worker instead. */
  private readonly wasm = new Set<Task>();
  private nextPid = 1;
  /** The sandbox's pid namespace: every nested one descends from it. */
  readonly root = new PidNamespace(undefined);

  /**
   * The lowest unused pid from where the last one was taken, as Linux hands them out; or
   * wanted, which clone3's set_tid asked for (checked free), moving no cursor.
   */
  allocatePid(wanted?: number): number {
    if (wanted !== undefined) return wanted;
    while (this.byPid.has(this.nextPid) || this.byTid.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  add(task: Task): void {
    task.group.pidns ??= this.root;
    task.group.pidns.assign(task.tid, task.group);
    task.group.tasks.add(task);
    this.byPid.set(task.group.pid, task.group);
    this.byHost.set(task.hostTid, task);
    this.byTid.set(task.tid, task);
  }

  taskOfHost(hostTid: number): Task | undefined {
    return this.byHost.get(hostTid);
  }

  task(tid: number): Task | undefined {
    return this.byTid.get(tid);
  }

  group(pid: number): ThreadGroup | undefined {
    return this.byPid.get(pid);
  }

  /** Whether a task or process has this pid (a number the sandbox's namespace cannot hand out). */
  taken(pid: number): boolean {
    return this.byPid.has(pid) || this.byTid.has(pid);
  }

  groups(): ThreadGroup[] {
    return [...this.byPid.values()];
  }

  /** Tasks that still have a host thread. */
  hostTasks(): Task[] {
    return [...this.byHost.values()];
  }

  wasmTasks(): Task[] {
    return [...this.wasm];
  }

  /** Tasks alive (host threads and wasm workers). */
  get liveCount(): number {
    return this.byHost.size + this.wasm.size;
  }

  get hostCount(): number {
    return this.byHost.size;
  }

  /** The task now runs in a wasm worker: its host thread is no longer its own. */
  moveToWasm(task: Task): void {
    this.byHost.delete(task.hostTid);
    this.wasm.add(task);
  }

  /** The host thread hostTid is gone; true when it was still running task. */
  dropHost(task: Task): boolean {
    if (this.byHost.get(task.hostTid) !== task) return false;
    this.byHost.delete(task.hostTid);
    return true;
  }

  /** The wasm worker of task is gone; true when task was a wasm task. */
  dropWasm(task: Task): boolean {
    return this.wasm.delete(task);
  }

  /** The task has exited: its tid is free (its process stays until reaped). */
  remove(task: Task): void {
    this.byTid.delete(task.tid);
    task.group.tasks.delete(task);
    if (!this.byPid.has(task.tid)) task.group.pidns.release(task.tid);
  }

  /** wait4 collected a zombie: its pid becomes free. */
  reap(group: ThreadGroup): void {
    group.parent?.children.delete(group);
    this.byPid.delete(group.pid);
    if (!this.byTid.has(group.pid)) group.pidns.release(group.pid);
    group.markReaped();
  }
}
