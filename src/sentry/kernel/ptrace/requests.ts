// ptrace(2)'s requests from a task of the sandbox, as Linux answers them: the relation
// (TRACEME, ATTACH, SEIZE, DETACH, KILL, INTERRUPT), resuming (CONT, SYSCALL, SINGLESTEP,
// LISTEN), and what a tracer reads and writes of a stopped tracee (memory, registers,
// siginfo, event messages). What a tracer writes into registers is checked before the
// host sees it: no instruction pointer in the platform's reserved range.

import { E, fail } from '../../../abi/errno.js';
import {
  ARCH, AUDIT_ARCH_X86_64, NT, PTRACE, PTRACE_O_MASK, SYSCALL_INFO_OP, USER_DEBUGREG_OFFSET,
  USER_FPREGS_SIZE, USER_REG, USER_REGS_SIZE,
} from '../../../abi/linux-ptrace.js';
import { SIG, SIGINFO_SIZE } from '../../../abi/linux-signal.js';
import type { Platform, RunMode } from '../platform.js';
import type { ProcessTable } from '../process-table.js';
import type { SignalDelivery } from '../signal-delivery.js';
import { isValidSignal } from '../signals.js';
import { CAP } from '../../../abi/linux-capability.js';
import { hasCapability } from '../credentials.js';
import { temporaryMask } from '../masked-waits.js';
import { showPendingSiginfos } from '../signal-senders.js';
import type { Task } from '../task.js';
import { mayAttach } from './access.js';
import type { Ptrace } from './ptrace.js';
import type { Tracee } from './tracee.js';

/** What the requests act on besides the caller. */
export interface RequestHost {
  readonly ptrace: Ptrace;
  readonly procs: Pick<ProcessTable, 'task'>;
  readonly platform: Pick<Platform, 'registerSet' | 'debugRegister' | 'stopSiginfo' | 'interrupt' | 'reservedRange' | 'hostSignals'>;
  readonly signals: Pick<SignalDelivery, 'signalTask'>;
}

/** The end of struct user (asm/user_64.h) on x86-64: PEEKUSER/POKEUSER offsets stay below it. */
const USER_SIZE = 928;
const XSTATE_MAX = 4096;
/** The first address beyond user space on x86-64 (4-level paging): no fs or gs base goes there. */
const TASK_SIZE_MAX = 0x7ffffffff000n;
/** ds, es, fs and gs in struct user_regs_struct. */
const DATA_SELECTORS = [23 * 8, 24 * 8, 25 * 8, 26 * 8];
const WORD = 8;
/** struct sock_filter: code, jt, jf, k. */
const BPF_INSTRUCTION_SIZE = 8;
/** The kernel's sigset_t: GETSIGMASK and SETSIGMASK take nothing else. */
const SIGSET_SIZE = 8;
/** PTRACE_PEEKSIGINFO_SHARED: the process's queue rather than the thread's. */
const PEEKSIGINFO_SHARED = 1;
/** SIGKILL and SIGSTOP, which no mask blocks. */
const UNBLOCKABLE = (1n << BigInt(SIG.KILL - 1)) | (1n << BigInt(SIG.STOP - 1));

