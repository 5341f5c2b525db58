// eventfd(2): a 64-bit counter as a file. Writes add to it, reads take it (or one unit
// of it in semaphore mode); readable while non-zero, writable while it can take one more.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { AnonInode } from '../../sentry/kernel/files/anon-fs.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { Credentials, FileImpl, UserMemory } from '../../vfs/api.js';
import { IOCTL } from '../../abi/linux-ioctl.js';
import { uint32 } from './decode.js';
import { fdLimit } from './task-files.js';
import { writeInt32 } from './user-int.js';

const EFD_SEMAPHORE = 1;
const EFD_CLOEXEC = O.CLOEXEC;
const EFD_NONBLOCK = O.NONBLOCK;
const MAX_COUNT = 0xfffffffffffffffen;

export class EventFd extends AnonInode {
  private count: bigint;

  constructor(initial: number, private readonly semaphore: boolean, owner: Credentials) {
    super(owner);
    this.count = BigInt(initial);
  }

  open(): FileImpl {
    return {
      seekable: false,
      read: (buf) => this.read(buf),
      write: (buf) => this.write(buf),
      readiness: (mask) => this.readiness() & (mask | POLL.ERR | POLL.HUP),
      subscribe: (mask, callback) => this.queue.subscribe(mask, callback),
      ioctl: (request, arg, memory) => this.ioctl(request, arg, memory),
    };
  }

  private read(buf: Uint8Array): number {
    if (buf.length < 8) fail(E.EINVAL);
    if (this.count === 0n) fail(E.EAGAIN);
    const value = this.semaphore ? 1n : this.count;
    this.count -= value;
    Buffer.from(buf.buffer, buf.byteOffset, 8).writeBigUInt64LE(value);
    this.queue.notify(POLL.OUT | POLL.WRNORM);
    return 8;
  }

  private write(buf: Uint8Array): number {
    if (buf.length < 8) fail(E.EINVAL);
    const value = Buffer.from(buf.buffer, buf.byteOffset, 8).readBigUInt64LE();
    if (value === 0xffffffffffffffffn) fail(E.EINVAL);
    if (MAX_COUNT - this.count < value) fail(E.EAGAIN);
    this.count += value;
    if (value > 0n) this.queue.notify(POLL.IN | POLL.RDNORM);
    return 8;
  }

  private readiness(): number {
    let ready = 0;
    if (this.count > 0n) ready |= POLL.IN | POLL.RDNORM;
    if (this.count < MAX_COUNT) ready |= POLL.OUT | POLL.WRNORM;
    return ready;
  }

  private ioctl(request: number, arg: bigint, memory: UserMemory): number {
    if (request !== IOCTL.FIONREAD) fail(E.ENOTTY);
    writeInt32(memory, arg, this.count > 0n ? 8 : 0);
    return 0;
  }
}

function createEventFd(task: SyscallTask, initial: number, flags: number): number {
  if ((flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK)) !== 0) return -E.EINVAL;
  const inode = new EventFd(initial, (flags & EFD_SEMAPHORE) !== 0, task.fs.creds);
  const file = task.kernel.vfs.openAnonymous(inode, 'anon_inode:[eventfd]', O.RDWR | (flags & EFD_NONBLOCK), task.fs);
  return task.fds.install(file, { cloexec: (flags & EFD_CLOEXEC) !== 0, limit: fdLimit(task) });
}

function eventfd(task: SyscallTask, args: SyscallArgs): number {
  return createEventFd(task, uint32(args[0]), 0);
}

function eventfd2(task: SyscallTask, args: SyscallArgs): number {
  return createEventFd(task, uint32(args[0]), uint32(args[1]));
}

export const eventfdSyscalls = { eventfd, eventfd2 } satisfies Record<string, SyscallHandler>;
