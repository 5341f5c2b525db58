// The process operations of one task (ProcessControl): ids, the process tree, clone,
// execve, wait and signals, over the sandbox's tables. Linux semantics, virtual pids.

import { E, fail, isSysError } from '../../abi/errno.js';
import { CLONE, CLONE_ARGS_OFFSET, CLONE_ARGS_SIZE, CSIGNAL } from '../../abi/linux-clone.js';
import { makedev, MS, S, type FileDescription, type Location } from '../../vfs/api.js';
import { CAP } from '../../abi/linux-capability.js';
import { MAP, PROT } from '../../abi/linux-mman.js';
import { NR } from '../../abi/linux-syscalls.js';
import { hasCapability, fsCredentials, nsCapable, staysDumpable } from './credentials.js';
import { prepareProgram } from '../loader/image.js';
import { fsSharedWithAnotherProcess, withExecCredentials } from './exec-credentials.js';
import { RLIMIT } from './rlimits.js';
import { highestPriority, priorityTargets, setNice } from './priority.js';
import { ioPriorityOf, setIoPriority } from './io-priority.js';
import { schedulingOf, setScheduling } from './scheduling.js';
import type { WasmSupport } from './sandbox.js';
import type { MapRequest } from '../platform/map-request.js';
import type { Platform } from './platform.js';
import type { ProcessTable } from './process-table.js';
import type { SignalDelivery } from './signal-delivery.js';
import type { HostRlimits } from './host-rlimits.js';
import type { MemoryMonitor } from './memory-monitor.js';
import { readWasmProgram, type LocatedWasmProgram } from '../wasm/program.js';
import { WasmTask } from '../wasm/wasm-task.js';
import { WAIT, waitableState } from './job-control.js';
import { SIG } from '../../abi/linux-signal.js';
import { isValidSignal } from './signals.js';
import { hostCall, type ChildState, type ExecProgram, type HostCall, type NoReturn, type PidfdTarget, type MemoryLocks, type ProcessControl, type ProcessNotifier, type Rlimits, type SchedChange, type SchedPolicy, type SignalDisposition, type SyscallResult, type TaskCredentials, type TaskMemory } from './syscall.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import type { HostSignalCalls } from './masked-waits.js';
import { addTimes, readHostPeakRssKb, readHostStat, zeroTimes, type CpuTimes } from './cpu-times.js';
import { sendingQueued } from './signal-senders.js';
import { pendingSignalSource, type PendingSignalSource } from './signal-source.js';
import { openPidfd, pidfdGroup, pidfdThread } from './files/pidfd.js';
import { NR_OPEN } from './fd-table.js';
import { AioContexts } from './aio.js';
import type { Ptrace } from './ptrace/ptrace.js';
import { ptraceRequest, type RequestHost } from './ptrace/requests.js';
import { mayAttach, PTRACER_ANY } from './ptrace/access.js';
import type { HostVma } from './ipc/shm.js';
import { hostMappings } from '../platform/host/host-proc.js';
import { checkCloneNamespaceFlags, cloneNamespaces, CLONE_NEW_ANY } from './namespaces/new-namespaces.js';
import { unshareTask } from './namespaces/unshare.js';
import { setnsTask } from './namespaces/setns.js';
import { hostLayoutFor, personalityOf } from './personality.js';
import { checkSetTid, type PidNamespace } from './namespaces/pid-namespace.js';
import { PERSONALITY_QUERY } from '../../abi/linux-personality.js';

const PAGE = 4096n;
/** seccomp(2)'s SECCOMP_FILTER_FLAG_TSYNC. */
const SECCOMP_FILTER_FLAG_TSYNC = 1;
const O_WRONLY = 1;
const O_RDWR = 2;
/** /dev/zero: a shared mapping of it is shared anonymous memory. */
const DEV_ZERO = makedev(1, 5);

/** What a task's process operations act on besides the task: the sandbox's tables and services. */
export interface ProcessHost {
  /** The sandbox's pid namespace. */
  readonly procs: ProcessTable;
  readonly signals: Pick<SignalDelivery, 'signalProcess' | 'signalTask' | 'initDiscards'>;
  readonly platform: Pick<Platform, 'newMemoryFile' | 'writeProtected' | 'reservedRange' | 'mapSharedFile' | 'installSeccompFilter' | keyof RequestHost['platform']>;
  /** The sandbox's ptrace relations. */
  readonly ptrace: Ptrace;
  readonly hostSignalCalls: HostSignalCalls;
  /** The limits the host enforces on the tasks' processes. */
  readonly hostRlimits: HostRlimits;
  /** Told of each break the workload grows, when the sandbox has a memory limit. */
  readonly memoryMonitor: MemoryMonitor | undefined;
  /** How an execve runs a wasm module; undefined: it is ENOEXEC. */
  readonly wasm: WasmSupport | undefined;
  /** Whether one more task would exceed the sandbox's limit. */
  atTaskLimit(): boolean;
  /** execve of a wasm module, past its point of no return (Sandbox.becomeWasm). */
  becomeWasm(task: Task, program: { execfn: string; argv: readonly string[]; envp: readonly string[]; location: Location }, start: () => (sig: number) => void): void;
  /** A wasm task's module is gone with this raw wait status. */
  wasmExited(task: Task, status: number): void;
}