/** ptrace(request, pid, addr, data) by caller: its result (PEEK* write the word at data, as the raw syscall does). */
export function ptraceRequest(host: RequestHost, caller: Task, request: number, pid: number, addr: bigint, data: bigint): number {
  switch (request) {
    case PTRACE.TRACEME:
      return traceMe(host, caller);
    case PTRACE.ATTACH:
    case PTRACE.SEIZE:
      return attach(host, caller, pid, request === PTRACE.SEIZE, addr, data);
    default:
      break;
  }
  const task = host.procs.task(pid);
  const tracee = task?.tracee;
  if (!task || !tracee || tracee.tracer !== caller || task.exited) fail(E.ESRCH);
  switch (request) {
    case PTRACE.KILL:
      host.signals.signalTask(task, SIG.KILL);
      return 0;
    case PTRACE.INTERRUPT:
      return interrupt(host, task, tracee);
    default:
      break;
  }
  // Every other request needs the tracee stopped for its tracer.
  if (!tracee.stop || tracee.exitStatus !== undefined) fail(E.ESRCH);
  const stopped = new StoppedTracee(host, task, tracee);
  switch (request) {
    case PTRACE.PEEKTEXT:
    case PTRACE.PEEKDATA:
      return putWord(caller, data, stopped.peek(addr));
    case PTRACE.POKETEXT:
    case PTRACE.POKEDATA:
      return stopped.poke(addr, data);
    case PTRACE.PEEKUSER:
      return putWord(caller, data, stopped.peekUser(addr));
    case PTRACE.POKEUSER:
      return stopped.pokeUser(addr, data);
    case PTRACE.GETREGS:
      caller.mem.write(data, stopped.regs());
      return 0;
    case PTRACE.SETREGS:
      return stopped.setRegs(caller.mem.read(data, USER_REGS_SIZE));
    case PTRACE.GETFPREGS:
      caller.mem.write(data, stopped.regset(NT.PRFPREG, USER_FPREGS_SIZE));
      return 0;
    case PTRACE.SETFPREGS:
      return stopped.setRegset(NT.PRFPREG, caller.mem.read(data, USER_FPREGS_SIZE));
    case PTRACE.GETREGSET:
    case PTRACE.SETREGSET:
      return regsetRequest(caller, stopped, request === PTRACE.SETREGSET, addr, data);
    case PTRACE.GETSIGINFO:
      caller.mem.write(data, stopped.siginfo());
      return 0;
    case PTRACE.SETSIGINFO:
      return stopped.setSiginfo(caller.mem.read(data, SIGINFO_SIZE));
    case PTRACE.GETEVENTMSG:
      return putWord(caller, data, tracee.eventMsg);
    case PTRACE.GETSIGMASK:
      if (addr !== BigInt(SIGSET_SIZE)) fail(E.EINVAL);
      return putWord(caller, data, stopped.sigmask());
    case PTRACE.SETSIGMASK:
      if (addr !== BigInt(SIGSET_SIZE)) fail(E.EINVAL);
      return stopped.setSigmask(caller.mem.read(data, SIGSET_SIZE).readBigUInt64LE(0));
    case PTRACE.PEEKSIGINFO:
      return peekSiginfo(caller, stopped, addr, data);
    case PTRACE.SECCOMP_GET_FILTER:
      return seccompFilter(caller, task, addr, data);
    case PTRACE.SETOPTIONS:
      tracee.options = options(data);
      return 0;
    case PTRACE.GET_SYSCALL_INFO:
      return syscallInfo(caller, stopped, addr, data);
    case PTRACE.ARCH_PRCTL:
      return archPrctl(caller, stopped, addr, data);
    case PTRACE.CONT:
      return resume(host, task, 'plain', data);
    case PTRACE.SYSCALL:
      return resume(host, task, 'syscalls', data);
    case PTRACE.SINGLESTEP:
      return resume(host, task, 'step', data);
    case PTRACE.LISTEN:
      if (!tracee.seized || tracee.stop.kind !== 'group') fail(E.EIO);
      host.ptrace.resume(task, tracee.runMode, 0, true);
      return 0;
    case PTRACE.DETACH:
      host.ptrace.detach(task, signalArg(data));
      return 0;
    default:
      // SECCOMP_GET_METADATA, GET_SYSCALL_USER_DISPATCH_CONFIG and the rest: not offered.
      fail(E.EIO);
  }
}

