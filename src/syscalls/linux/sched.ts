// Scheduling calls over the sandbox's virtual tids. Policies and real-time priorities are
// the sandbox's record (src/sentry/kernel/scheduling.ts), never the host thread's; the nice
// value and the CPU affinity reach the host thread, the one a fair-share weight, the
// other only a restriction. I/O priorities are the sandbox's record too (no host I/O
// scheduler sees them). Every pid here is a virtual tid (0: the caller).

import { E, fail } from '../../abi/errno.js';
import { isRealTime, RR_TIMESLICE_NS, SCHED, SCHED_ATTR_OFFSET as OFF, SCHED_ATTR_SIZE_VER0, SCHED_ATTR_SIZE_VER1, SCHED_FLAG, SCHED_FLAG_UTIL_CLAMP, SCHED_RESET_ON_FORK } from '../../abi/linux-sched.js';
import { mayReschedule } from '../../sentry/kernel/scheduling.js';
import type { SchedChange, SyscallArgs, SyscallHandler, SyscallTask, HostCall } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { writeTimespec } from './timespec.js';

const PAGE_SIZE = 4096;

const anyone = (): boolean => true;

function getpriority(task: SyscallTask, args: SyscallArgs): number {
  return task.process.getPriority(int32(args[0]), int32(args[1]));
}

function setpriority(task: SyscallTask, args: SyscallArgs): number {
  task.process.setPriority(int32(args[0]), int32(args[1]), int32(args[2]));
  return 0;
}

function ioprio_get(task: SyscallTask, args: SyscallArgs): number {
  return task.process.getIoPriority(int32(args[0]), int32(args[1]));
}

function ioprio_set(task: SyscallTask, args: SyscallArgs): number {
  task.process.setIoPriority(int32(args[0]), int32(args[1]), int32(args[2]));
  return 0;
}

/** The pid and struct pointer sched_setparam and sched_getparam take: EINVAL for NULL or a negative pid. */
function pidAndPointer(args: SyscallArgs): { pid: number; addr: bigint } {
  const pid = int32(args[0]);
  const addr = pointer(args[1]);
  if (addr === 0n || pid < 0) fail(E.EINVAL);
  return { pid, addr };
}

function readPriority(task: SyscallTask, addr: bigint): number {
  return task.mem.read(addr, 4).readInt32LE(0);
}

function sched_setparam(task: SyscallTask, args: SyscallArgs): number {
  const { pid, addr } = pidAndPointer(args);
  task.process.setScheduling(pid, { resetOnFork: false, priority: readPriority(task, addr), flags: 0 });
  return 0;
}

function sched_setscheduler(task: SyscallTask, args: SyscallArgs): number {
  const pid = int32(args[0]);
  const policy = int32(args[1]);
  const addr = pointer(args[2]);
  if (policy < 0 || addr === 0n || pid < 0) fail(E.EINVAL);
  const priority = readPriority(task, addr);
  const resetOnFork = (policy & SCHED_RESET_ON_FORK) !== 0;
  task.process.setScheduling(pid, { policy: policy & ~SCHED_RESET_ON_FORK, resetOnFork, priority, flags: resetOnFork ? SCHED_FLAG.RESET_ON_FORK : 0 });
  return 0;
}

function sched_getscheduler(task: SyscallTask, args: SyscallArgs): number {
  const pid = int32(args[0]);
  if (pid < 0) fail(E.EINVAL);
  const { policy, resetOnFork } = task.process.getScheduling(pid);
  return policy | (resetOnFork ? SCHED_RESET_ON_FORK : 0);
}

function sched_getparam(task: SyscallTask, args: SyscallArgs): number {
  const { pid, addr } = pidAndPointer(args);
  const { policy, priority } = task.process.getScheduling(pid);
  const param = Buffer.alloc(4);
  param.writeInt32LE(isRealTime(policy) ? priority : 0);
  task.mem.write(addr, param);
  return 0;
}

/**
 * struct sched_attr from the caller (sched_copy_attr): a size of 0 is the first version; a
 * size past the kernel's with non-zero bytes beyond is E2BIG, the kernel's size written back.
 */
function readSchedAttr(task: SyscallTask, addr: bigint): Buffer {
  let size = task.mem.read(addr, 4).readUInt32LE(0);
  if (size === 0) size = SCHED_ATTR_SIZE_VER0;
  const tooBig = (): never => {
    const known = Buffer.alloc(4);
    known.writeUInt32LE(SCHED_ATTR_SIZE_VER1);
    task.mem.write(addr + BigInt(OFF.size), known);
    fail(E.E2BIG);
  };
  if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE) tooBig();
  const raw = task.mem.read(addr, size);
  if (raw.subarray(SCHED_ATTR_SIZE_VER1).some((b) => b !== 0)) tooBig();
  const attr = Buffer.alloc(SCHED_ATTR_SIZE_VER1);
  raw.copy(attr, 0, 0, Math.min(size, SCHED_ATTR_SIZE_VER1));
  if ((attr.readBigUInt64LE(OFF.flags) & BigInt(SCHED_FLAG_UTIL_CLAMP)) !== 0n && size < SCHED_ATTR_SIZE_VER1) fail(E.EINVAL);
  return attr;
}

