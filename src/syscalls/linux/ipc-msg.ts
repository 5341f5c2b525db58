// System V message queues (msgget(2), msgsnd/msgrcv(2), msgctl(2)) on the sandbox's IPC
// namespace. A send or receive that must wait does so in the sentry; a signal ends it
// with EINTR when a handler runs (ERESTARTNOHAND), as Linux.

import { E, ERESTARTNOHAND, fail } from '../../abi/errno.js';
import { IPC, IPC64_PERM_SIZE, MSG, MSG_LIMITS, MSGINFO_SIZE, MSQID64_DS_OFFSET, MSQID64_DS_SIZE } from '../../abi/linux-ipc.js';
import { CAP } from '../../abi/linux-capability.js';
import { hasCapability } from '../../sentry/kernel/credentials.js';
import { SysvMessageQueue } from '../../sentry/kernel/ipc/msg.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, int64, pointer, size } from './decode.js';
import { IPC_READ, nowSeconds, permSetOf, retryOnChange, statObject } from './ipc-common.js';

const WRITE = 0o222;
/** struct msgbuf: a long mtype, then the text. */
const MTYPE_SIZE = 8;
const MSGSSZ = 16;
const MSGPOOL = (MSG_LIMITS.msgmni * MSG_LIMITS.msgmnb) / 1024;

function msgget(task: SyscallTask, args: SyscallArgs): number {
  const queue = task.kernel.ipc.messageQueues.get(int32(args[0]), int32(args[1]), task.creds, (perm) => new SysvMessageQueue(perm, MSG_LIMITS.msgmnb, nowSeconds(task)));
  return queue.perm.id;
}

function msgsnd(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const msqid = int32(args[0]);
  const addr = pointer(args[1]);
  const length = BigInt.asIntN(64, size(args[2]));
  const flags = int32(args[3]);
  const type = task.mem.read(addr, MTYPE_SIZE).readBigInt64LE(0);
  if (length > BigInt(MSG_LIMITS.msgmax) || length < 0n || msqid < 0) return -E.EINVAL;
  if (type < 1n) return -E.EINVAL;
  const message = { type, data: task.mem.read(addr + BigInt(MTYPE_SIZE), Number(length)) };
  const queue = task.kernel.ipc.messageQueues.lookup(msqid);
  queue.perm.check(task.creds, WRITE);
  const attempt = (): number | undefined => (queue.trySend(message, task.pid, nowSeconds(task)) ? 0 : undefined);
  if (attempt() === 0) return 0;
  if (flags & IPC.NOWAIT) return -E.EAGAIN;
  return retryOnChange(task, queue, attempt, undefined, ERESTARTNOHAND, E.EAGAIN);
}

function msgrcv(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const msqid = int32(args[0]);
  const addr = pointer(args[1]);
  const length = BigInt.asIntN(64, size(args[2]));
  const type = int64(args[3]);
  const flags = int32(args[4]);
  if (msqid < 0 || length < 0n) return -E.EINVAL;
  if (flags & MSG.COPY && (flags & MSG.EXCEPT || !(flags & IPC.NOWAIT))) return -E.EINVAL;
  const queue = task.kernel.ipc.messageQueues.lookup(msqid);
  queue.perm.check(task.creds, IPC_READ);
  const attempt = (): number | undefined => {
    const index = queue.find(type, flags);
    if (index < 0) return undefined;
    const found = queue.messages[index]!;
    if (BigInt(found.data.length) > length && !(flags & MSG.NOERROR)) fail(E.E2BIG);
    const message = flags & MSG.COPY ? found : queue.take(index, task.pid, nowSeconds(task));
    const count = Math.min(message.data.length, Number(length));
    const out = Buffer.alloc(MTYPE_SIZE + count);
    out.writeBigInt64LE(message.type, 0);
    message.data.copy(out, MTYPE_SIZE, 0, count);
    task.mem.write(addr, out);
    return count;
  };
  const now = attempt();
  if (now !== undefined) return now;
  if (flags & IPC.NOWAIT) return -E.ENOMSG;
  return retryOnChange(task, queue, attempt, undefined, ERESTARTNOHAND, E.ENOMSG);
}