/** PTRACE_TRACEME: the caller's parent becomes its tracer (Yama lets a parent trace its child). */
function traceMe(host: RequestHost, caller: Task): number {
  const parent = caller.group.parent;
  if (caller.tracee || !parent || parent.zombie) fail(E.EPERM);
  const tracer = host.procs.task(parent.pid) ?? [...parent.tasks][0];
  if (!tracer || tracer.exited) fail(E.EPERM);
  host.ptrace.link(caller, tracer, false, 0);
  return 0;
}

/** PTRACE_ATTACH (the tracee gets SIGSTOP) and PTRACE_SEIZE (addr 0, data the options). */
function attach(host: RequestHost, caller: Task, pid: number, seize: boolean, addr: bigint, data: bigint): number {
  let opts = 0;
  if (seize) {
    if (addr !== 0n || data < 0n || data > 0xffffffffn || Number(data) & ~PTRACE_O_MASK) fail(E.EIO);
    opts = Number(data);
  }
  const task = pid > 0 ? host.procs.task(pid) : undefined;
  if (!task || task.exited || task.exiting) fail(E.ESRCH);
  if (task.group === caller.group || task.tracee || task.wasmSignal) fail(E.EPERM);
  if (!mayAttach(caller, task.group)) fail(E.EPERM);
  host.ptrace.link(task, caller, seize, opts);
  if (!seize) host.signals.signalTask(task, SIG.STOP);
  return 0;
}

function options(data: bigint): number {
  if (data < 0n || data > 0xffffffffn || Number(data) & ~PTRACE_O_MASK) fail(E.EINVAL);
  return Number(data);
}

/** The signal a resume or detach delivers: 0 or a valid signal, else EIO. */
function signalArg(data: bigint): number {
  if (data === 0n) return 0;
  if (data < 0n || data > 64n || !isValidSignal(Number(data))) fail(E.EIO);
  return Number(data);
}

function resume(host: RequestHost, task: Task, mode: RunMode, data: bigint): number {
  const sig = signalArg(data);
  host.ptrace.resume(task, mode, sig);
  return 0;
}

/** PTRACE_INTERRUPT (PTRACE_SEIZE only): the tracee reports an event stop soon. */
function interrupt(host: RequestHost, task: Task, tracee: Tracee): number {
  if (!tracee.seized) fail(E.EIO);
  if (tracee.stop) return 0;
  tracee.interrupted = true;
  const result = host.platform.interrupt(task.hostTid);
  if (result < 0) return result;
  // A wait in the sentry ends as a stop ends it: the call is made again once the tracer
  // resumes the tracee (Linux restarts it the same way).
  if (task.waiting) task.interrupt(SIG.STOP);
  return 0;
}

function putWord(caller: Task, addr: bigint, value: bigint): number {
  const word = Buffer.alloc(WORD);
  word.writeBigUInt64LE(BigInt.asUintN(64, value));
  caller.mem.write(addr, word);
  return 0;
}

/** PTRACE_GETREGSET/SETREGSET: addr the note type, data a struct iovec whose length is updated. */
function regsetRequest(caller: Task, stopped: StoppedTracee, write: boolean, type: bigint, iovAddr: bigint): number {
  const iov = caller.mem.read(iovAddr, 16);
  const base = iov.readBigUInt64LE(0);
  const length = iov.readBigUInt64LE(8);
  const size = regsetSize(Number(type));
  const count = Number(length < BigInt(size) ? length : BigInt(size));
  if (write) {
    const bytes = caller.mem.read(base, count);
    stopped.setRegset(Number(type), bytes);
  } else {
    const bytes = stopped.regset(Number(type), size);
    caller.mem.write(base, bytes.subarray(0, Math.min(count, bytes.length)));
    iov.writeBigUInt64LE(BigInt(Math.min(count, bytes.length)), 8);
    caller.mem.write(iovAddr + 8n, iov.subarray(8, 16));
  }
  return 0;
}

function regsetSize(type: number): number {
  if (type === NT.PRSTATUS) return USER_REGS_SIZE;
  if (type === NT.PRFPREG) return USER_FPREGS_SIZE;
  if (type === NT.X86_XSTATE) return XSTATE_MAX;
  fail(E.EINVAL);
}

