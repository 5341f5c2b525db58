// System V semaphores (semget(2), semop(2), semctl(2)) on the sandbox's IPC namespace.
// A semop that must wait does so in the sentry; a signal ends it with EINTR, never a
// restart, as Linux; SEM_UNDO adjustments apply when the process exits.

import { E, fail } from '../../abi/errno.js';
import { IPC, SEM, SEM_LIMITS, SEMBUF_SIZE, SEMID64_DS_OFFSET, SEMID64_DS_SIZE, SEMINFO_SIZE, SEMVMX } from '../../abi/linux-ipc.js';
import { SemaphoreSet, type SemOp, type SemWaiter } from '../../sentry/kernel/ipc/sem.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { IPC_READ, nowSeconds, retryOnChange, setObjectPerm, statObject } from './ipc-common.js';
import { decodeTimespec, TIMESPEC_SIZE } from './timespec.js';

const WRITE = 0o222;

function semget(task: SyscallTask, args: SyscallArgs): number {
  const key = int32(args[0]);
  const nsems = int32(args[1]);
  const flags = int32(args[2]);
  if (nsems < 0 || nsems > SEM_LIMITS.semmsl) return -E.EINVAL;
  const ipc = task.kernel.ipc;
  const set = ipc.semaphores.get(
    key,
    flags,
    task.creds,
    (perm) => {
      if (nsems === 0) fail(E.EINVAL);
      if (ipc.semaphoreCount + nsems > SEM_LIMITS.semmns) fail(E.ENOSPC);
      return new SemaphoreSet(perm, nsems, nowSeconds(task));
    },
    (existing) => {
      if (nsems > existing.nsems) fail(E.EINVAL);
    },
  );
  return set.perm.id;
}

function readOps(task: SyscallTask, addr: bigint, count: number): SemOp[] {
  const raw = task.mem.read(addr, count * SEMBUF_SIZE);
  return Array.from({ length: count }, (_, i) => ({ num: raw.readUInt16LE(i * SEMBUF_SIZE), op: raw.readInt16LE(i * SEMBUF_SIZE + 2), flags: raw.readInt16LE(i * SEMBUF_SIZE + 4) }));
}

/** semop and semtimedop (timeoutAddr 0: no timeout; the timeout is relative). */
function semtimedopOf(task: SyscallTask, semid: number, opsAddr: bigint, count: number, timeoutAddr: bigint): number | Promise<number> {
  const timeout = timeoutAddr === 0n ? undefined : task.mem.read(timeoutAddr, TIMESPEC_SIZE);
  if (count < 1 || semid < 0) return -E.EINVAL;
  if (count > SEM_LIMITS.semopm) return -E.E2BIG;
  const ops = readOps(task, opsAddr, count);
  const timeoutNs = timeout === undefined ? undefined : decodeTimespec(timeout, 0);
  const ipc = task.kernel.ipc;
  const set = ipc.semaphores.lookup(semid);
  if (Math.max(...ops.map((op) => op.num)) >= set.nsems) return -E.EFBIG;
  set.perm.check(task.creds, ops.some((op) => op.op !== 0) ? WRITE : IPC_READ);
  const waiter: SemWaiter = { blocking: ops[0]! };
  const attempt = (): number | undefined => {
    const blocking = set.tryOps(ops, task.pid, ipc.undo, nowSeconds(task));
    if (!blocking) return 0;
    if (blocking.flags & IPC.NOWAIT) fail(E.EAGAIN);
    waiter.blocking = blocking;
    return undefined;
  };
  const now = attempt();
  if (now !== undefined) return now;
  set.waiters.add(waiter);
  return retryOnChange(task, set, attempt, timeoutNs, E.EINTR, E.EAGAIN).finally(() => set.waiters.delete(waiter));
}

function semop(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return semtimedopOf(task, int32(args[0]), pointer(args[1]), uint32(args[2]), 0n);
}

function semtimedop(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return semtimedopOf(task, int32(args[0]), pointer(args[1]), uint32(args[2]), pointer(args[3]));
}

