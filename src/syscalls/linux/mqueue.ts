// POSIX message queues (mq_overview(7)): mq_open/mq_unlink on the sandbox's mqueue
// namespace (the queues /dev/mqueue lists), and the calls on a queue descriptor. A queue
// descriptor is an fd of the queue's file, so poll, epoll, dup and fork work on it.

import { CAP } from '../../abi/linux-capability.js';
import { hasCapability } from '../../sentry/kernel/credentials.js';
import { E, fail } from '../../abi/errno.js';
import { O, PATH_MAX } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { SI_CODE, SIGINFO_OFFSET, SIGINFO_SIZE } from '../../abi/linux-signal.js';
import { andThen } from '../../sentry/kernel/files/blocking-io.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { MqueueInode } from '../../vfs/mqueue/fs.js';
import { MQ_PRIO_MAX, type MessageQueue, type MqAttr } from '../../vfs/mqueue/queue.js';
import { int32, pointer, size, uint32 } from './decode.js';
import { fdLimit, openFile } from './task-files.js';
import { readTimespec } from './timespec.js';

/** struct mq_attr: mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs, four reserved longs. */
const MQ_ATTR_SIZE = 64;
/** struct sigevent: sigev_value, sigev_signo, sigev_notify, then the union. */
const SIGEVENT_SIZE = 64;
const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2 } as const;
const NSIG = 64;
/** mq_open with CAP_SYS_RESOURCE still stops at these (HARD_MSGMAX, HARD_MSGSIZEMAX). */
const HARD_MSGMAX = 65536;
const HARD_MSGSIZEMAX = 16 << 20;
const RLIMIT_MSGQUEUE = 12;
/** What of mq_open's oflag the descriptor keeps. */
const OPEN_FLAGS = O.ACCMODE | O.NONBLOCK;

interface QueueFile {
  file: FileDescription;
  queue: MessageQueue;
}

/** The queue behind a descriptor: EBADF for anything but a queue's file, as Linux. */
function queueOf(task: SyscallTask, fd: number): QueueFile {
  const file = openFile(task, fd);
  if (!(file.inode instanceof MqueueInode)) fail(E.EBADF);
  return { file, queue: file.inode.entry.queue };
}

function readAttr(task: SyscallTask, addr: bigint): { flags: bigint; maxmsg: bigint; msgsize: bigint } {
  const raw = task.mem.read(addr, MQ_ATTR_SIZE);
  return { flags: raw.readBigInt64LE(0), maxmsg: raw.readBigInt64LE(8), msgsize: raw.readBigInt64LE(16) };
}

/** The attributes a new queue gets (mq_attr_ok): EINVAL outside the limits the caller may use. */
function creationAttr(task: SyscallTask, addr: bigint): MqAttr | undefined {
  if (addr === 0n) return undefined;
  const { maxmsg, msgsize } = readAttr(task, addr);
  if (maxmsg <= 0n || msgsize <= 0n) fail(E.EINVAL);
  const limits = task.kernel.ipc.posix.mqueues.limits;
  const privileged = hasCapability(task.creds, CAP.SYS_RESOURCE);
  const [maxMsgs, maxSize] = privileged ? [HARD_MSGMAX, HARD_MSGSIZEMAX] : [limits.msgMax, limits.msgsizeMax];
  if (maxmsg > BigInt(maxMsgs) || msgsize > BigInt(maxSize)) fail(E.EINVAL);
  return { maxmsg: Number(maxmsg), msgsize: Number(msgsize) };
}

function mq_open(task: SyscallTask, args: SyscallArgs): number {
  // glibc strips the leading slash: the kernel sees the name as the mqueue mount lists it.
  const name = task.mem.readCString(pointer(args[0]), PATH_MAX);
  const flags = int32(args[1]);
  const mode = uint32(args[2]) & ~task.fs.umask & 0o777;
  const attr = flags & O.CREAT ? creationAttr(task, pointer(args[3])) : undefined;
  const { mqueues, mqueueInode } = task.kernel.ipc.posix;
  const entry = mqueues.open(name, flags, mode, attr, task.fs.creds, task.rlimits.get(RLIMIT_MSGQUEUE).cur);
  const file = task.kernel.vfs.openAnonymous(mqueueInode(entry), `/${name}`, flags & OPEN_FLAGS, task.fs);
  // Linux gives every queue descriptor close-on-exec, whatever oflag says.
  return task.fds.install(file, { cloexec: true, limit: fdLimit(task) });
}

function mq_unlink(task: SyscallTask, args: SyscallArgs): number {
  const name = task.mem.readCString(pointer(args[0]), PATH_MAX);
  task.kernel.ipc.posix.mqueues.unlink(name, task.fs.creds);
  return 0;
}

/** An absolute CLOCK_REALTIME timeout as the time left (0n when past); undefined waits forever. */
function timeLeft(task: SyscallTask, addr: bigint): bigint | undefined {
  if (addr === 0n) return undefined;
  const left = readTimespec(task, addr) - task.kernel.realtimeNs();
  return left > 0n ? left : 0n;
}

function wouldBlock(error: unknown, file: FileDescription): boolean {
  return (error as { errno?: number }).errno === E.EAGAIN && (file.statusFlags & O.NONBLOCK) === 0;
}

/**
 * attempt's result, or for a blocking descriptor whose queue is full (empty) the result of
 * attempts after waiting for room (a message), up to the deadline (ETIMEDOUT).
 */