/** PTRACE_GET_SYSCALL_INFO: addr the caller's buffer size, data the buffer; the size of the full answer. */
function syscallInfo(caller: Task, stopped: StoppedTracee, size: bigint, addr: bigint): number {
  const regs = stopped.regs();
  const info = Buffer.alloc(88);
  const kind = stopped.tracee.stop!.kind;
  const op = kind === 'syscall-enter' ? SYSCALL_INFO_OP.ENTRY : kind === 'syscall-exit' ? SYSCALL_INFO_OP.EXIT : SYSCALL_INFO_OP.NONE;
  info.writeUInt8(op, 0);
  info.writeUInt32LE(AUDIT_ARCH_X86_64, 4);
  info.writeBigUInt64LE(regs.readBigUInt64LE(USER_REG.rip), 8);
  info.writeBigUInt64LE(regs.readBigUInt64LE(USER_REG.rsp), 16);
  let full = 24;
  if (op === SYSCALL_INFO_OP.ENTRY) {
    info.writeBigUInt64LE(regs.readBigUInt64LE(USER_REG.orig_rax), 24);
    // rdi, rsi, rdx, r10, r8, r9 in struct user_regs_struct order.
    [14, 13, 12, 7, 9, 8].forEach((reg, i) => info.writeBigUInt64LE(regs.readBigUInt64LE(reg * 8), 32 + i * 8));
    full = 80;
  } else if (op === SYSCALL_INFO_OP.EXIT) {
    const rval = regs.readBigInt64LE(USER_REG.rax);
    info.writeBigInt64LE(rval, 24);
    info.writeUInt8(rval < 0n && rval >= -4095n ? 1 : 0, 32);
    full = 33;
  }
  const count = Number(size < BigInt(full) ? size : BigInt(full));
  if (count > 0) caller.mem.write(addr, info.subarray(0, count));
  return full;
}

/**
 * PTRACE_PEEKSIGINFO: addr a struct ptrace_peeksiginfo_args (u64 off, u32 flags, s32 nr),
 * data room for nr siginfos: the queued signals from position off of the tracee's queue
 * (its process's with PTRACE_PEEKSIGINFO_SHARED), as the sandbox shows them; how many
 * were copied (EFAULT only when none could be).
 */
function peekSiginfo(caller: Task, stopped: StoppedTracee, addr: bigint, data: bigint): number {
  const args = caller.mem.read(addr, 16);
  const off = args.readBigUInt64LE(0);
  const flags = args.readUInt32LE(8);
  const nr = args.readInt32LE(12);
  if (flags & ~PEEKSIGINFO_SHARED || nr < 0) fail(E.EINVAL);
  const queue = stopped.queuedSiginfos((flags & PEEKSIGINFO_SHARED) !== 0);
  const wanted = off >= BigInt(queue.length) ? [] : queue.slice(Number(off), Number(off) + nr);
  let copied = 0;
  for (const info of wanted) {
    try {
      caller.mem.write(data + BigInt(copied * SIGINFO_SIZE), info);
    } catch (e) {
      if (copied === 0) throw e;
      break;
    }
    copied++;
  }
  return copied;
}

/**
 * PTRACE_SECCOMP_GET_FILTER: addr a filter's index (0: the first installed), data room
 * for its instructions (0: only their count); the count. The caller needs CAP_SYS_ADMIN
 * and no filter of its own (EACCES); a tracee without filters is EINVAL, an index past
 * them ENOENT. Every filter is classic BPF here (no EMEDIUMTYPE).
 */