export class TaskProcess implements ProcessControl {
  constructor(
    private readonly task: Task,
    private readonly host: ProcessHost,
  ) {}

  private get group(): ThreadGroup {
    return this.task.group;
  }

  /** The caller's pid namespace: every pid it names or gets is a number there. */
  private get ns(): PidNamespace {
    return this.group.pidns;
  }

  get pid(): number {
    return this.ns.numberOf(this.group.pid);
  }

  get tid(): number {
    return this.ns.numberOf(this.task.tid);
  }

  visiblePid(id: number): number {
    return this.ns.numberOf(id);
  }

  pidId(pid: number): number | undefined {
    return this.ns.idOf(pid);
  }

  /** The processes the caller's namespace sees: those in it and in the namespaces below it. */
  private visibleGroups(): ThreadGroup[] {
    const ns = this.ns;
    return this.host.procs.groups().filter((g) => ns.contains(g.pidns));
  }

  /** The process numbered pid in the caller's namespace. */
  private visibleGroup(pid: number): ThreadGroup | undefined {
    const id = this.ns.idOf(pid);
    return id === undefined ? undefined : this.host.procs.group(id);
  }

  /** The task numbered tid in the caller's namespace. */
  private visibleTask(tid: number): Task | undefined {
    const id = this.ns.idOf(tid);
    return id === undefined ? undefined : this.host.procs.task(id);
  }

  get ppid(): number {
    // The parent of a namespace's init is outside it: 0 (as for the sandbox's own init).
    const parent = this.group.parent;
    return parent ? this.ns.numberOf(parent.pid) : 0;
  }

  get pgid(): number {
    return this.ns.numberOf(this.group.pgid);
  }

  get sid(): number {
    return this.ns.numberOf(this.group.sid);
  }

  brk(addr: bigint): SyscallResult | HostCall {
    const programBreak = this.group.brk;
    if (!programBreak) return 0n;
    const monitor = this.host.memoryMonitor;
    return programBreak.move(addr, this.task.rlimits.get(RLIMIT.DATA).cur, (bytes) => monitor?.grew(bytes));
  }

  ownTimes(): CpuTimes {
    return processTimes(this.group);
  }

  get childrenTimes(): CpuTimes {
    return this.group.reapedChildren;
  }

  get hostSignalCalls(): HostSignalCalls {
    return this.host.hostSignalCalls;
  }

  get comm(): string {
    return this.task.threadComm ?? this.group.comm;
  }

  set comm(name: string) {
    if (this.task.tid === this.group.pid) this.group.comm = name.slice(0, 15);
    else this.task.threadComm = name.slice(0, 15);
  }

  get dumpable(): boolean {
    return this.group.dumpable;
  }

  set dumpable(value: boolean) {
    this.group.dumpable = value;
  }

  get parentDeathSignal(): number {
    return this.group.parentDeathSignal;
  }

  set parentDeathSignal(sig: number) {
    this.group.parentDeathSignal = sig;
  }

  private lookup(pid: number): ThreadGroup {
    if (pid === 0) return this.group;
    return this.visibleGroup(pid) ?? fail(E.ESRCH);
  }

  getpgid(pid: number): number {
    return this.ns.numberOf(this.lookup(pid).pgid);
  }

  getsid(pid: number): number {
    return this.ns.numberOf(this.lookup(pid).sid);
  }

  setpgid(pid: number, pgid: number): void {
    if (pgid < 0) fail(E.EINVAL);
    const target = this.lookup(pid);
    if (target !== this.group && target.parent !== this.group) fail(E.ESRCH);
    if (target.sid !== this.group.sid) fail(E.EPERM);
    if (target.pid === target.sid) fail(E.EPERM);
    // A group the caller's namespace cannot name is none (find_vpid fails: EPERM).
    const newPgid = pgid === 0 ? target.pid : (this.ns.idOf(pgid) ?? fail(E.EPERM));
    if (newPgid !== target.pid && !this.host.procs.groups().some((g) => g.pgid === newPgid && g.sid === this.group.sid)) fail(E.EPERM);
    target.pgid = newPgid;
  }