function sched_setattr(task: SyscallTask, args: SyscallArgs): number {
  const pid = int32(args[0]);
  const addr = pointer(args[1]);
  if (addr === 0n || pid < 0 || uint32(args[2]) !== 0) fail(E.EINVAL);
  const attr = readSchedAttr(task, addr);
  const policy = attr.readInt32LE(OFF.policy);
  if (policy < 0) fail(E.EINVAL);
  const flags = attr.readBigUInt64LE(OFF.flags);
  if (flags > 0xffffffffn) fail(E.EINVAL);
  let change: SchedChange = {
    ...(Number(flags) & SCHED_FLAG.KEEP_POLICY ? {} : { policy }),
    resetOnFork: (Number(flags) & SCHED_FLAG.RESET_ON_FORK) !== 0,
    priority: attr.readUInt32LE(OFF.priority),
    nice: attr.readInt32LE(OFF.nice),
    deadline: { runtime: attr.readBigUInt64LE(OFF.runtime), deadline: attr.readBigUInt64LE(OFF.deadline), period: attr.readBigUInt64LE(OFF.period) },
    flags: Number(flags),
  };
  if (change.flags & SCHED_FLAG.KEEP_PARAMS) {
    const now = task.process.getScheduling(pid);
    change = { ...change, priority: isRealTime(now.policy) ? now.priority : 0, nice: now.nice, deadline: now.deadline ?? { runtime: 0n, deadline: 0n, period: 0n } };
  }
  task.process.setScheduling(pid, change);
  return 0;
}

function sched_getattr(task: SyscallTask, args: SyscallArgs): number {
  const pid = int32(args[0]);
  const addr = pointer(args[1]);
  const size = uint32(args[2]);
  if (addr === 0n || pid < 0 || size > PAGE_SIZE || size < SCHED_ATTR_SIZE_VER0 || uint32(args[3]) !== 0) fail(E.EINVAL);
  const now = task.process.getScheduling(pid);
  const attr = Buffer.alloc(SCHED_ATTR_SIZE_VER1);
  const written = Math.min(size, SCHED_ATTR_SIZE_VER1);
  attr.writeUInt32LE(written, OFF.size);
  attr.writeUInt32LE(now.policy, OFF.policy);
  attr.writeBigUInt64LE(now.resetOnFork ? BigInt(SCHED_FLAG.RESET_ON_FORK) : 0n, OFF.flags);
  if (now.policy === SCHED.DEADLINE && now.deadline) {
    attr.writeBigUInt64LE(now.deadline.runtime, OFF.runtime);
    attr.writeBigUInt64LE(now.deadline.deadline, OFF.deadline);
    attr.writeBigUInt64LE(now.deadline.period, OFF.period);
  } else if (isRealTime(now.policy)) attr.writeUInt32LE(now.priority, OFF.priority);
  else attr.writeInt32LE(now.nice, OFF.nice);
  task.mem.write(addr, attr.subarray(0, written));
  return 0;
}

/** SCHED_RR's slice is the sandbox's; FIFO and DEADLINE have none; a fair policy's is the host thread's. */
function sched_rr_get_interval(task: SyscallTask, args: SyscallArgs): number | HostCall {
  const pid = int32(args[0]);
  if (pid < 0) fail(E.EINVAL);
  const { policy } = task.process.getScheduling(pid);
  if (policy === SCHED.RR || policy === SCHED.FIFO || policy === SCHED.DEADLINE) {
    writeTimespec(task, pointer(args[1]), policy === SCHED.RR ? RR_TIMESLICE_NS : 0n);
    return 0;
  }
  return task.process.forThread(pid, anyone);
}

/** A call whose first argument is a tid (0: the caller), run on the host for that tid's thread. */
function onThread(mayAccess: typeof mayReschedule): SyscallHandler {
  return (task: SyscallTask, args: SyscallArgs) => task.process.forThread(int32(args[0]), mayAccess);
}

export const schedSyscalls = {
  getpriority,
  setpriority,
  ioprio_get,
  ioprio_set,
  sched_setparam,
  sched_getparam,
  sched_setscheduler,
  sched_getscheduler,
  sched_setattr,
  sched_getattr,
  sched_rr_get_interval,
  sched_getaffinity: onThread(anyone),
  sched_setaffinity: onThread(mayReschedule),
} satisfies Record<string, SyscallHandler>;