function seccompFilter(caller: Task, task: Task, index: bigint, data: bigint): number {
  if (!hasCapability(caller.creds, CAP.SYS_ADMIN) || caller.seccompFilters.length > 0) fail(E.EACCES);
  const filters = task.seccompFilters;
  if (filters.length === 0) fail(E.EINVAL);
  if (index >= BigInt(filters.length)) fail(E.ENOENT);
  const program = filters[Number(index)]!;
  if (data !== 0n) caller.mem.write(data, program);
  return program.length / BPF_INSTRUCTION_SIZE;
}

/** PTRACE_ARCH_PRCTL: data the arch_prctl code, addr its argument (the base, or where to put it). */
function archPrctl(caller: Task, stopped: StoppedTracee, addr: bigint, code: bigint): number {
  const offset = code === BigInt(ARCH.GET_FS) || code === BigInt(ARCH.SET_FS) ? USER_REG.fs_base : code === BigInt(ARCH.GET_GS) || code === BigInt(ARCH.SET_GS) ? USER_REG.gs_base : fail(E.EINVAL);
  if (code === BigInt(ARCH.GET_FS) || code === BigInt(ARCH.GET_GS)) return putWord(caller, addr, stopped.regs().readBigUInt64LE(offset));
  return stopped.pokeUser(BigInt(offset), addr);
}

/** A tracee held in a ptrace-stop, as its tracer reads and writes it. */
class StoppedTracee {
  constructor(
    private readonly host: RequestHost,
    readonly task: Task,
    readonly tracee: Tracee,
  ) {}

  /** The signals the tracee blocks as it sees them (a call that waits under a mask shows that mask). */
  sigmask(): bigint {
    return temporaryMask(this.task) ?? this.host.platform.hostSignals.stoppedMask(this.task.hostTid);
  }

  setSigmask(mask: bigint): number {
    const result = this.host.platform.hostSignals.setStoppedMask(this.task.hostTid, mask & ~UNBLOCKABLE);
    if (result < 0) fail(-result);
    return 0;
  }

  /** The tracee's pending queue (or its process's), with the senders the sandbox names. */
  queuedSiginfos(shared: boolean): Buffer[] {
    const queue = this.host.platform.hostSignals.queued(this.task.hostTid, shared);
    if (typeof queue === 'number') fail(-queue);
    showPendingSiginfos(queue, this.task.group, shared ? undefined : this.task.hostTid);
    return queue;
  }

  peek(addr: bigint): bigint {
    try {
      return this.task.mem.read(addr, WORD).readBigUInt64LE(0);
    } catch {
      fail(E.EIO);
    }
  }

  /** POKETEXT/POKEDATA: a word of the tracee, read-only text included (breakpoints), never the platform's range. */
  poke(addr: bigint, value: bigint): number {
    const word = Buffer.alloc(WORD);
    word.writeBigUInt64LE(BigInt.asUintN(64, value));
    if (this.task.process.writeMemory(addr, word) !== WORD) fail(E.EIO);
    return 0;
  }

  /**
   * struct user_regs_struct as Linux shows it: at a call's end, the number the task
   * called, even where the sentry answered it (the host shows -1) or had the host run
   * another call in its place (vfork as a clone).
   */
  regs(): Buffer {
    const regs = this.regset(NT.PRSTATUS, USER_REGS_SIZE);
    if (this.tracee.stop?.kind === 'syscall-exit' && this.tracee.callNr >= 0) {
      regs.writeBigUInt64LE(BigInt(this.tracee.callNr), USER_REG.orig_rax);
    }
    return regs;
  }

  setRegs(regs: Buffer): number {
    return this.setRegset(NT.PRSTATUS, regs);
  }

  regset(type: number, size: number): Buffer {
    regsetSize(type);
    const buf = Buffer.alloc(size);
    const n = this.host.platform.registerSet(this.task.hostTid, type, buf, false);
    if (n < 0) fail(-n);
    // A general register set of another size would be a 32-bit task's, which checkRegs never lets a tracer make.
    if (type === NT.PRSTATUS && n !== USER_REGS_SIZE) fail(E.EIO);
    return buf.subarray(0, n);
  }

