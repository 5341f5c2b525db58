// The contract between the sentry and the syscall tables that register with it.
// A table (src/syscalls/linux, src/syscalls/wasi) knows the ABI; the sentry knows tasks.
// The sentry never imports a table: tables import these types and the composer
// (src/oci/lifecycle) hands a table to the Sandbox it builds.

import type { UtsNamespace } from './namespaces/uts.js';
import type { UserNamespace } from './namespaces/user-namespace.js';
import type { CgroupNamespace, NamespaceFiles } from './namespaces/nsfs.js';
import type { TaskNamespaces } from './namespaces/new-namespaces.js';
import type { MemoryAccount } from '../../accounting/memory-account.js';
import type { NetworkStack } from '../../netstack/stack.js';
import type { FileDescription, FsContext, Location, Vfs, Waitable } from '../../vfs/api.js';
import type { FdTable } from './fd-table.js';
import type { HostSignalCalls } from './masked-waits.js';
import type { CpuTimes } from './cpu-times.js';
import type { IpcNamespace } from './ipc/namespace.js';
import type { HostVma } from './ipc/shm.js';
import type { AioContexts } from './aio.js';
import type { PendingSignalSource } from './signal-source.js';
import type { ExecImage } from './exec-credentials.js';
import type { PiFutexes } from './futex/pi.js';
import type { TaskMemory } from '../platform/task-memory.js';
import type { ArgumentCase, ArgumentRule, FilterRule, FilterVerdict } from '../platform/seccomp-filter.js';

// Parts of the contract the platform defines: a task's memory, the seccomp filter's rules.
export type { TaskMemory, ArgumentCase, ArgumentRule, FilterRule, FilterVerdict };

/** The six raw argument registers of a syscall (rdi, rsi, rdx, r10, r8, r9 on x86-64). */
export type SyscallArgs = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

/** A syscall result: >= 0 on success, -errno on failure (as the kernel leaves it in rax). */
export type SyscallResult = number | bigint;


/** getrlimit/setrlimit values; RLIM_INFINITY is 2^64-1. */
export interface Rlimit {
  cur: bigint;
  max: bigint;
}

/** The resource limits of a thread group, indexed by RLIMIT_* number (0..15). */
export interface Rlimits {
  get(resource: number): Rlimit;
  set(resource: number, limit: Rlimit): void;
}

/**
 * The full identity of a task (Linux's struct cred). FsContext.creds is the fs view of it
 * (fsuid/fsgid, groups, effective caps) that the VFS checks against.
 */
export interface TaskCredentials {
  readonly ruid: number;
  readonly euid: number;
  readonly suid: number;
  readonly fsuid: number;
  readonly rgid: number;
  readonly egid: number;
  readonly sgid: number;
  readonly fsgid: number;
  readonly groups: readonly number[];
  readonly permitted: bigint;
  readonly effective: bigint;
  readonly inheritable: bigint;
  readonly bounding: bigint;
  readonly ambient: bigint;
  /** prctl(PR_SET_SECUREBITS): SECBIT_* of src/abi/linux-capability.ts (KEEP_CAPS is PR_SET_KEEPCAPS). */
  readonly securebits: number;
  /** prctl(PR_SET_NO_NEW_PRIVS): exec grants no setuid/setgid ids and no file capabilities. */
  readonly noNewPrivs: boolean;
  /** The user namespace the ids above are seen through and the capabilities hold in (the ids are the sandbox's). */
  readonly userNs: UserNamespace;
}

/**
 * What a task's kernel is: the sandbox's VFS, clocks and memory, and the uts, ipc and
 * network namespaces the task is in (one object per combination: unshare gives a task a
 * new one, namespaces/new-namespaces.ts).
 */
export interface KernelServices {
  readonly vfs: Vfs;
  /** linux.resources.memory.limit and what counts against it (buffers charge it; sysinfo shows it). */
  readonly memory: MemoryAccount;
  /** Message queues, semaphores and shared memory of the sandbox. */
  readonly ipc: IpcNamespace;
  /** The sandbox's own network stack (its network namespace): every socket comes from it. */
  readonly net: NetworkStack;
  /** The waiters of the sandbox's PI futexes. */
  readonly futexes: PiFutexes;
  /** Its cgroup namespace (an identity: see namespaces/nsfs.ts). */
  readonly cgroup: CgroupNamespace;
  /** The sandbox's namespace files (/proc/PID/ns) and its one pid, user and time namespace. */
  readonly nsfs: NamespaceFiles;
  /** The hostname and domain name (uname, sethostname, setdomainname). */
  readonly uts: UtsNamespace;
  /** CLOCK_REALTIME / CLOCK_MONOTONIC in nanoseconds. */
  realtimeNs(): bigint;
  monotonicNs(): bigint;
  /** Nanoseconds since the sandbox started (CLOCK_BOOTTIME as the sandbox sees it). */
  uptimeNs(): bigint;
}