  setsid(): number {
    if (this.host.procs.groups().some((g) => g.pgid === this.group.pid)) fail(E.EPERM);
    this.group.sid = this.group.pid;
    this.group.pgid = this.group.pid;
    return this.pid;
  }

  clone(flags: bigint, stack: bigint, parentTid: bigint, childTid: bigint, tls: bigint, pidfdAddr = parentTid, setTid?: readonly number[]): HostCall {
    checkCloneNamespaceFlags(flags);
    if (flags & (CLONE.PTRACE | CLONE.UNTRACED)) fail(E.EINVAL);
    if ((flags & CLONE.THREAD) && !(flags & CLONE.SIGHAND)) fail(E.EINVAL);
    if ((flags & CLONE.SIGHAND) && !(flags & CLONE.VM)) fail(E.EINVAL);
    // A pid namespace's init may have no sibling (its parent is outside and would never reap it).
    if (flags & CLONE.PARENT && this.group.pidns.init === this.group) fail(E.EINVAL);
    // A thread stays in its process's pid namespace: not after unshare(CLONE_NEWPID).
    if (flags & CLONE.THREAD && this.task.childPidNamespace !== this.ns) fail(E.EINVAL);
    const started = flags & CLONE.PIDFD ? this.pidfdOnStart(flags, parentTid, pidfdAddr) : undefined;
    if (this.host.atTaskLimit()) fail(E.EAGAIN);
    const namespaces = cloneNamespaces(this.task, flags);
    const childNs = namespaces?.pidForChildren ?? this.task.childPidNamespace;
    if (setTid) {
      const creds = this.task.creds;
      checkSetTid(childNs, setTid, hasCapability(creds, CAP.SYS_ADMIN) || hasCapability(creds, CAP.CHECKPOINT_RESTORE), (n) => this.host.procs.taken(n));
    }
    // The namespace whose init has ended takes nobody in (alloc_pid without PIDNS_ADDING).
    if (childNs.closed) fail(E.ENOMEM);
    // Every task becomes the sentry's child (CLONE_PARENT), so the sentry reaps every
    // host process and keeps the tree itself; the sentry writes virtual tids itself. The
    // host sends the exit signal to that parent, the sentry: always SIGCHLD, whatever the
    // workload asked (the sandbox's parent gets its own, see ThreadGroup.exitSignal). The
    // pidfd is the sentry's too: a host pidfd would name a host process.
    // The namespaces are the sentry's: the host makes none.
    let hostFlags = flags & ~(CLONE.CHILD_SETTID | CLONE.PARENT_SETTID | CLONE.PIDFD | CSIGNAL | CLONE_NEW_ANY);
    if (!(flags & CLONE.THREAD)) hostFlags |= CLONE.PARENT;
    const clone = { flags, parentTidAddr: parentTid, childTidAddr: childTid, started, namespaces, setTid };
    if (flags & CLONE.CLEAR_SIGHAND) {
      // The host child's handlers go back to SIG_DFL too: only clone3 takes the flag.
      return { kind: 'host', nr: NR.clone3, args: [hostCloneArgs(hostFlags, stack, parentTid, childTid, tls), BigInt(CLONE_ARGS_SIZE.ver2)], clone };
    }
    if (!(flags & CLONE.THREAD)) hostFlags |= BigInt(SIG.CHLD);
    return { kind: 'host', nr: NR.clone, args: [hostFlags, stack, parentTid, childTid, tls], clone };
  }

  unshare(flags: bigint): void {
    const { task, host } = this;
    unshareTask(task, flags, {
      sharesHandlersOrMemory: () => host.procs.groups().some((g) => g !== task.group && !g.zombie && (g.sigactions === task.group.sigactions || [...g.tasks].some((t) => t.mm === task.mm))),
    });
  }

  setns(file: FileDescription, nstype: number): void {
    const { task, host } = this;
    setnsTask(task, file, nstype, {
      sharesFs: () => host.procs.hostTasks().some((t) => t !== task && t.fs === task.fs),
      hasOtherThreads: () => [...task.group.tasks].some((t) => t !== task && !t.exited),
      taskOfPidfd: (pidfd) => {
        const group = pidfdGroup(pidfd);
        return group && !group.zombie ? [...group.tasks].find((t) => !t.exited) : undefined;
      },
    });
  }

  pivotRoot(newRoot: Location, putOld: Location): void {
    const { task, host } = this;
    const holders = new Set([...host.procs.hostTasks(), ...host.procs.wasmTasks()].map((t) => t.fs));
    task.kernel.vfs.pivotRoot(task.fs, newRoot, putOld, holders);
  }