  /** Writes a register set the tracer gave, once checked: the host refuses what it refuses any tracer. */
  setRegset(type: number, bytes: Buffer): number {
    if (type === NT.PRSTATUS) {
      if (bytes.length !== USER_REGS_SIZE) fail(E.EINVAL);
      this.checkRegs(bytes);
    }
    const n = this.host.platform.registerSet(this.task.hostTid, type, bytes, true);
    if (n < 0) fail(-n);
    return 0;
  }

  /**
   * What a tracer writes is checked whole before the host sees any of it (the host applies
   * a register set field by field and stops at the first it refuses, leaving the rest
   * half written). Refused with EIO, as Linux refuses a value it cannot take: an
   * instruction pointer in the platform's reserved range (no tracer steers its tracee
   * into the sentry's code), another code or stack segment (the sandbox runs 64-bit code
   * only), a data selector of another privilege level, an fs/gs base beyond user space.
   */
  private checkRegs(regs: Buffer): void {
    const rip = regs.readBigUInt64LE(USER_REG.rip);
    const { start, end } = this.host.platform.reservedRange;
    if (rip >= BigInt(start) && rip < BigInt(end)) fail(E.EIO);
    const current = this.regset(NT.PRSTATUS, USER_REGS_SIZE);
    for (const at of [USER_REG.cs, USER_REG.ss]) {
      if (regs.readBigUInt64LE(at) !== current.readBigUInt64LE(at)) fail(E.EIO);
    }
    for (const at of DATA_SELECTORS) {
      const selector = regs.readBigUInt64LE(at);
      if (selector > 0xffffn || (selector !== 0n && (selector & 3n) !== 3n)) fail(E.EIO);
    }
    for (const at of [USER_REG.fs_base, USER_REG.gs_base]) {
      if (regs.readBigUInt64LE(at) >= TASK_SIZE_MAX) fail(E.EIO);
    }
  }

  peekUser(offset: bigint): bigint {
    const at = this.userOffset(offset);
    if (at < USER_REGS_SIZE) return this.regs().readBigUInt64LE(at);
    if (at >= USER_DEBUGREG_OFFSET) return this.debugRegister((at - USER_DEBUGREG_OFFSET) / WORD);
    // The rest of struct user (u_fpvalid, the sizes, the signal number...) reads as 0, as on Linux.
    return 0n;
  }

  pokeUser(offset: bigint, value: bigint): number {
    const at = this.userOffset(offset);
    if (at < USER_REGS_SIZE) {
      const regs = this.regs();
      regs.writeBigUInt64LE(BigInt.asUintN(64, value), at);
      return this.setRegs(regs);
    }
    if (at >= USER_DEBUGREG_OFFSET) {
      this.debugRegister((at - USER_DEBUGREG_OFFSET) / WORD, BigInt.asUintN(64, value));
      return 0;
    }
    fail(E.EIO);
  }

  private debugRegister(index: number, value?: bigint): bigint {
    const result = this.host.platform.debugRegister(this.task.hostTid, index, value);
    if (result < 0n) fail(Number(-result));
    return result;
  }

  /** A word-aligned offset inside struct user, else EIO. */
  private userOffset(offset: bigint): number {
    if (offset < 0n || offset % BigInt(WORD) !== 0n || offset >= BigInt(USER_SIZE)) fail(E.EIO);
    return Number(offset);
  }

  /** The stop's siginfo (a signal's sender as the sandbox names it: the stop loop rewrote it before the stop). */
  siginfo(): Buffer {
    const info = Buffer.alloc(SIGINFO_SIZE);
    const result = this.host.platform.stopSiginfo(this.task.hostTid, info, false);
    if (result < 0) fail(-result);
    return info;
  }

  setSiginfo(info: Buffer): number {
    const result = this.host.platform.stopSiginfo(this.task.hostTid, info, true);
    if (result < 0) fail(-result);
    return 0;
  }
}