/**
 * What a syscall handler may use of the task that made the call.
 *
 * Blocking: a handler that must wait (empty pipe, wait4, nanosleep) awaits one of the
 * waits below; the task stays stopped, other tasks go on. A signal that must interrupt
 * the wait makes it throw SysError(ERESTARTSYS) (src/abi/errno.ts). Handlers let that
 * propagate: the sentry then restarts the call or returns EINTR, as the signal's
 * SA_RESTART flag says. A handler that must never restart (poll, nanosleep) may catch it
 * and return -EINTR itself.
 */
export interface SyscallTask {
  /** Virtual thread id and thread group id, in the sandbox's pid namespace. */
  readonly tid: number;
  readonly pid: number;
  readonly mem: TaskMemory;
  /** The fd table (shared by CLONE_FILES tasks). */
  readonly fds: FdTable;
  /** root, cwd, umask, fs credentials (shared by CLONE_FS tasks). */
  readonly fs: FsContext;
  readonly creds: TaskCredentials;
  /** The thread group's resource limits (RLIMIT_NOFILE bounds the fd table). */
  readonly rlimits: Rlimits;
  readonly kernel: KernelServices;

  /** Resolves with the ready events of file ∩ events (POLLERR/POLLHUP included). */
  waitReady(file: Waitable, events: number): Promise<number>;
  /**
   * Resolves at the next readiness notification of file that meets events, whether or not
   * it is ready now: for a retry that would still block on a file that says it is ready.
   */
  waitChange(file: Waitable, events: number): Promise<number>;
  /** Waits for several files at once (poll/select): resolves with each one's ready events. */
  waitAnyReady(waits: readonly { file: Waitable; events: number }[], timeoutNs: bigint | undefined): Promise<number[]>;
  /** Sleeps ns nanoseconds of CLOCK_MONOTONIC. */
  sleep(ns: bigint): Promise<void>;
  /** Queues a signal to this task, e.g. SIGPIPE after EPIPE, SIGXFSZ after EFBIG. */
  signalSelf(signal: number): void;
  /** The process-level operations (ids, tree, clone/exec/wait, signals). */
  readonly process: ProcessControl;
}

/** What wait4/waitid report about a child. */
export interface ChildState {
  readonly pid: number;
  readonly uid: number;
  /**
   * The raw wait status: exit code << 8, or the terminating signal (| 0x80 for a core);
   * (sig << 8) | 0x7f for a stop, 0xffff for a continue.
   */
  readonly status: number;
  /** What the child and its reaped children used (wait4's rusage). */
  readonly times: CpuTimes;
  /** A ptrace-stop its tracer collects (waitid's CLD_TRAPPED). */
  readonly trapped?: boolean;
}

/**
 * A task's scheduling policy as the sandbox keeps it: recorded and reported, never applied
 * to its host thread (a real-time host thread would take the CPU from the host itself).
 */
export interface SchedPolicy {
  /** SCHED_NORMAL, FIFO, RR, BATCH, IDLE or DEADLINE (src/abi/linux-sched.ts). */
  readonly policy: number;
  /** 1..99 for FIFO and RR, 0 for the others. */
  readonly priority: number;
  readonly resetOnFork: boolean;
  /** SCHED_DEADLINE's runtime, deadline and period in nanoseconds. */
  readonly deadline?: { readonly runtime: bigint; readonly deadline: bigint; readonly period: bigint };
}

/** What sched_setscheduler, sched_setparam and sched_setattr ask of a task. */
export interface SchedChange {
  /** undefined keeps the policy and its reset-on-fork flag (sched_setparam, SCHED_FLAG_KEEP_POLICY). */
  readonly policy?: number;
  readonly resetOnFork: boolean;
  readonly priority: number;
  /** sched_setattr's nice for a fair policy; the others keep the task's. */
  readonly nice?: number;
  readonly deadline?: SchedPolicy['deadline'];
  /** sched_attr's sched_flags as given (validated with the rest). */
  readonly flags: number;
}