  /**
   * CLONE_PIDFD's checks (a thread's pidfd, CLONE_DETACHED, or the pidfd and the parent's
   * tid at one address: EINVAL; no room in the fd table: EMFILE; an address it cannot write:
   * EFAULT), made before the child exists; then what installs the child's pidfd.
   */
  private pidfdOnStart(flags: bigint, parentTid: bigint, pidfdAddr: bigint): (childTid: number) => void {
    if (flags & (CLONE.THREAD | CLONE.DETACHED)) fail(E.EINVAL);
    if (flags & CLONE.PARENT_SETTID && pidfdAddr === parentTid) fail(E.EINVAL);
    const task = this.task;
    const cur = task.rlimits.get(RLIMIT.NOFILE).cur;
    const limit = cur > BigInt(NR_OPEN) ? NR_OPEN : Number(cur);
    if ([...task.fds.snapshot().keys()].filter((fd) => fd < limit).length >= limit) fail(E.EMFILE);
    const fdBytes = Buffer.alloc(4);
    task.mem.write(pidfdAddr, fdBytes);
    return (childTid) => {
      const child = this.host.procs.task(childTid)?.group;
      if (!child) return;
      try {
        fdBytes.writeInt32LE(task.fds.install(openPidfd(task.kernel.vfs, task.fs, child, false), { cloexec: true, limit }));
        task.mem.write(pidfdAddr, fdBytes);
      } catch (error) {
        // Another thread filled the fd table or unmapped the address meanwhile: the child
        // runs all the same, as it does on Linux when the copy-out fails.
        if (!isSysError(error)) throw error;
      }
    };
  }

  openPidfd(pid: number, nonblock: boolean, thread = false): FileDescription {
    if (pid <= 0) fail(E.EINVAL);
    const { vfs } = this.task.kernel;
    if (thread) {
      const task = this.visibleTask(pid);
      if (!task || task.exited) fail(E.ESRCH);
      return openPidfd(vfs, this.task.fs, task.group, nonblock, task);
    }
    const group = this.visibleGroup(pid);
    if (!group) fail(this.visibleTask(pid) ? E.EINVAL : E.ESRCH);
    return openPidfd(vfs, this.task.fs, group, nonblock);
  }

  pidfdTarget(file: FileDescription): PidfdTarget | undefined {
    const group = pidfdGroup(file);
    if (!group) fail(E.EBADF);
    const thread = pidfdThread(file);
    // A process the caller's namespace cannot see is none of its children.
    if (group.reaped || (thread?.exited && thread.tid !== group.pid) || !this.ns.contains(group.pidns)) return undefined;
    return { pid: this.ns.numberOf(thread?.tid ?? group.pid), tgid: this.ns.numberOf(group.pid), thread: thread !== undefined };
  }

  setTidAddress(): HostCall {
    // The host returns the host tid: the workload sees its virtual one.
    return { kind: 'host', complete: () => this.tid };
  }

  forThread(tid: number, mayAccess: (caller: TaskCredentials, target: TaskCredentials) => boolean): HostCall {
    const target = this.thread(tid);
    if (!mayAccess(this.task.creds, target.creds)) fail(E.EPERM);
    return hostCall([BigInt(target.hostTid)]);
  }

  /** A live task of the sandbox by virtual tid (0: the caller), as the sched_* calls find it. */
  private thread(tid: number): Task {
    if (tid < 0) fail(E.EINVAL);
    const target = tid === 0 ? this.task : this.visibleTask(tid);
    if (!target || target.exited || target.wasmSignal) fail(E.ESRCH);
    return target;
  }

  hostTidInProcess(tid: number): number | undefined {
    const target = this.visibleTask(tid);
    return target && target.group === this.group && !target.exited && !target.wasmSignal ? target.hostTid : undefined;
  }

  hostPidOf(pid: number): number | undefined {
    const group = this.visibleGroup(pid);
    return group && !group.zombie && [...group.tasks].some((t) => !t.wasmSignal) ? group.hostPid : undefined;
  }

  getScheduling(tid: number): SchedPolicy & { readonly nice: number } {
    return schedulingOf(this.thread(tid));
  }

  setScheduling(tid: number, change: SchedChange): void {
    setScheduling(this.task, this.thread(tid), change);
  }

  get aio(): AioContexts {
    const group = this.group;
    if (group.aio?.execs !== group.execs) group.aio = new AioContexts(group.execs);
    return group.aio;
  }

  aioRequestsInUse(): number {
    let total = 0;
    for (const group of this.host.procs.groups()) if (!group.zombie && group.aio?.execs === group.execs) total += group.aio.maxReqs;
    return total;
  }

  get memoryLocks(): MemoryLocks {
    return this.group.memoryLocks;
  }