/** struct msqid64_ds, its pids as the caller's pid namespace numbers them. */
function encodeMsqid(queue: SysvMessageQueue, task: SyscallTask): Buffer {
  const buf = Buffer.alloc(MSQID64_DS_SIZE);
  queue.perm.encode(buf);
  const o = MSQID64_DS_OFFSET;
  buf.writeBigInt64LE(BigInt(queue.stime), o.stime);
  buf.writeBigInt64LE(BigInt(queue.rtime), o.rtime);
  buf.writeBigInt64LE(BigInt(queue.ctime), o.ctime);
  buf.writeBigUInt64LE(BigInt(queue.bytes), o.cbytes);
  buf.writeBigUInt64LE(BigInt(queue.messages.length), o.qnum);
  buf.writeBigUInt64LE(BigInt(queue.qbytes), o.qbytes);
  buf.writeInt32LE(task.process.visiblePid(queue.lspid), o.lspid);
  buf.writeInt32LE(task.process.visiblePid(queue.lrpid), o.lrpid);
  return buf;
}

/** IPC_INFO and MSG_INFO: struct msginfo; the highest index in use is the result. */
function msgInfo(task: SyscallTask, cmd: number, addr: bigint): number {
  const queues = task.kernel.ipc.messageQueues;
  const all = queues.all();
  const used = cmd === MSG.INFO;
  const buf = Buffer.alloc(MSGINFO_SIZE);
  buf.writeInt32LE(used ? queues.count : MSGPOOL, 0);
  buf.writeInt32LE(used ? all.reduce((n, q) => n + q.messages.length, 0) : MSG_LIMITS.msgmnb, 4);
  buf.writeInt32LE(MSG_LIMITS.msgmax, 8);
  buf.writeInt32LE(MSG_LIMITS.msgmnb, 12);
  buf.writeInt32LE(MSG_LIMITS.msgmni, 16);
  buf.writeInt32LE(MSGSSZ, 20);
  buf.writeInt32LE(used ? all.reduce((n, q) => n + q.bytes, 0) : MSG_LIMITS.msgmnb, 24);
  buf.writeUInt16LE(Math.min((MSGPOOL * 1024) / MSGSSZ, 0xffff), 28);
  task.mem.write(addr, buf);
  return Math.max(queues.maxIndex(), 0);
}

function msgctl(task: SyscallTask, args: SyscallArgs): number {
  const msqid = int32(args[0]);
  const cmd = int32(args[1]);
  const addr = pointer(args[2]);
  const queues = task.kernel.ipc.messageQueues;
  switch (cmd) {
    case IPC.INFO:
    case MSG.INFO:
      return msgInfo(task, cmd, addr);
    case MSG.STAT:
    case MSG.STAT_ANY:
    case IPC.STAT:
      return statObject(task, queues, { byIndex: cmd !== IPC.STAT, any: cmd === MSG.STAT_ANY }, msqid, addr, encodeMsqid);
    case IPC.SET: {
      const raw = task.mem.read(addr, MSQID64_DS_SIZE);
      const wanted = permSetOf(task, raw.subarray(0, IPC64_PERM_SIZE));
      const qbytes = raw.readBigUInt64LE(MSQID64_DS_OFFSET.qbytes);
      const queue = queues.lookup(msqid);
      queue.perm.checkOwner(task.creds);
      if (qbytes > BigInt(MSG_LIMITS.msgmnb) && !hasCapability(task.creds, CAP.SYS_RESOURCE)) return -E.EPERM;
      queue.perm.set(wanted.uid, wanted.gid, wanted.mode);
      queue.qbytes = Number(BigInt.asUintN(32, qbytes));
      queue.ctime = nowSeconds(task);
      queue.changed();
      return 0;
    }
    case IPC.RMID: {
      const queue = queues.lookup(msqid);
      queue.perm.checkOwner(task.creds);
      queues.remove(queue);
      return 0;
    }
    default:
      return -E.EINVAL;
  }
}

export const msgSyscalls = { msgget, msgsnd, msgrcv, msgctl } satisfies Record<string, SyscallHandler>;
