// Resource syscalls: limits are the sentry's per process; usage of the caller itself is
// the host kernel's (the task is a real process), of its children the sentry's.

import { E, fail } from '../../abi/errno.js';
import { memoryAsSeen } from '../../accounting/memory-account.js';
import { CAP } from '../../abi/linux-capability.js';
import { hasCapability } from '../../sentry/kernel/credentials.js';
import { NR_OPEN } from '../../sentry/kernel/fd-table.js';
import { RLIM_NLIMITS, RLIMIT } from '../../sentry/kernel/rlimits.js';
import { RUN_ON_HOST, type Rlimit, type Rlimits, type SyscallArgs, type SyscallHandler, type SyscallTask, type HostCall } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { rusageBytes, tmsBytes } from './rusage.js';

const RUSAGE = { SELF: 0, CHILDREN: -1, THREAD: 1 } as const;
const NS_PER_TICK = 10_000_000n;
const SYSINFO_SIZE = 112;

function resourceArg(reg: bigint): number {
  const resource = uint32(reg);
  if (resource >= RLIM_NLIMITS) fail(E.EINVAL);
  return resource;
}

function readRlimit(task: SyscallTask, addr: bigint): Rlimit {
  const raw = task.mem.read(addr, 16);
  return { cur: raw.readBigUInt64LE(0), max: raw.readBigUInt64LE(8) };
}

function writeRlimit(task: SyscallTask, addr: bigint, limit: Rlimit): void {
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64LE(limit.cur, 0);
  buf.writeBigUInt64LE(limit.max, 8);
  task.mem.write(addr, buf);
}

/** Sets a limit of limits (the caller's or prlimit64's target) as the caller may. */
function setLimit(task: SyscallTask, limits: Rlimits, resource: number, limit: Rlimit): void {
  if (limit.cur > limit.max) fail(E.EINVAL);
  const old = limits.get(resource);
  if (limit.max > old.max && !hasCapability(task.creds, CAP.SYS_RESOURCE)) fail(E.EPERM);
  if (resource === RLIMIT.NOFILE && limit.max > BigInt(NR_OPEN)) fail(E.EPERM);
  limits.set(resource, limit);
}

function getrlimit(task: SyscallTask, args: SyscallArgs): number {
  writeRlimit(task, pointer(args[1]), task.rlimits.get(resourceArg(args[0])));
  return 0;
}

function setrlimit(task: SyscallTask, args: SyscallArgs): number {
  const resource = resourceArg(args[0]);
  setLimit(task, task.rlimits, resource, readRlimit(task, pointer(args[1])));
  return 0;
}

/** prlimit64 on the caller (pid 0) or another process of the sandbox. */
function prlimit64(task: SyscallTask, args: SyscallArgs): number {
  const limits = task.process.rlimitsOf(int32(args[0]));
  const resource = resourceArg(args[1]);
  const newAddr = pointer(args[2]);
  const oldAddr = pointer(args[3]);
  const next = newAddr !== 0n ? readRlimit(task, newAddr) : undefined;
  // As Linux: the old value is copied out once the new one is in place.
  const old = limits.get(resource);
  if (next) setLimit(task, limits, resource, next);
  if (oldAddr !== 0n) writeRlimit(task, oldAddr, old);
  return 0;
}

function getrusage(task: SyscallTask, args: SyscallArgs): number | HostCall {
  const who = int32(args[0]);
  if (who === RUSAGE.SELF || who === RUSAGE.THREAD) return RUN_ON_HOST;
  if (who !== RUSAGE.CHILDREN) fail(E.EINVAL);
  task.mem.write(pointer(args[1]), rusageBytes(task.process.childrenTimes));
  return 0;
}

/** times(2): the process's own CPU time and its reaped children's; returns ticks since the sandbox started. */
function times(task: SyscallTask, args: SyscallArgs): number {
  const buf = pointer(args[0]);
  if (buf !== 0n) task.mem.write(buf, tmsBytes(task.process.ownTimes(), task.process.childrenTimes));
  return Number(task.kernel.uptimeNs() / NS_PER_TICK);
}

/** sysinfo(2): memory as the sandbox sees it (its limit as totalram, what is left of it free). */
function sysinfo(task: SyscallTask, args: SyscallArgs): number {
  const buf = Buffer.alloc(SYSINFO_SIZE);
  const memory = memoryAsSeen(task.kernel.memory);
  buf.writeBigInt64LE(task.kernel.uptimeNs() / 1_000_000_000n, 0);
  buf.writeBigUInt64LE(BigInt(memory.totalBytes), 32);
  buf.writeBigUInt64LE(BigInt(memory.freeBytes), 40);
  buf.writeUInt16LE(1, 80); // procs: only the caller is known here
  buf.writeUInt32LE(1, 104); // mem_unit
  task.mem.write(pointer(args[0]), buf);
  return 0;
}

export const resourceSyscalls = { getrlimit, setrlimit, prlimit64, getrusage, times, sysinfo } satisfies Record<string, SyscallHandler>;
