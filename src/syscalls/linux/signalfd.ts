// signalfd(2)/signalfd4(2): a file that is readable while a signal of its mask is pending
// for the reader, and whose read takes that signal as a struct signalfd_siginfo, with the
// sender as the sandbox sees it. The host keeps the pending signals: a read becomes a
// host rt_sigtimedwait of the mask (HostSignalCalls.takeSignal).

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { SIGSET_SIZE } from '../../abi/linux-signal.js';
import { AnonInode } from '../../sentry/kernel/files/anon-fs.js';
import type { PendingSignalSource } from '../../sentry/kernel/signal-source.js';
import { type SyscallArgs, type SyscallHandler, type SyscallResult, type SyscallTask, type HostCall } from '../../sentry/kernel/syscall.js';
import type { Credentials, FileDescription, FileImpl } from '../../vfs/api.js';
import { int32, pointer, size, uint32 } from './decode.js';
import { signalfdSiginfo, SIGNALFD_SIGINFO_SIZE } from './signalfd-info.js';
import { fdLimit } from './task-files.js';

/** SIGKILL and SIGSTOP cannot be taken through a signalfd: they leave the mask. */
const UNTAKEABLE = (1n << 8n) | (1n << 18n);

export class SignalFd extends AnonInode {
  constructor(
    owner: Credentials,
    public mask: bigint,
    /** Whose pending signals poll and epoll look at: the creating task's. */
    private readonly source: PendingSignalSource,
  ) {
    super(owner);
  }

  open(): FileImpl {
    return {
      seekable: false,
      // read(2) is answered by readSignalfd; other reads cannot take a signal.
      read: () => fail(E.EINVAL),
      readiness: (mask) => (this.source.pending() & this.mask ? mask & (POLL.IN | POLL.RDNORM) : 0),
      subscribe: (mask, callback) => this.source.subscribe(() => callback(mask & (POLL.IN | POLL.RDNORM))),
    };
  }
}

/**
 * read(2) of a signalfd: one signal of the mask pending for the reader, as a struct
 * signalfd_siginfo; EAGAIN for a non-blocking one with none, else a wait for one (a
 * signal the reader handles ends it as any read's wait).
 */
export function readSignalfd(task: SyscallTask, file: FileDescription, addr: bigint, count: number): SyscallResult | HostCall | Promise<SyscallResult | HostCall> {
  const signalfd = file.inode as SignalFd;
  if (count < SIGNALFD_SIGINFO_SIZE) return -E.EINVAL;
  const calls = task.process.hostSignalCalls;
  if (!calls) return -E.EINVAL;
  const take = (): HostCall =>
    calls.takeSignal(task, signalfd.mask, (file.statusFlags & O.NONBLOCK) === 0, (info) => {
      task.mem.write(addr, signalfdSiginfo(info));
      return SIGNALFD_SIGINFO_SIZE;
    });
  const mine = task.process.pendingSignals();
  if (mine.pending() & signalfd.mask || file.statusFlags & O.NONBLOCK) return take();
  const ready = { readiness: (mask: number) => (mine.pending() & signalfd.mask ? mask : 0), subscribe: (mask: number, callback: (events: number) => void) => mine.subscribe(() => callback(mask)) };
  return task.waitReady(ready, POLL.IN).then(take);
}

export function isSignalfd(file: FileDescription): boolean {
  return file.inode instanceof SignalFd;
}

function readMask(task: SyscallTask, addr: bigint, sizemask: bigint): bigint {
  if (sizemask !== SIGSET_SIZE) fail(E.EINVAL);
  return task.mem.read(addr, 8).readBigUInt64LE() & ~UNTAKEABLE;
}

function signalfd4(task: SyscallTask, args: SyscallArgs): number {
  const fd = int32(args[0]);
  const flags = uint32(args[3]);
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) return -E.EINVAL;
  const mask = readMask(task, pointer(args[1]), size(args[2]));
  if (fd !== -1) {
    const file = task.fds.get(fd);
    if (!(file.inode instanceof SignalFd)) return -E.EINVAL;
    file.inode.mask = mask;
    return fd;
  }
  const inode = new SignalFd(task.fs.creds, mask, task.process.pendingSignals());
  const file = task.kernel.vfs.openAnonymous(inode, 'anon_inode:[signalfd]', O.RDWR | (flags & O.NONBLOCK), task.fs);
  return task.fds.install(file, { cloexec: (flags & O.CLOEXEC) !== 0, limit: fdLimit(task) });
}

function signalfd(task: SyscallTask, args: SyscallArgs): number {
  return signalfd4(task, [args[0], args[1], args[2], 0n, 0n, 0n]);
}

export const signalfdSyscalls = { signalfd, signalfd4 } satisfies Record<string, SyscallHandler>;