  getPriority(which: number, who: number): number {
    return highestPriority(priorityTargets(this.task, this.visibleGroups(), which, who));
  }

  setPriority(which: number, who: number, nice: number): void {
    setNice(this.task, priorityTargets(this.task, this.visibleGroups(), which, who), nice);
  }

  getIoPriority(which: number, who: number): number {
    return ioPriorityOf(this.task, this.visibleGroups(), which, who);
  }

  setIoPriority(which: number, who: number, ioprio: number): void {
    setIoPriority(this.task, this.visibleGroups(), which, who, ioprio);
  }

  mapFile(addr: bigint, length: bigint, prot: number, flags: number, file: FileDescription, offset: bigint): SyscallResult | HostCall | Promise<SyscallResult> {
    if (length === 0n || offset % PAGE !== 0n || offset < 0n) fail(E.EINVAL);
    if (file.isPath) fail(E.EBADF);
    if (file.accessMode === O_WRONLY) fail(E.EACCES);
    const type = flags & MAP.TYPE;
    if (type !== MAP.PRIVATE && type !== MAP.SHARED && type !== MAP.SHARED_VALIDATE) fail(E.EINVAL);
    if (type !== MAP.PRIVATE && prot & PROT.WRITE && file.accessMode !== O_RDWR) fail(E.EACCES);
    if (prot & PROT.EXEC && file.location.mount.flags & MS.NOEXEC) fail(E.EPERM);
    const st = file.stat();
    // Directories, fifos and sockets have no pages to map.
    if ((st.mode & S.IFMT) !== S.IFREG && (st.mode & S.IFMT) !== S.IFCHR) fail(E.ENODEV);
    if (type === MAP.PRIVATE) return this.mapPrivateCopy(addr, length, prot, flags, file, offset);
    if ((st.mode & S.IFMT) === S.IFCHR && st.rdev === DEV_ZERO) return this.mapSharedAnonymous(flags);
    const hostFd = this.sharedHostFile(file, prot);
    if (hostFd !== undefined) return this.mapShared(file, hostFd, { addr, length, prot, flags, offset });
    // Nothing on the host holds these contents (/proc, devices): a read-only copy.
    if (prot & PROT.WRITE) fail(E.ENODEV);
    return this.mapPrivateCopy(addr, length, prot, flags, file, offset);
  }

  mapSegment(addr: bigint, length: bigint, prot: number, flags: number, file: FileDescription): SyscallResult | Promise<SyscallResult> {
    const hostFd = file.sharedHostFile((name) => this.host.platform.newMemoryFile(name));
    return this.mapShared(file, hostFd, { addr, length, prot, flags, offset: 0n });
  }

  /**
   * A shared mapping of the host file hostFd behind file, with the other tasks of the
   * address space frozen (file keeps hostFd open meanwhile).
   */
  private mapShared(file: FileDescription, hostFd: number, request: MapRequest): SyscallResult | Promise<SyscallResult> {
    file.ref();
    const task = this.task;
    const mapped = this.host.platform.mapSharedFile(task, hostFd, request, (address) => this.recordMapping(address, request.length, file, request.offset));
    if (mapped instanceof Promise) return mapped.finally(() => file.unref());
    file.unref();
    return mapped;
  }

  /** Names a new mapping of file in /proc/PID/maps. */
  private recordMapping(start: bigint, length: bigint, file: FileDescription, offset: bigint): void {
    const st = file.stat();
    const end = (start + length + PAGE - 1n) & ~(PAGE - 1n);
    this.group.fileMappings.add({ start, end, offset, path: this.task.kernel.vfs.pathOf(this.task.fs, file.location), dev: st.dev, ino: st.ino });
  }

  /** The host file a shared mapping of file maps; undefined when it has none. */
  private sharedHostFile(file: FileDescription, prot: number): number | undefined {
    try {
      return file.sharedHostFile((name) => this.host.platform.newMemoryFile(name));
    } catch (e) {
      if (isSysError(e) && e.errno === E.ENODEV && !(prot & PROT.WRITE)) return undefined;
      throw e;
    }
  }

  /** MAP_SHARED of /dev/zero: the host maps shared anonymous memory. */
  private mapSharedAnonymous(flags: number): HostCall {
    return hostCall([undefined, undefined, undefined, BigInt.asUintN(64, BigInt(flags | MAP.ANONYMOUS)), BigInt.asUintN(64, -1n), 0n]);
  }