/**
 * The memory a process has locked with mlock, mlock2, mlockall and MAP_LOCKED. Locks are
 * advisory (as gVisor's mm has them): counted against RLIMIT_MEMLOCK as Linux counts
 * them, never pinning host memory. Addresses are page-aligned.
 */
export interface MemoryLocks {
  /** Bytes locked now: the parts of the locked ranges still mapped. */
  lockedBytes(): bigint;
  /** Bytes of [start, end) already locked. */
  lockedWithin(start: bigint, end: bigint): bigint;
  /** Whether every page of [start, end) is mapped. */
  isMapped(start: bigint, end: bigint): boolean;
  /** Bytes of every mapping the process has (mlockall's MCL_CURRENT locks them all). */
  mappedBytes(): bigint;
  lock(start: bigint, end: bigint): void;
  unlock(start: bigint, end: bigint): void;
  lockAllMapped(): void;
  unlockAll(): void;
  /** mlockall's MCL_FUTURE, recorded (mappings made later are not counted). */
  lockFuture: boolean;
}

/** A process as the kernel reaches it later, for a notification it asked for (mq_notify). */
export interface ProcessNotifier {
  /** False once the process has ended or exec'd another program (Linux's self_exec_id). */
  alive(): boolean;
  /** Sends sig with info (SIGINFO_SIZE bytes) as its siginfo, as the kernel does: no kill permission check. */
  signal(sig: number, info: Buffer): void;
}

/** A signal disposition as rt_sigaction sets it. */
export interface SignalDisposition {
  readonly handler: bigint;
  readonly flags: number;
}

/**
 * The process model behind the process, signal and id families. Errors are thrown as
 * SysError with the errno Linux gives.
 */