function encodeSemid(set: SemaphoreSet): Buffer {
  const buf = Buffer.alloc(SEMID64_DS_SIZE);
  set.perm.encode(buf);
  buf.writeBigInt64LE(BigInt(set.otime), SEMID64_DS_OFFSET.otime);
  buf.writeBigInt64LE(BigInt(set.ctime), SEMID64_DS_OFFSET.ctime);
  buf.writeBigUInt64LE(BigInt(set.nsems), SEMID64_DS_OFFSET.nsems);
  return buf;
}

/** IPC_INFO and SEM_INFO: struct seminfo; the highest index in use is the result. */
function semInfo(task: SyscallTask, cmd: number, addr: bigint): number {
  const ipc = task.kernel.ipc;
  const used = cmd === SEM.INFO;
  const values = [
    SEM_LIMITS.semmns, // semmap
    SEM_LIMITS.semmni,
    SEM_LIMITS.semmns,
    SEM_LIMITS.semmns, // semmnu
    SEM_LIMITS.semmsl,
    SEM_LIMITS.semopm,
    SEM_LIMITS.semopm, // semume
    used ? ipc.semaphores.count : 20, // semusz
    SEMVMX,
    used ? ipc.semaphoreCount : SEMVMX, // semaem
  ];
  const buf = Buffer.alloc(SEMINFO_SIZE);
  values.forEach((value, i) => buf.writeInt32LE(value, i * 4));
  task.mem.write(addr, buf);
  return Math.max(ipc.semaphores.maxIndex(), 0);
}

function semctl(task: SyscallTask, args: SyscallArgs): number {
  const semid = int32(args[0]);
  const semnum = int32(args[1]);
  const cmd = int32(args[2]);
  const arg = pointer(args[3]);
  const ipc = task.kernel.ipc;
  const now = nowSeconds(task);
  switch (cmd) {
    case IPC.INFO:
    case SEM.INFO:
      return semInfo(task, cmd, arg);
    case SEM.STAT:
    case SEM.STAT_ANY:
    case IPC.STAT:
      return statObject(task, ipc.semaphores, { byIndex: cmd !== IPC.STAT, any: cmd === SEM.STAT_ANY }, semid, arg, encodeSemid);
    case IPC.SET:
      return setObjectPerm(task, ipc.semaphores, semid, arg);
    case IPC.RMID: {
      const set = ipc.semaphores.lookup(semid);
      set.perm.checkOwner(task.creds);
      ipc.semaphores.remove(set);
      ipc.undo.forget(set);
      return 0;
    }
    case SEM.SETVAL: {
      const value = int32(args[3]);
      if (value < 0 || value > SEMVMX) return -E.ERANGE;
      const set = ipc.semaphores.lookup(semid);
      if (semnum < 0 || semnum >= set.nsems) return -E.EINVAL;
      set.perm.check(task.creds, WRITE);
      set.setValues(semnum, [value], task.pid, ipc.undo, now);
      return 0;
    }
    case SEM.GETALL:
    case SEM.SETALL:
    case SEM.GETVAL:
    case SEM.GETPID:
    case SEM.GETNCNT:
    case SEM.GETZCNT: {
      const set = ipc.semaphores.lookup(semid);
      set.perm.check(task.creds, cmd === SEM.SETALL ? WRITE : IPC_READ);
      if (cmd === SEM.GETALL) {
        const out = Buffer.alloc(set.nsems * 2);
        set.values.forEach((value, i) => out.writeUInt16LE(value, i * 2));
        task.mem.write(arg, out);
        return 0;
      }
      if (cmd === SEM.SETALL) {
        const raw = task.mem.read(arg, set.nsems * 2);
        set.setValues(0, Array.from({ length: set.nsems }, (_, i) => raw.readUInt16LE(i * 2)), task.pid, ipc.undo, now);
        return 0;
      }
      if (semnum < 0 || semnum >= set.nsems) return -E.EINVAL;
      if (cmd === SEM.GETVAL) return set.values[semnum]!;
      if (cmd === SEM.GETPID) return task.process.visiblePid(set.pids[semnum]!);
      return set.waiting(semnum, cmd === SEM.GETZCNT);
    }
    default:
      return -E.EINVAL;
  }
}

export const semSyscalls = { semget, semop, semtimedop, semctl } satisfies Record<string, SyscallHandler>;