  /** An anonymous private mapping the sentry fills from the file at the syscall exit. */
  private mapPrivateCopy(addr: bigint, length: bigint, prot: number, flags: number, file: FileDescription, offset: bigint): HostCall {
    file.ref();
    const anonymous = BigInt((flags & ~MAP.TYPE) | MAP.PRIVATE | MAP.ANONYMOUS);
    return hostCall([addr, length, BigInt(prot), anonymous, BigInt.asUintN(64, -1n), 0n], (mapped) => {
      try {
        if (mapped < 0n) return mapped;
        const available = BigInt(Math.max(0, file.stat().size)) - offset;
        const count = Number(available < length ? (available > 0n ? available : 0n) : length);
        const data = new Uint8Array(count);
        let done = 0;
        while (done < count) {
          const n = file.read(data.subarray(done), Number(offset) + done);
          if (n <= 0) break;
          done += n;
        }
        // The copy reaches the pages whatever their protection.
        if (done > 0 && this.host.platform.writeProtected(this.task.hostTid, mapped, data.subarray(0, done)) !== done) return -E.EFAULT;
        this.recordMapping(mapped, length, file, offset);
        return mapped;
      } finally {
        file.unref();
      }
    });
  }

  addSeccompFilter(program: Uint8Array, flags: number): SyscallResult | Promise<SyscallResult> {
    const task = this.task;
    return this.host.platform.installSeccompFilter(task, program, flags, (result): SyscallResult => {
      // TSYNC names the host thread that could not take the filter.
      if (result > 0n) return this.ns.numberOf(this.host.procs.taskOfHost(Number(result))?.tid ?? 0) || -E.ESRCH;
      if (result < 0n) return result;
      task.seccompFilters = [...task.seccompFilters, program];
      // TSYNC: every thread of the process has the caller's filters now.
      if (flags & SECCOMP_FILTER_FLAG_TSYNC) for (const thread of task.group.tasks) thread.seccompFilters = task.seccompFilters;
      return 0n;
    });
  }

  execve(dir: Location | undefined, path: string, argv: readonly string[], envp: readonly string[]): ExecProgram | HostCall | Promise<NoReturn> {
    const wasm = this.host.wasm;
    const module = wasm ? readWasmProgram(this.task.kernel.vfs, this.task.fs, dir, path, argv, envp) : undefined;
    if (wasm && module) return this.execveWasm(wasm, module, path);
    const prepared = prepareProgram(this.task.kernel.vfs, this.task.fs, dir, path, argv, envp, this.host.platform.reservedRange);
    const image = withExecCredentials(prepared, this.task.creds, fsSharedWithAnotherProcess(this.task, this.host.procs.groups()));
    return hostLayoutFor(this.task, image.credentials?.secure ?? false) ?? { kind: 'exec', image };
  }

  personality(persona: number): number {
    const old = personalityOf(this.task);
    if (persona !== PERSONALITY_QUERY) this.task.personality = persona;
    return old;
  }