export interface ProcessControl {
  /** Signal calls only the host kernel can finish as Linux does (masked-waits.ts), where tasks have a host. */
  readonly hostSignalCalls?: HostSignalCalls;
  /**
   * Its pid, tid and parent's pid as its own pid namespace numbers them (getpid, gettid,
   * getppid: 0 for a parent outside it). Every other pid a call names or returns is a
   * number in that namespace too.
   */
  readonly pid: number;
  readonly tid: number;
  readonly ppid: number;
  /**
   * The number the caller's pid namespace gives the task or process the kernel knows as
   * id (a Task.tid, ThreadGroup.pid, pgid or sid); 0 when it cannot see it (pid_vnr).
   */
  visiblePid(id: number): number;
  /** The kernel's identity of the task or process numbered pid in the caller's pid namespace; undefined for none. */
  pidId(pid: number): number | undefined;
  /** CPU time the whole process has used so far (times' tms_utime/tms_stime). */
  ownTimes(): CpuTimes;
  /** CPU time of its reaped children (getrusage RUSAGE_CHILDREN, times' tms_cutime/tms_cstime). */
  readonly childrenTimes: CpuTimes;
  readonly pgid: number;
  readonly sid: number;
  /**
   * brk(2): moves the program break to addr (0 asks where it is) and answers the break as
   * it is then; RUN_ON_HOST when the host process maps or unmaps the pages first.
   */
  brk(addr: bigint): SyscallResult | HostCall;
  /** The process name (PR_SET_NAME, /proc/PID/comm), at most 15 bytes. */
  comm: string;
  /** PR_SET_DUMPABLE, kept by the sentry (the host process must stay traceable). */
  dumpable: boolean;
  /** PR_SET_PDEATHSIG's signal (0: none), cleared where a change of credentials clears dumpable. */
  parentDeathSignal: number;
  getpgid(pid: number): number;
  getsid(pid: number): number;
  setpgid(pid: number, pgid: number): void;
  setsid(): number;
  /** unshare(2): the caller stops sharing what flags (CLONE_*) name with other tasks. */
  unshare(flags: bigint): void;
  /** setns(2): the caller enters the namespaces file (an nsfs file or a pidfd) names. */
  setns(file: FileDescription, nstype: number): void;
  /** pivot_root(2) in the caller's mount namespace; every task whose root or cwd was the old root moves to the new one. */
  pivotRoot(newRoot: Location, putOld: Location): void;
  /**
   * clone/fork/vfork/clone3 (fork and vfork as their clone flags, clone3 as clone's
   * arguments): the host kernel runs it and the caller gets the child's virtual tid.
   * CLONE_NEW* flags give the child new namespaces (namespaces/new-namespaces.ts). CLONE_PIDFD puts a pidfd of the child in the caller's fd
   * table and its number at pidfdAddr (clone's parent_tid).
   */
  clone(flags: bigint, stack: bigint, parentTid: bigint, childTid: bigint, tls: bigint, pidfdAddr?: bigint, setTid?: readonly number[]): HostCall;
  /**
   * pidfd_open: a new pidfd (file description) of the process pid; EINVAL for a thread that
   * leads no process, ESRCH for no process at all. With thread (PIDFD_THREAD) a pidfd of
   * the thread pid, any of them.
   */
  openPidfd(pid: number, nonblock: boolean, thread?: boolean): FileDescription;
  /**
   * What a pidfd names, undefined once it is gone (a process reaped, a thread other than
   * the leader ended); EBADF for a file that is not a pidfd.
   */
  pidfdTarget(file: FileDescription): PidfdTarget | undefined;
  /**
   * set_tid_address: the host kernel takes the call's address as it is (it zeroes the word
   * and wakes a futex there when the thread ends, for pthread_join); the caller gets its
   * virtual tid.
   */
  setTidAddress(): HostCall;
  /**
   * Lets the host kernel run the trapped call with its first argument, a tid (0: the
   * caller), changed to the host thread of that task. ESRCH for an unknown tid, EPERM
   * when mayAccess(the caller's credentials, the target's) says no.
   */
  forThread(tid: number, mayAccess: (caller: TaskCredentials, target: TaskCredentials) => boolean): HostCall;
  /**
   * getpriority/setpriority over the sandbox's tasks ("which" is PRIO_PROCESS, PRIO_PGRP
   * or PRIO_USER, "who" a virtual tid, pgid or uid): the raw result is 20 - nice.
   */
  getPriority(which: number, who: number): number;
  setPriority(which: number, who: number, nice: number): void;
  /** ioprio_get: the sandbox's I/O priority of the tasks which and who name (io-priority.ts). */
  getIoPriority(which: number, who: number): number;
  /** ioprio_set: the sandbox's record only; the host's I/O scheduler never sees it. */
  setIoPriority(which: number, who: number, ioprio: number): void;
  /**
   * sched_getscheduler/sched_getparam/sched_getattr: the policy of a task of the sandbox by
   * virtual tid (0: the caller), and its nice value. EINVAL for a negative tid, ESRCH for
   * an unknown one.
   */
  getScheduling(tid: number): SchedPolicy & { readonly nice: number };
  /** sched_setscheduler/sched_setparam/sched_setattr with Linux's rules (EINVAL, EPERM). */
  setScheduling(tid: number, change: SchedChange): void;
  /** The host tid of a live thread of the caller's own process by virtual tid; undefined for any other. */
  hostTidInProcess(tid: number): number | undefined;
  /** The host pid of a live process of the sandbox by virtual pid; undefined for any other. */
  hostPidOf(pid: number): number | undefined;
  /** Its Linux AIO contexts: none after an exec, and none in a fork's child. */
  readonly aio: AioContexts;
  /** Requests every live process of the sandbox has reserved with io_setup (aio-nr). */
  aioRequestsInUse(): number;
  /** What the process has locked (mlock and friends). */
  readonly memoryLocks: MemoryLocks;
  /**
   * mmap of a file: MAP_PRIVATE gets an anonymous mapping filled from the file; MAP_SHARED
   * maps for real the host file behind the contents (a bind mount's host file, the host
   * memory file of a tmpfs or upper-layer file), so writes through it and read/write see
   * each other; files with no host file behind them get a read-only copy (ENODEV writable).
   */
  mapFile(addr: bigint, length: bigint, prot: number, flags: number, file: FileDescription, offset: bigint): SyscallResult | HostCall | Promise<SyscallResult>;
  /**
   * shmat's mapping: file (a System V segment's memory file) mapped shared from its start,
   * as mapFile maps MAP_SHARED files, with the flags as given (MAP_FIXED_NOREPLACE or
   * MAP_FIXED for an address). The address, or -errno.
   */
  mapSegment(addr: bigint, length: bigint, prot: number, flags: number, file: FileDescription): SyscallResult | Promise<SyscallResult>;
  /**
   * seccomp(SECCOMP_SET_MODE_FILTER): the host kernel stacks program (a filter the sentry
   * has checked and copied) on the task's, with flags (TSYNC, TSYNC_ESRCH). 0, or with
   * TSYNC the tid of a thread that could not take it; -errno.
   */
  addSeccompFilter(program: Uint8Array, flags: number): SyscallResult | Promise<SyscallResult>;
  /**
   * execve: loads the program from the VFS (an ELF, a `#!` script, or a wasm module when
   * the sandbox runs them); never returns to the old program on success.
   */
  execve(dir: Location | undefined, path: string, argv: readonly string[], envp: readonly string[]): ExecProgram | HostCall | Promise<NoReturn>;
  /** personality(2): the task's personality before the call; persona replaces it unless it is 0xffffffff. */
  personality(persona: number): number;
  /**
   * wait4/waitid: a child that matches pid (> 0: that one, 0: the caller's group, -1: any,
   * < -1: group -pid) and has exited (WEXITED), stopped (WUNTRACED) or continued
   * (WCONTINUED) in options; undefined with WNOHANG when none has yet. WNOWAIT leaves it
   * waitable.
   */
  wait(pid: number, options: number): Promise<ChildState | undefined>;
  /**
   * ptrace(2) (kernel/ptrace/requests.ts): the raw call's result; PEEK* requests write
   * the word read at data.
   */
  /** The host's mappings of process pid now (munmap and mremap run there); undefined once it is gone. */
  hostMappingsOf(pid: number): readonly HostVma[] | undefined;
  /** prctl(PR_SET_PTRACER): who else may attach to the process under Yama's scope 1 (0: nobody, -1: anyone, else a pid). */
  setPtracer(arg: bigint): number;
  ptrace(request: number, pid: number, addr: bigint, data: bigint): number;
  /**
   * The memory of task pid of the sandbox, for process_vm_readv/writev: ESRCH for none,
   * EPERM unless the caller may ptrace-attach to it (kernel/ptrace/access.ts).
   */
  memoryOf(pid: number): TaskMemory;
  /**
   * Writes data into this process's memory whatever the pages' protection (ptrace POKE,
   * /proc/PID/mem), never into the platform's reserved range: the bytes written (0: none).
   */
  writeMemory(addr: bigint, data: Uint8Array): number;
  /** kill(2) with Linux's pid conventions and permission rules. */
  kill(pid: number, signal: number): void;
  tgkill(tgid: number, tid: number, signal: number): void;
  disposition(signal: number): SignalDisposition;
  /** Records a new disposition (the host kernel installs it). */
  setDisposition(signal: number, action: SignalDisposition): void;
  /** Replaces the credentials (the set*id family computed them). */
  setCredentials(creds: TaskCredentials): void;
  /** The credentials of the task with virtual tid (capget of another task); ESRCH for none. */
  credentialsOf(tid: number): TaskCredentials;
  /**
   * prlimit64's target: the limits of process pid (0: the caller's), set where the host
   * must enforce them too. ESRCH for an unknown pid; EPERM for another process unless the
   * caller's real uid and gid are its real, effective and saved ones, or it has CAP_SYS_RESOURCE.
   */
  rlimitsOf(pid: number): Rlimits;
  /** This process, for a notification the kernel sends it later (mq_notify). */
  notifier(): ProcessNotifier;
  /** The signals pending for this task and its process, and a wait for more (signalfd). */
  pendingSignals(): PendingSignalSource;
}

