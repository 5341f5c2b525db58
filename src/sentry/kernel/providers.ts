// The sandbox facts the VFS's synthesized filesystems show (/proc, /dev/tty job control):
// built before the Sandbox (the VFS needs them to mount), bound to it once it exists.

import { E, fail, isSysError } from '../../abi/errno.js';
import type { FileDescription, ProcessMemory, ProcessView, SandboxProviders, SysvIpcRows } from '../../vfs/api.js';
import { mayAttach } from './ptrace/access.js';
import type { TerminalAccessCheck } from '../../vfs/devpts/job-control.js';
import type { MqueueNamespace } from '../../vfs/mqueue/namespace.js';
import { PROC_NET_FILES, procNetText } from '../../netstack/proc-net.js';
import { readHostStat } from './cpu-times.js';
import { sandboxMaps } from './file-mappings.js';
import type { KernelServices } from './syscall.js';
import { namespaceLinks } from './namespaces/setns.js';
import { personalityOf } from './personality.js';
import { userNamespaceFiles } from './namespaces/user-namespace-files.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/** What the providers read of a sandbox (the ptrace Sandbox and the WasmSandbox alike). */
export interface ProcessSource {
  readonly kernel: KernelServices;
  readonly currentTask: Task | undefined;
  groups(): ThreadGroup[];
  groupByPid(pid: number): ThreadGroup | undefined;
  /** kill(2) of a process, with the pid-namespace init's rules. */
  signalProcess(group: ThreadGroup, sig: number, fromOutside: boolean): void;
  /** Job control of a terminal access by the calling task (the ptrace sandbox has it). */
  checkTerminalAccess?(terminal: { session: number | undefined; foreground: number | undefined }, kind: 'read' | 'write'): void;
}

export class SentryProviders implements SandboxProviders {
  private sandbox: ProcessSource | undefined;

  constructor(
    private readonly fallbackHostname: string,
    private readonly fallbackDomainname: string,
  ) {}

  attach(sandbox: ProcessSource): void {
    this.sandbox = sandbox;
  }

  /** The namespaces of the task whose call reads /proc (the sandbox's first ones between calls). */
  private get services(): KernelServices | undefined {
    return this.sandbox?.currentTask?.kernel ?? this.sandbox?.kernel;
  }

  hostname(): string {
    return this.services?.uts.hostname ?? this.fallbackHostname;
  }

  domainname(): string {
    return this.services?.uts.domainname ?? this.fallbackDomainname;
  }

  currentPid(): number {
    return this.sandbox?.currentTask?.pid ?? 1;
  }

  currentTid(): number {
    return this.sandbox?.currentTask?.tid ?? 1;
  }

  processes(): readonly number[] {
    return (this.sandbox?.groups() ?? []).map((g) => g.pid).sort((a, b) => a - b);
  }

  process(pid: number): ProcessView | undefined {
    const group = this.sandbox?.groupByPid(pid);
    return group ? viewOf(group, () => this.sandbox?.currentTask) : undefined;
  }

  uptime(): number {
    return this.sandbox ? Number(this.sandbox.kernel.uptimeNs()) / 1e9 : 0;
  }

  sysvipc(): SysvIpcRows {
    return this.services?.ipc.rows() ?? { sem: [], msg: [], shm: [] };
  }

  currentMqueues(): MqueueNamespace | undefined {
    return this.services?.ipc.posix.mqueues;
  }

  networkFiles(): readonly string[] {
    return PROC_NET_FILES;
  }

  networkFile(name: string): string | undefined {
    const services = this.services;
    return services ? procNetText(services.net, name) : undefined;
  }

  /** JobControl for terminals: the sandbox's own check of a background access, if it has one. */
  get checkTerminalAccess(): TerminalAccessCheck | undefined {
    const sandbox = this.sandbox;
    if (!sandbox?.checkTerminalAccess) return undefined;
    return (terminal, kind) => sandbox.checkTerminalAccess!(terminal, kind);
  }

