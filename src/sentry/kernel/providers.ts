// The sandbox facts the VFS's synthesized filesystems show (/proc, /dev/tty job control):
// built before the Sandbox (the VFS needs them to mount), bound to it once it exists.

import { E, fail, isSysError } from '../../abi/errno.js';
import type { FileDescription, ProcessMemory, ProcessView, SandboxProviders, SysvIpcRows } from '../../vfs/api.js';
import { mayAttach } from './ptrace/access.js';
import type { TerminalAccessCheck } from '../../vfs/devpts/job-control.js';
import type { MqueueNamespace } from '../../vfs/mqueue/namespace.js';
import { PROC_NET_FILES, procNetText } from '../../netstack/proc-net.js';
import { readHostStat } from './cpu-times.js';
import { hostMappings, type HostMapping } from '../platform/host/host-proc.js';
import { sandboxMaps } from './file-mappings.js';
import type { KernelServices } from './syscall.js';
import { namespaceLinks } from './namespaces/setns.js';
import { personalityOf } from './personality.js';
import { userNamespaceFiles } from './namespaces/user-namespace-files.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import type { PidNamespace } from './namespaces/pid-namespace.js';

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
  /** The nested pid namespace a proc mount of these shows (forProcMount); undefined: the sandbox's own. */
  private pidns: PidNamespace | undefined;

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
    const task = this.sandbox?.currentTask;
    return task ? this.numberOf(task.pid) : 1;
  }

  currentTid(): number {
    const task = this.sandbox?.currentTask;
    return task ? this.numberOf(task.tid) : 1;
  }

  processes(): readonly number[] {
    const ns = this.pidns;
    return (this.sandbox?.groups() ?? [])
      .filter((g) => !ns || ns.contains(g.pidns))
      .map((g) => this.numberOf(g.pid))
      .sort((a, b) => a - b);
  }

  process(pid: number): ProcessView | undefined {
    const id = this.pidns ? this.pidns.idOf(pid) : pid;
    const group = id === undefined ? undefined : this.sandbox?.groupByPid(id);
    return group ? viewOf(group, () => this.sandbox?.currentTask, this.pidns) : undefined;
  }

  currentProcess(): ProcessView | undefined {
    const task = this.sandbox?.currentTask;
    return task ? viewOf(task.group, () => this.sandbox?.currentTask, this.pidns) : undefined;
  }

  forProcMount(): SandboxProviders {
    const ns = this.sandbox?.currentTask?.pidNamespace;
    if (!ns?.parent || ns === this.pidns) return this;
    const view = new SentryProviders(this.fallbackHostname, this.fallbackDomainname);
    view.sandbox = this.sandbox;
    view.pidns = ns;
    return view;
  }

  /** The number the shown namespace gives the kernel's identity id (0: it cannot see it). */
  private numberOf(id: number): number {
    return this.pidns ? this.pidns.numberOf(id) : id;
  }

  uptime(): number {
    return this.sandbox ? Number(this.sandbox.kernel.uptimeNs()) / 1e9 : 0;
  }

  sysvipc(): SysvIpcRows {
    const sandbox = this.sandbox;
    const vmasOf = (pid: number): HostMapping[] | undefined => {
      const group = sandbox?.groupByPid(pid);
      return group && !group.zombie ? hostMappings(group.hostPid) : undefined;
    };
    return this.services?.ipc.rows(vmasOf) ?? { sem: [], msg: [], shm: [] };
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

/** A task's state letter: t while its tracer holds it in a ptrace-stop (ltrace waits for it), T in a group-stop. */
function stateOf(group: ThreadGroup, task: Task | undefined): string {
  if (group.zombie) return 'Z';
  if (task?.tracee?.stop) return 't';
  if (group.stopped) return 'T';
  return task?.blocked ? 'S' : 'R';
}

/** The /proc view of group with the numbers ns gives (undefined: the sandbox's own namespace). */
function viewOf(group: ThreadGroup, reader: () => Task | undefined, ns: PidNamespace | undefined): ProcessView {
  const tasks = [...group.tasks];
  const leader = tasks[0];
  const creds = group.creds;
  const number = (id: number): number => (ns ? ns.numberOf(id) : id);
  const taskOf = (tid: number): Task | undefined => tasks.find((t) => number(t.tid) === tid);
  // The parent of a namespace's init is outside it: 0.
  const parent = group.parent;
  return {
    pid: number(group.pid),
    ppid: parent ? number(parent.pid) : 0,
    pgid: number(group.pgid),
    sid: number(group.sid),
    tids: tasks.map((t) => number(t.tid)),
    namespaceNumbers: (tid) => {
      const from = ns ?? [...group.pidns.lineage()].pop()!;
      const id = taskOf(tid)?.tid ?? group.pid;
      return {
        tgid: from.numbersDownTo(group.pidns, group.pid),
        pid: from.numbersDownTo(group.pidns, id),
        pgid: from.numbersDownTo(group.pidns, group.pgid),
        sid: from.numbersDownTo(group.pidns, group.sid),
      };
    },
    personality: () => {
      const task = tasks.find((t) => !t.exited);
      return task ? personalityOf(task) : 0;
    },
    namespaces: () => {
      const task = tasks.find((t) => !t.exited);
      if (!task) return new Map();
      return new Map([...namespaceLinks(task)].map(([name, inode]) => [name, { inode, name: inode.name }]));
    },
    userNamespace: () => userNamespaceFiles(group.creds.userNs, () => reader()?.creds),
    state: stateOf(group, leader),
    threadState: (tid) => stateOf(group, taskOf(tid) ?? leader),
    comm: group.comm,
    threadComm: (tid) => taskOf(tid)?.threadComm ?? group.comm,
    setThreadComm: (tid, name) => {
      const task = taskOf(tid);
      if (!task) fail(E.ESRCH);
      if (task.tid === group.pid) group.comm = name;
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
    tracerPid: (tid) => {
      const tracer = taskOf(tid)?.tracee?.tracer;
      return tracer ? number(tracer.pid) : 0;
    },
    ...(leader && !leader.wasmSignal ? { memory: () => processMemory(group, leader, reader()) } : {}),
    usage: () => {
      const stat = group.zombie || leader?.wasmSignal ? undefined : readHostStat(group.hostPid);
      if (stat) return stat;
      const ended = group.endedThreads;
      return { utimeTicks: ended.utimeTicks, stimeTicks: ended.stimeTicks, vsizeBytes: 0, rssPages: 0, minorFaults: 0, majorFaults: 0 };
    },
  };
}