/**
 * A handler's answer that lets the host kernel run the trapped call: as the workload made
 * it (RUN_ON_HOST, for calls the sentry must see but not answer: rt_sigaction records the
 * disposition, the kernel installs it), or with its number or arguments replaced by the
 * sentry's (a virtual tid made a host tid, a struct rewritten). The workload's own argument
 * registers come back at the call's end, as the syscall ABI keeps them, where complete (if
 * given) turns the host's result into the workload's: a result, or -ERESTARTNOINTR to make
 * the workload's call again.
 */
export interface HostCall {
  readonly kind: 'host';
  /** The call the host runs in place of the trapped one; undefined: the trapped one. */
  readonly nr?: number | undefined;
  /**
   * Replaced arguments by index (0..5): a bigint goes in the register; bytes are copied
   * below the caller's stack pointer and their address goes in it; undefined keeps the
   * workload's.
   */
  readonly args?: readonly HostArg[] | undefined;
  /** ran: the argument registers the host ran the call with (where copied bytes went). */
  readonly complete?: ((hostResult: bigint, ran: SyscallArgs) => SyscallResult) | undefined;
  /** A clone/fork/vfork the host runs: the sentry makes the child's task as the host makes its thread. */
  readonly clone?: CloneRequest | undefined;
}

/** What a pidfd names: a process (pid its pid), or one thread (pid its tid) of process tgid. */
export interface PidfdTarget {
  readonly pid: number;
  readonly tgid: number;
  readonly thread: boolean;
}