function untilReady<T>(task: SyscallTask, target: QueueFile, events: number, timeout: bigint | undefined, attempt: () => T): T | Promise<T> {
  try {
    return attempt();
  } catch (error) {
    if (!wouldBlock(error, target.file)) throw error;
  }
  const retry = async (): Promise<T> => {
    for (;;) {
      const ready = await task.waitAnyReady([{ file: target.queue, events }], timeout);
      if (ready[0] === 0) fail(E.ETIMEDOUT);
      try {
        return attempt();
      } catch (error) {
        if (!wouldBlock(error, target.file)) throw error;
      }
    }
  };
  // A receiver that waits gets the next message sent, before any mq_notify registration.
  return events & POLL.IN ? target.queue.receiving(retry) : retry();
}

function mq_timedsend(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const length = size(args[2]);
  const priority = uint32(args[3]);
  const timeout = timeLeft(task, pointer(args[4]));
  if (priority >= MQ_PRIO_MAX) return -E.EINVAL;
  const target = queueOf(task, int32(args[0]));
  if ((target.file.accessMode & O.ACCMODE) === O.RDONLY) fail(E.EBADF);
  if (length > BigInt(target.queue.attr.msgsize)) fail(E.EMSGSIZE);
  const data = task.mem.read(pointer(args[1]), Number(length));
  const sender = { pid: task.pid, uid: task.creds.ruid };
  return untilReady(task, target, POLL.OUT, timeout, () => {
    target.queue.send(data, priority, sender);
    return 0;
  });
}

function mq_timedreceive(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const buffer = pointer(args[1]);
  const length = size(args[2]);
  const priorityAddr = pointer(args[3]);
  const timeout = timeLeft(task, pointer(args[4]));
  const source = queueOf(task, int32(args[0]));
  if ((source.file.accessMode & O.ACCMODE) === O.WRONLY) fail(E.EBADF);
  if (length < BigInt(source.queue.attr.msgsize)) fail(E.EMSGSIZE);
  const buf = Buffer.alloc(source.queue.attr.msgsize);
  return andThen(untilReady(task, source, POLL.IN, timeout, () => source.queue.receive(buf)), (got) => {
    task.mem.write(buffer, buf.subarray(0, got.length));
    if (priorityAddr !== 0n) {
      const prio = Buffer.alloc(4);
      prio.writeUInt32LE(got.priority);
      task.mem.write(priorityAddr, prio);
    }
    return got.length;
  });
}

/**
 * mq_notify: SIGEV_SIGNAL sends the signal, with SI_MESGQ and the sender's pid and uid,
 * when a message arrives in the empty queue and nobody is waiting in mq_receive; then the
 * registration is gone. SIGEV_THREAD is glibc's: the kernel sends its cookie to a netlink
 * socket the sandbox does not have (ECONNREFUSED for any other socket).
 */
function mq_notify(task: SyscallTask, args: SyscallArgs): number {
  const addr = pointer(args[1]);
  const event = addr === 0n ? undefined : task.mem.read(addr, SIGEVENT_SIZE);
  if (event) {
    const notify = event.readInt32LE(12);
    const signo = event.readInt32LE(8);
    if (notify !== SIGEV.NONE && notify !== SIGEV.SIGNAL && notify !== SIGEV.THREAD) fail(E.EINVAL);
    if (notify === SIGEV.SIGNAL && (signo < 0 || signo > NSIG)) fail(E.EINVAL);
    if (notify === SIGEV.THREAD) {
      const socket = task.fds.get(signo);
      fail((socket.inode.stat().mode & 0o170000) === 0o140000 ? E.ECONNREFUSED : E.ENOTSOCK);
    }
  }
  const { queue } = queueOf(task, int32(args[0]));
  if (!event) {
    queue.setNotification(undefined, task.pid);
    return 0;
  }
  const notify = event.readInt32LE(12);
  const signo = event.readInt32LE(8);
  const value = event.readBigUInt64LE(0);
  const owner = task.process.notifier();
  queue.setNotification(
    {
      pid: task.pid,
      notify,
      signo,
      alive: () => owner.alive(),
      deliver: (sender) => {
        // Linux accepts signal 0 and then sends nothing.
        if (notify !== SIGEV.SIGNAL || signo === 0) return;
        const info = Buffer.alloc(SIGINFO_SIZE);
        info.writeInt32LE(signo, SIGINFO_OFFSET.signo);
        info.writeInt32LE(SI_CODE.MESGQ, SIGINFO_OFFSET.code);
        // The sender as the notified process's pid namespace numbers it.
        info.writeInt32LE(task.process.visiblePid(sender.pid), SIGINFO_OFFSET.pid);
        info.writeUInt32LE(sender.uid, SIGINFO_OFFSET.uid);
        info.writeBigUInt64LE(value, SIGINFO_OFFSET.value);
        owner.signal(signo, info);
      },
    },
    task.pid,
  );
  return 0;
}

function mq_getsetattr(task: SyscallTask, args: SyscallArgs): number {
  const newAddr = pointer(args[1]);
  const oldAddr = pointer(args[2]);
  const wanted = newAddr === 0n ? undefined : readAttr(task, newAddr);
  if (wanted && (wanted.flags & ~BigInt(O.NONBLOCK)) !== 0n) fail(E.EINVAL);
  const { file, queue } = queueOf(task, int32(args[0]));
  if (oldAddr !== 0n) {
    const old = Buffer.alloc(MQ_ATTR_SIZE);
    old.writeBigInt64LE(BigInt(file.statusFlags & O.NONBLOCK), 0);
    old.writeBigInt64LE(BigInt(queue.attr.maxmsg), 8);
    old.writeBigInt64LE(BigInt(queue.attr.msgsize), 16);
    old.writeBigInt64LE(BigInt(queue.count), 24);
    task.mem.write(oldAddr, old);
  }
  if (wanted) file.setStatusFlags((file.statusFlags & ~O.NONBLOCK) | Number(wanted.flags));
  return 0;
}

export const mqueueSyscalls = { mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr } satisfies Record<string, SyscallHandler>;