  /**
   * execve of a wasm module: compiled and checked while the old program still runs (errors
   * are execve's), then the task's host process is replaced by a worker running the module.
   * The call never returns to the old program.
   */
  private async execveWasm(wasm: WasmSupport, module: LocatedWasmProgram, path: string): Promise<NoReturn> {
    const task = this.task;
    const prepared = await WasmTask.prepare({
      task,
      program: module,
      table: wasm.table,
      ...(wasm.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: wasm.memoryLimitBytes }),
      onExit: (waitStatus, status) => {
        if (status.kind === 'signaled' && status.reason) wasm.onTrap?.(task.pid, status.reason);
        this.host.wasmExited(task, waitStatus);
      },
    });
    this.host.becomeWasm(task, { execfn: path, argv: module.argv, envp: module.envp, location: module.location }, () => {
      const running = prepared.start();
      return (sig) => running.signal(sig);
    });
    return { kind: 'exit', scope: 'process' };
  }

  async wait(pid: number, options: number): Promise<ChildState | undefined> {
    const group = this.group;
    // A child that ends with another signal than SIGCHLD is a "clone" child: only __WCLONE
    // waits for those (and only those), __WALL for both.
    const kindMatches = (child: ThreadGroup): boolean => (options & WAIT.ALL) !== 0 || (child.exitSignal !== SIG.CHLD) === ((options & WAIT.CLONE) !== 0);
    // pid and -pgid name numbers in the caller's namespace (none there: no child matches).
    const id = pid > 0 ? this.ns.idOf(pid) : pid < -1 ? this.ns.idOf(-pid) : undefined;
    const matches = (child: ThreadGroup): boolean =>
      kindMatches(child) && (pid > 0 ? child.pid === id : pid === 0 ? child.pgid === group.pgid : pid === -1 ? true : child.pgid === id);
    // A tracer waits for its tracees too, thread by thread, whatever their exit signal.
    const tracedMatches = (traced: Task): boolean =>
      pid > 0 ? traced.tid === id : pid === 0 ? traced.group.pgid === group.pgid : pid === -1 ? true : traced.group.pgid === id;
    const ptrace = this.host.ptrace;
    for (;;) {
      const traced = ptrace.collect(group, tracedMatches, options, (tid) => this.ns.numberOf(tid));
      if (traced) return traced;
      const candidates = [...group.children].filter(matches);
      if (candidates.length === 0 && !ptrace.tracesAny(group, tracedMatches)) fail(E.ECHILD);
      for (const child of candidates) {
        // A zombie a tracer has not collected yet is only its tracer's.
        if (child.zombie && ptrace.hiddenFromParent(child)) continue;
        const found = waitableState(child, options);
        if (!found) continue;
        const times = usedByChild(child);
        // Numbered before the reap frees its number.
        const childPid = this.ns.numberOf(child.pid);
        if (!(options & WAIT.NOWAIT)) {
          if (child.zombie) {
            addTimes(group.reapedChildren, times);
            this.host.procs.reap(child);
          } else found.consume();
        }
        return { pid: childPid, uid: child.creds.ruid, status: found.status, times };
      }
      if (options & WAIT.NOHANG) return undefined;
      await this.task.waitReady(group.childEventWaitable, 1);
    }
  }

  ptrace(request: number, pid: number, addr: bigint, data: bigint): number {
    // A pid the caller's namespace cannot name is no task (0 is none): ESRCH.
    return ptraceRequest(this.host, this.task, request, pid > 0 ? (this.ns.idOf(pid) ?? 0) : pid, addr, data);
  }

  hostMappingsOf(pid: number): readonly HostVma[] | undefined {
    const group = this.host.procs.group(pid);
    return group && !group.zombie ? hostMappings(group.hostPid) : undefined;
  }

  setPtracer(arg: bigint): number {
    const group = this.group;
    if (arg === 0n) group.ptracer = undefined;
    else if (arg === PTRACER_ANY || BigInt.asIntN(32, arg) === -1n) group.ptracer = 'any';
    else {
      const tracer = this.visibleTask(Number(BigInt.asIntN(32, arg)));
      if (!tracer || tracer.exited) fail(E.EINVAL);
      group.ptracer = tracer;
    }
    return 0;
  }

  memoryOf(pid: number): TaskMemory {
    const target = this.visibleTask(pid);
    if (!target || target.exited || target.wasmSignal) fail(E.ESRCH);
    if (!mayAttach(this.task, target.group)) fail(E.EPERM);
    return target.mem;
  }

  writeMemory(addr: bigint, data: Uint8Array): number {
    // These writes reach read-only pages: never the platform's own (the stub's sealed
    // page holds what the host kernel reads at an exec).
    const { start, end } = this.host.platform.reservedRange;
    if (addr < BigInt(end) && addr + BigInt(data.length) > BigInt(start)) return 0;
    return Math.max(0, this.host.platform.writeProtected(this.task.hostTid, addr, data));
  }

  kill(pid: number, signal: number): void {
    if (signal !== 0 && !isValidSignal(signal)) fail(E.EINVAL);
    const ns = this.ns;
    const everyone = this.visibleGroups();
    const id = pid > 0 ? ns.idOf(pid) : pid < -1 ? ns.idOf(-pid) : undefined;
    let targets: ThreadGroup[];
    if (pid > 0) targets = everyone.filter((g) => g.pid === id);
    else if (pid === 0) targets = everyone.filter((g) => g.pgid === this.group.pgid);
    else if (pid === -1) targets = everyone.filter((g) => ns.numberOf(g.pid) !== 1 && g !== this.group);
    else targets = everyone.filter((g) => g.pgid === id);
    if (targets.length === 0) fail(E.ESRCH);
    const allowed = targets.filter((g) => this.maySignal(g, signal));
    if (allowed.length === 0) fail(E.EPERM);
    if (signal === 0) return;
    for (const target of allowed) this.host.signals.signalProcess(target, signal, this.fromAncestor(target));
  }

  /** Whether the caller sends to target from a pid namespace above target's (its init then takes SIGKILL and SIGSTOP). */
  private fromAncestor(target: ThreadGroup): boolean {
    return target.pidns !== this.ns;
  }

  tgkill(tgid: number, tid: number, signal: number): void {
    if (tid <= 0 || (tgid <= 0 && tgid !== -1)) fail(E.EINVAL);
    if (signal !== 0 && !isValidSignal(signal)) fail(E.EINVAL);
    const task = this.visibleTask(tid);
    if (!task || (tgid !== -1 && task.group.pid !== this.ns.idOf(tgid))) fail(E.ESRCH);
    // A thread past its exit stop may already be joined (its tid cleared): it is gone, as
    // the kernel has released it by the time its joiner could ask.
    if (task.exiting && task.tid !== task.group.pid) fail(E.ESRCH);
    if (!this.maySignal(task.group, signal)) fail(E.EPERM);
    if (signal === 0) return;
    if (this.host.signals.initDiscards(task.group, signal, this.fromAncestor(task.group))) return;
    this.host.signals.signalTask(task, signal);
  }

  disposition(signal: number): SignalDisposition {
    return this.group.sigactions.get(signal);
  }

  setDisposition(signal: number, action: SignalDisposition): void {
    if (!isValidSignal(signal) || signal === SIG.KILL || signal === SIG.STOP) fail(E.EINVAL);
    this.group.sigactions.set(signal, action);
  }

  setCredentials(creds: TaskCredentials): void {
    // commit_creds: a change that ends dumpability ends the parent-death signal too.
    if (!staysDumpable(this.group.creds, creds)) {
      this.group.dumpable = false;
      this.group.parentDeathSignal = 0;
    }
    this.group.creds = creds;
    this.task.fs.creds = fsCredentials(creds);
  }

  credentialsOf(tid: number): TaskCredentials {
    const target = this.visibleTask(tid);
    if (!target || target.exited) fail(E.ESRCH);
    return target.creds;
  }

  rlimitsOf(pid: number): Rlimits {
    const target = this.lookup(pid);
    if (target === this.group) return this.task.rlimits;
    const me = this.task.creds;
    const them = target.creds;
    const sameIds = me.ruid === them.ruid && me.ruid === them.euid && me.ruid === them.suid && me.rgid === them.rgid && me.rgid === them.egid && me.rgid === them.sgid;
    if (!sameIds && !hasCapability(me, CAP.SYS_RESOURCE)) fail(E.EPERM);
    return this.host.hostRlimits.of(target);
  }

  notifier(): ProcessNotifier {
    const group = this.group;
    const execs = group.execs;
    const alive = (): boolean => group.exitStatus === undefined && group.execs === execs;
    return {
      alive,
      signal: (sig, info) => {
        if (alive()) sendingQueued(info, () => this.host.signals.signalProcess(group, sig, false));
      },
    };
  }

  pendingSignals(): PendingSignalSource {
    return pendingSignalSource(this.task);
  }

  /** kill(2)'s permission rule: same real or effective uid as the target's real or saved one, or CAP_KILL over the target's user namespace. */
  private maySignal(target: ThreadGroup, signal: number): boolean {
    const me = this.task.creds;
    const them = target.creds;
    if (nsCapable(me, them.userNs, CAP.KILL)) return true;
    if (signal === SIG.CONT && target.sid === this.group.sid) return true;
    return me.euid === them.ruid || me.euid === them.suid || me.ruid === them.ruid || me.ruid === them.suid;
  }
}