/** An argument of a call the host runs for the workload (see HostCall.args). */
export type HostArg = bigint | Uint8Array | undefined;

/** What the sentry needs of a clone the host runs: the workload's flags and tid addresses. */
export interface CloneRequest {
  readonly flags: bigint;
  readonly parentTidAddr: bigint;
  readonly childTidAddr: bigint;
  /** Runs once the child exists, before the caller has its answer (CLONE_PIDFD's fd). */
  readonly started?: ((childTid: number) => void) | undefined;
  /** The child's new namespaces (CLONE_NEW*): its kernel services and fs context. */
  readonly namespaces?: TaskNamespaces | undefined;
  /** clone3's set_tid: the child's number in its pid namespace, then in each one above (checked). */
  readonly setTid?: readonly number[] | undefined;
}

/** The host kernel runs the trapped call as the workload made it. */
export const RUN_ON_HOST: HostCall = Object.freeze({ kind: 'host' });

/** The host kernel runs the trapped call with args replaced (see HostCall), complete making its result. */
export function hostCall(args: readonly HostArg[], complete?: (hostResult: bigint, ran: SyscallArgs) => SyscallResult): HostCall {
  return { kind: 'host', args, complete };
}

/** execve past its checks: the task's program is replaced by image (the call never returns on success). */
export interface ExecProgram {
  readonly kind: 'exec';
  readonly image: ExecImage;
}

/**
 * The call never returns to the workload: its thread ends as by exit(2) ('thread', a seccomp
 * profile's KILL_THREAD), or its process is ending or has left the host ('process': killed by
 * the sentry, or its program became a wasm module that runs elsewhere).
 */
export interface NoReturn {
  readonly kind: 'exit';
  readonly scope: 'thread' | 'process';
}

/** What a handler answers: the result (-ERESTART* codes restart as Linux does), or what must happen instead. */
export type SyscallOutcome = SyscallResult | HostCall | ExecProgram | NoReturn;

/** A syscall's implementation: its outcome, at once or once it has waited (a Promise); may throw SysError. */
export type SyscallHandler = (task: SyscallTask, args: SyscallArgs) => SyscallOutcome | Promise<SyscallOutcome>;

/** How completely the sandbox implements a syscall, for docs/syscalls.md. */
export type SupportLevel = 'supported' | 'partial' | 'unsupported' | 'refused';

/**
 * One row of a syscall table: everything about one syscall. The sentry runs the handler
 * of a trapped call; the seccomp filter, the dispatch and the docs are all built from rows.
 */
export interface SyscallEntry {
  readonly nr: number;
  readonly name: string;
  readonly support: SupportLevel;
  readonly filter: FilterRule;
  /** For what the filter traps: the handler; absent means the sentry answers -ENOSYS. */
  readonly handler?: SyscallHandler;
  /** A short note for the docs: what is partial, or what is refused. */
  readonly note?: string;
  /**
   * Why the filter decides as it does: for every row the host kernel may run, why that
   * is safe for the host (what the call acts on, what it never names); for a call that
   * carries a tid, a policy or a resource into the host kernel, why it is trapped.
   */
  readonly why?: string;
}

/**
 * What a table registers with the sentry: a row for every syscall of its architecture,
 * looked up by number on each trapped call. Numbers without a row are refused (ENOSYS)
 * by the filter.
 */
export interface SyscallTable {
  /** e.g. 'linux/x86_64'; also the AUDIT_ARCH the seccomp filter checks. */
  readonly arch: 'linux/x86_64';
  entry(nr: number): SyscallEntry | undefined;
  entries(): Iterable<SyscallEntry>;
}