  /**
   * JobControl for terminals: a signal to every process of a process group, as kill(2)
   * sends it: the pid namespace's init only gets what it handles (a ^C to a shell or a
   * `cat` that is pid 1 leaves it running, as under runc).
   */
  signalProcessGroup(pgid: number, signo: number): void {
    for (const group of this.sandbox?.groups() ?? []) {
      if (group.pgid === pgid) this.sandbox!.signalProcess(group, signo, false);
    }
  }
}

/** reader: the task making the current call (for /proc/PID/mem's access check). */
/** /proc/PID/mem's access: a reader that may ptrace-attach to group (kernel/ptrace/access.ts), else EACCES. */
function processMemory(group: ThreadGroup, leader: Task, reader: Task | undefined): ProcessMemory {
  if (group.zombie || !reader || !mayAttach(reader, group)) fail(E.EACCES);
  return {
    read: (addr, into) => copied(() => leader.mem.readInto(addr, into), into.length),
    write: (addr, data) => leader.process.writeMemory(addr, data),
  };
}

/** Bytes a copy moved: all, or 0 when the memory was not there. */
function copied(copy: () => void, length: number): number {
  try {
    copy();
    return length;
  } catch (e) {
    if (isSysError(e)) return 0;
    throw e;
  }
}

function viewOf(group: ThreadGroup, reader: () => Task | undefined): ProcessView {
  const tasks = [...group.tasks];
  const leader = tasks[0];
  const creds = group.creds;
  return {
    pid: group.pid,
    ppid: group.parent?.pid ?? 0,
    pgid: group.pgid,
    sid: group.sid,
    tids: tasks.map((t) => t.tid),
    personality: () => {
      const task = tasks.find((t) => !t.exited);
      return task ? personalityOf(task) : 0;
    },
    namespaces: () => {
      const task = tasks.find((t) => !t.exited);
      if (!task) return new Map();
      return new Map([...namespaceLinks(task.kernel, task.fs, task.creds)].map(([name, inode]) => [name, { inode, name: inode.name }]));
    },
    userNamespace: () => userNamespaceFiles(group.creds.userNs, () => reader()?.creds),
    state: group.zombie ? 'Z' : group.stopped ? 'T' : leader?.blocked ? 'S' : 'R',
    comm: group.comm,
    threadComm: (tid) => {
      const task = tasks.find((t) => t.tid === tid);
      return task?.threadComm ?? group.comm;
    },
    setThreadComm: (tid, name) => {
      const task = tasks.find((t) => t.tid === tid);
      if (!task) fail(E.ESRCH);
      if (tid === group.pid) group.comm = name;
      else task.threadComm = name;
    },
    cmdline: group.zombie ? new Uint8Array() : group.cmdline,
    environ: group.environ,
    uid: creds.ruid,
    gid: creds.rgid,
    euid: creds.euid,
    egid: creds.egid,
    identity: creds,
    startTicks: group.startTicks,
    fsContext: leader?.fs ?? group.lastFs!,
    exe: group.exe,
    fds: (): ReadonlyMap<number, FileDescription> => leader?.fds.snapshot() ?? new Map(),
    ...(group.brk ? { dataLayout: { startData: group.brk.startData, endData: group.brk.endData, startBrk: group.brk.start } } : {}),
    maps: () => (group.zombie || leader?.wasmSignal ? '' : sandboxMaps(group.hostPid, group.fileMappings, group.brk)),
    ...(group.auxv ? { auxv: group.auxv } : {}),
    tracerPid: (tid) => tasks.find((t) => t.tid === tid)?.tracee?.tracer.pid ?? 0,
    ...(leader && !leader.wasmSignal ? { memory: () => processMemory(group, leader, reader()) } : {}),
    usage: () => {
      const stat = group.zombie || leader?.wasmSignal ? undefined : readHostStat(group.hostPid);
      if (stat) return stat;
      const ended = group.endedThreads;
      return { utimeTicks: ended.utimeTicks, stimeTicks: ended.stimeTicks, vsizeBytes: 0, rssPages: 0, minorFaults: 0, majorFaults: 0 };
    },
  };
}