/** CPU time of a process: its ended threads' (all of it for a zombie) and its live ones'. */
function processTimes(group: ThreadGroup): CpuTimes {
  if (group.zombie) return { ...group.endedThreads };
  const live = readHostStat(group.hostPid);
  const times = zeroTimes();
  if (live) addTimes(times, { utimeTicks: live.utimeTicks, stimeTicks: live.stimeTicks, maxRssKb: readHostPeakRssKb(group.hostPid) });
  else addTimes(times, group.endedThreads);
  return times;
}

/** What wait4 reports for a child: its own time and its reaped children's. */
function usedByChild(child: ThreadGroup): CpuTimes {
  const times = processTimes(child);
  addTimes(times, child.reapedChildren);
  return times;
}

/**
 * The struct clone_args of a clone the host runs as clone3: no exit signal (clone3 takes
 * none with CLONE_PARENT; the child gets its parent's, SIGCHLD, as clone(2)'s does), and
 * the stack as one byte below its top (the kernel starts the child at stack + stack_size).
 */
function hostCloneArgs(flags: bigint, stackTop: bigint, parentTid: bigint, childTid: bigint, tls: bigint): Uint8Array {
  const raw = Buffer.alloc(CLONE_ARGS_SIZE.ver2);
  const o = CLONE_ARGS_OFFSET;
  raw.writeBigUInt64LE(flags, o.flags);
  raw.writeBigUInt64LE(childTid, o.childTid);
  raw.writeBigUInt64LE(parentTid, o.parentTid);
  if (stackTop !== 0n) {
    raw.writeBigUInt64LE(stackTop - 1n, o.stack);
    raw.writeBigUInt64LE(1n, o.stackSize);
  }
  raw.writeBigUInt64LE(tls, o.tls);
  return raw;
}
