// Linux AIO (io_setup(2), io_submit(2), io_getevents(2), io_pgetevents, io_cancel(2),
// io_destroy(2)) on the sandbox's files. io_setup maps the completion ring in the
// process, laid out as struct aio_ring (libaio reads it there), and io_getevents takes
// events from it. Completion is synchronous: io_submit does each read, write or sync in
// the sentry, as pread/pwrite/preadv/pwritev/fsync do (a file that would block, a pipe or
// a socket, blocks io_submit, as Linux's does for files without async support), and its
// event is in the ring when io_submit returns. IOCB_CMD_POLL is the one request in flight:
// a one-shot poll of its file that completes (its res the ready events) when the file is
// ready, or with res 0 when io_cancel cancels it.

import { availableParallelism } from 'node:os';
import { E, ERESTARTSYS, SysError, fail, isSysError } from '../../abi/errno.js';
import { MAX_RW_COUNT } from '../../abi/linux-fcntl.js';
import { MAP, PAGE_SIZE, PROT } from '../../abi/linux-mman.js';
import { NR } from '../../abi/linux-syscalls.js';
import { AIO_MAX_NR, AIO_RING, IOCB, IOCB_CMD, IOCB_FLAG_RESFD } from '../../abi/linux-aio.js';
import { AioContext, type PendingPoll } from '../../sentry/kernel/aio.js';
import { POLL } from '../../abi/linux-poll.js';
import type { HostCall, SyscallArgs, SyscallHandler, SyscallResult, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { int64, pointer, uint32 } from './decode.js';
import { EventFd } from './eventfd.js';
import { isRegular, readable, readToMemory, readToSegments, writable, writeFromMemory, writeFromSegments } from './file-io.js';
import { readIovecs } from './iovec.js';
import { readPselectSigmask, waitUnderSigmask } from './sigmask-arg.js';
import { NS_PER_SEC, TIMESPEC_SIZE } from './timespec.js';

/** Past this many ring slots io_setup is EINVAL (0x10000000 bytes of io_events). */
const MAX_SLOTS = 0x10000000 / AIO_RING.eventSize;
/** RWF_HIPRI, RWF_DSYNC, RWF_SYNC: hints the sentry's files satisfy anyway; others are EOPNOTSUPP. */
const RWF_HINTS = 0x1 | 0x2 | 0x4;
const INT64_MAX = (1n << 63n) - 1n;

function io_setup(task: SyscallTask, args: SyscallArgs): SyscallResult | HostCall {
  const requested = uint32(args[0]);
  const ctxp = pointer(args[1]);
  if (task.mem.read(ctxp, 8).readBigUInt64LE() !== 0n || requested === 0) return -E.EINVAL;
  // As Linux sizes the ring: room for twice the request (at least four per CPU), in whole pages.
  const doubled = Math.max(requested, availableParallelism() * 4) * 2;
  if (doubled > MAX_SLOTS) return -E.EINVAL;
  const fits = (): boolean => requested <= AIO_MAX_NR && task.process.aioRequestsInUse() + requested <= AIO_MAX_NR;
  if (!fits()) return -E.EAGAIN;
  const page = Number(PAGE_SIZE);
  const ringBytes = Math.ceil((AIO_RING.headerSize + AIO_RING.eventSize * doubled) / page) * page;
  const slots = (ringBytes - AIO_RING.headerSize) / AIO_RING.eventSize;
  const anonymous = BigInt(MAP.PRIVATE | MAP.ANONYMOUS);
  return {
    kind: 'host',
    nr: NR.mmap,
    args: [0n, BigInt(ringBytes), BigInt(PROT.READ | PROT.WRITE), anonymous, BigInt.asUintN(64, -1n), 0n],
    complete: (ring) => {
      if (ring < 0n) return ring === -BigInt(E.ENOMEM) ? -E.EAGAIN : ring;
      // Another process may have taken the room while the ring was mapped.
      if (!fits()) return -E.EAGAIN;
      const header = Buffer.alloc(AIO_RING.headerSize);
      const o = AIO_RING.offset;
      header.writeUInt32LE(0xffffffff, o.id);
      header.writeUInt32LE(slots, o.nr);
      header.writeUInt32LE(AIO_RING.magic, o.magic);
      header.writeUInt32LE(1, o.compatFeatures);
      header.writeUInt32LE(AIO_RING.headerSize, o.headerLength);
      const ctx = Buffer.alloc(8);
      ctx.writeBigUInt64LE(ring);
      try {
        task.mem.write(ring, header);
        task.mem.write(ctxp, ctx);
      } catch (error) {
        if (isSysError(error)) return -error.errno;
        throw error;
      }
      task.process.aio.add(new AioContext(ring, requested, slots, BigInt(ringBytes)));
      return 0;
    },
  };
}

function io_destroy(task: SyscallTask, args: SyscallArgs): HostCall {
  const aio = task.process.aio;
  const context = aio.get(args[0]);
  aio.remove(context);
  context.endPolls();
  context.completions.notify(1);
  return { kind: 'host', nr: NR.munmap, args: [context.id, context.ringBytes], complete: () => 0 };
}

/** The ring's head as the process left it (it may take events itself); the tail when the ring is gone. */
function ringHead(task: SyscallTask, context: AioContext): number {
  try {
    return task.mem.read(context.id + BigInt(AIO_RING.offset.head), 4).readUInt32LE() % context.slots;
  } catch {
    return context.tail;
  }
}

function available(task: SyscallTask, context: AioContext): number {
  return (context.tail - ringHead(task, context) + context.slots) % context.slots;
}

/** An event at the ring's tail (lost if the process unmapped its ring), its eventfd told. */
function complete(task: SyscallTask, context: AioContext, iocbAddr: bigint, data: bigint, res: bigint, eventfd: FileDescription | undefined): void {
  const event = Buffer.alloc(AIO_RING.eventSize);
  event.writeBigUInt64LE(data, 0);
  event.writeBigUInt64LE(iocbAddr, 8);
  event.writeBigInt64LE(res, 16);
  const tail = Buffer.alloc(4);
  try {
    task.mem.write(context.id + BigInt(AIO_RING.headerSize + context.tail * AIO_RING.eventSize), event);
    context.tail = (context.tail + 1) % context.slots;
    tail.writeUInt32LE(context.tail);
    task.mem.write(context.id + BigInt(AIO_RING.offset.tail), tail);
  } catch (error) {
    if (!isSysError(error)) throw error;
  }
  context.completions.notify(1);
  if (!eventfd) return;
  try {
    eventfd.write(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  } catch (error) {
    // A full counter drops the notification, as eventfd_signal does.
    if (!isSysError(error)) throw error;
  } finally {
    eventfd.unref();
  }
}

/** The operation of an iocb, checked as io_submit checks it (EBADF, EINVAL, EFAULT, EOPNOTSUPP). */
function prepare(task: SyscallTask, iocb: Buffer, file: FileDescription): () => number | Promise<number> {
  const opcode = iocb.readUInt16LE(IOCB.opcode);
  const buf = iocb.readBigUInt64LE(IOCB.buf);
  const nbytes = iocb.readBigUInt64LE(IOCB.nbytes);
  const offset = iocb.readBigInt64LE(IOCB.offset);
  const rwFlags = iocb.readUInt32LE(IOCB.rwFlags);
  if (opcode === IOCB_CMD.FSYNC || opcode === IOCB_CMD.FDSYNC) {
    if (buf !== 0n || offset !== 0n || nbytes !== 0n || rwFlags !== 0) fail(E.EINVAL);
    return () => {
      file.fsync();
      return 0;
    };
  }
  if (opcode !== IOCB_CMD.PREAD && opcode !== IOCB_CMD.PWRITE && opcode !== IOCB_CMD.PREADV && opcode !== IOCB_CMD.PWRITEV) fail(E.EINVAL);
  if (rwFlags & ~RWF_HINTS) fail(E.EOPNOTSUPP);
  const reading = opcode === IOCB_CMD.PREAD || opcode === IOCB_CMD.PREADV;
  if (reading) readable(file);
  else writable(file);
  // A file without a position (a pipe) reads and writes at its own.
  if (isRegular(file) && offset < 0n) fail(E.EINVAL);
  const position = isRegular(file) ? Number(offset) : undefined;
  if (opcode === IOCB_CMD.PREADV || opcode === IOCB_CMD.PWRITEV) {
    const segments = readIovecs(task.mem, buf, Number(nbytes > 1024n ? 1025n : nbytes));
    return reading ? () => readToSegments(task, file, segments, position) : () => writeFromSegments(task, file, segments, position);
  }
  const count = Number(nbytes > BigInt(MAX_RW_COUNT) ? BigInt(MAX_RW_COUNT) : nbytes);
  if (count === 0) return () => 0;
  return reading ? () => readToMemory(task, file, buf, count, position) : () => writeFromMemory(task, file, buf, count, position);
}

/** The errno an operation's failure completes with (a signal that ended a wait: EINTR). */
function failedWith(error: unknown): bigint {
  if (!isSysError(error)) throw error;
  return -BigInt(error.errno === ERESTARTSYS ? E.EINTR : error.errno);
}

/** io_submit_one: checks the iocb at iocbAddr, runs it, and puts its event in the ring. */
function submitOne(task: SyscallTask, context: AioContext, iocbAddr: bigint): void | Promise<void> {
  const iocb = task.mem.read(iocbAddr, IOCB.size);
  if (iocb.readBigUInt64LE(IOCB.reserved2) !== 0n || iocb.readBigUInt64LE(IOCB.nbytes) > INT64_MAX) fail(E.EINVAL);
  // One slot stays empty: a full ring is head == tail + 1. A pending poll holds the slot
  // its event will take (Linux's reqs_available), so polls cannot pile up past the ring.
  if (available(task, context) + context.pendingPolls >= context.slots - 1) fail(E.EAGAIN);
  let eventfd: FileDescription | undefined;
  if (iocb.readUInt32LE(IOCB.flags) & IOCB_FLAG_RESFD) {
    eventfd = task.fds.get(iocb.readInt32LE(IOCB.resfd));
    if (!(eventfd.inode instanceof EventFd)) fail(E.EINVAL);
  }
  // aio_key: KIOCB_KEY (0), what io_cancel checks.
  task.mem.write(iocbAddr + BigInt(IOCB.key), Buffer.alloc(4));
  const file = task.fds.get(iocb.readInt32LE(IOCB.fildes));
  if (iocb.readUInt16LE(IOCB.opcode) === IOCB_CMD.POLL) return startPoll(task, context, iocbAddr, iocb, file, eventfd);
  const operation = prepare(task, iocb, file);
  file.ref();
  eventfd?.ref();
  const data = iocb.readBigUInt64LE(IOCB.data);
  const done = (res: bigint): void => {
    file.unref();
    complete(task, context, iocbAddr, data, res, eventfd);
  };
  let result: number | Promise<number>;
  try {
    result = operation();
  } catch (error) {
    return done(failedWith(error));
  }
  if (result instanceof Promise) return result.then((n) => done(BigInt(n)), (error: unknown) => done(failedWith(error)));
  done(BigInt(result));
}

/**
 * IOCB_CMD_POLL (aio_poll): a one-shot poll of file for the events in aio_buf (POLLERR
 * and POLLHUP always). Ready now, its event is in the ring when io_submit returns; else it
 * waits in the context, holding the file, until the file is ready.
 */
function startPoll(task: SyscallTask, context: AioContext, iocbAddr: bigint, iocb: Buffer, file: FileDescription, eventfd: FileDescription | undefined): void {
  const buf = iocb.readBigUInt64LE(IOCB.buf);
  if (buf > 0xffffn || iocb.readBigInt64LE(IOCB.offset) !== 0n || iocb.readBigUInt64LE(IOCB.nbytes) !== 0n || iocb.readUInt32LE(IOCB.rwFlags) !== 0) fail(E.EINVAL);
  const events = Number(buf) | POLL.ERR | POLL.HUP;
  const data = iocb.readBigUInt64LE(IOCB.data);
  const ready = (): number => file.readiness(events) & events;
  eventfd?.ref();
  const now = ready();
  if (now !== 0) return complete(task, context, iocbAddr, data, BigInt(now), eventfd);
  file.ref();
  let unsubscribe: (() => void) | undefined;
  const poll: PendingPoll = {
    iocbAddr,
    end: (withEvent) => finish(withEvent ? 0n : undefined),
  };
  const finish = (res: bigint | undefined): void => {
    unsubscribe?.();
    unsubscribe = undefined;
    file.unref();
    if (res !== undefined) complete(task, context, iocbAddr, data, res, eventfd);
    else eventfd?.unref();
  };
  context.addPoll(poll);
  // The wake is heard with the companions a waker names beside what was asked for.
  const heard = events | (events & POLL.IN ? POLL.RDNORM : 0) | (events & POLL.OUT ? POLL.WRNORM : 0);
  unsubscribe = file.subscribe(heard, (wake) => {
    const revents = ready();
    if (revents === 0 || unsubscribe === undefined) return;
    context.dropPoll(poll);
    // Linux completes a woken poll with the waker's key: the ready events it names,
    // companions the request never asked for (POLLRDNORM) included.
    const keyed = wake & file.readiness(wake);
    finish(BigInt(keyed & events ? keyed : revents));
  });
}

/** io_submit's loop: the count submitted, or the first iocb's error when none was. */
function submitFrom(task: SyscallTask, context: AioContext, list: bigint, count: number, done: number): number | Promise<number> {
  const stop = (error: unknown): number => {
    if (done === 0 || !isSysError(error)) throw error;
    return done;
  };
  for (; done < count; done++) {
    let submitted: void | Promise<void>;
    try {
      submitted = submitOne(task, context, task.mem.read(list + BigInt(done * 8), 8).readBigUInt64LE());
    } catch (error) {
      return stop(error);
    }
    if (submitted instanceof Promise) {
      const next = done + 1;
      return submitted.then(() => submitFrom(task, context, list, count, next), stop);
    }
  }
  return done;
}

function io_submit(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const nr = int64(args[1]);
  if (nr < 0n) return -E.EINVAL;
  const context = task.process.aio.get(args[0]);
  const count = nr > BigInt(context.slots) ? context.slots : Number(nr);
  return submitFrom(task, context, pointer(args[2]), count, 0);
}

/**
 * io_cancel: a pending poll completes with res 0 in the ring (EINPROGRESS: the result
 * argument is unused, as on Linux); nothing else is ever in flight (EINVAL).
 */
function io_cancel(task: SyscallTask, args: SyscallArgs): number {
  const iocbAddr = pointer(args[1]);
  const key = task.mem.read(iocbAddr + BigInt(IOCB.key), 4).readUInt32LE();
  if (key !== 0) return -E.EINVAL;
  const poll = task.process.aio.get(args[0]).takePoll(iocbAddr);
  if (!poll) return -E.EINVAL;
  poll.end(true);
  return -E.EINPROGRESS;
}

/** Up to nr events from the ring's head into events; the head moves past them. */
function takeEvents(task: SyscallTask, context: AioContext, nr: bigint, events: bigint): number {
  const head = ringHead(task, context);
  const count = Math.min(available(task, context), nr > BigInt(context.slots) ? context.slots : Number(nr));
  if (count === 0) return 0;
  const taken = Buffer.alloc(count * AIO_RING.eventSize);
  for (let i = 0; i < count; i++) {
    const slot = (head + i) % context.slots;
    task.mem.read(context.id + BigInt(AIO_RING.headerSize + slot * AIO_RING.eventSize), AIO_RING.eventSize).copy(taken, i * AIO_RING.eventSize);
  }
  task.mem.write(events, taken);
  const moved = Buffer.alloc(4);
  moved.writeUInt32LE((head + count) % context.slots);
  task.mem.write(context.id + BigInt(AIO_RING.offset.head), moved);
  return count;
}

/**
 * read_events: at least minNr events, or what there is when the timeout passes; a signal
 * that ends the wait with none is EINTR.
 */
async function waitForEvents(task: SyscallTask, context: AioContext, minNr: bigint, timeoutNs: bigint | undefined): Promise<void> {
  const enough = (): boolean => BigInt(available(task, context)) >= minNr || !task.process.aio.has(context);
  if (enough() || timeoutNs === 0n) return;
  const waitable = { readiness: (mask: number) => (enough() ? mask : 0), subscribe: (mask: number, callback: (events: number) => void) => context.completions.subscribe(mask, callback) };
  const deadline = timeoutNs === undefined ? undefined : task.kernel.monotonicNs() + timeoutNs;
  while (!enough()) {
    const left = deadline === undefined ? undefined : deadline - task.kernel.monotonicNs();
    if (left !== undefined && left <= 0n) return;
    try {
      const [ready] = await task.waitAnyReady([{ file: waitable, events: 1 }], left);
      if (ready === 0) return;
    } catch (error) {
      if (error instanceof SysError && error.errno === ERESTARTSYS && available(task, context) === 0) fail(E.EINTR);
      if (error instanceof SysError && error.errno === ERESTARTSYS) return;
      throw error;
    }
  }
}

/** io_getevents' timeout: taken as it is (Linux does not check it), a negative one as none left. */
function readTimeout(task: SyscallTask, addr: bigint): bigint {
  const raw = task.mem.read(addr, TIMESPEC_SIZE);
  const ns = raw.readBigInt64LE(0) * NS_PER_SEC + raw.readBigInt64LE(8);
  return ns < 0n ? 0n : ns;
}

function getEvents(task: SyscallTask, args: SyscallArgs, timeoutAddr: bigint, mask: bigint | undefined): Promise<number | HostCall> {
  const minNr = int64(args[1]);
  const nr = int64(args[2]);
  const events = pointer(args[3]);
  const timeoutNs = timeoutAddr === 0n ? undefined : readTimeout(task, timeoutAddr);
  const context = task.process.aio.get(args[0]);
  if (minNr > nr || minNr < 0n) fail(E.EINVAL);
  return waitUnderSigmask(task, mask, async () => {
    await waitForEvents(task, context, minNr, timeoutNs);
    return takeEvents(task, context, nr, events);
  });
}

function io_getevents(task: SyscallTask, args: SyscallArgs): Promise<number | HostCall> {
  return getEvents(task, args, pointer(args[4]), undefined);
}

/** io_pgetevents: io_getevents with a signal mask in force while it waits ({ sigmask, sigsetsize } at usig). */
function io_pgetevents(task: SyscallTask, args: SyscallArgs): Promise<number | HostCall> {
  return getEvents(task, args, pointer(args[4]), readPselectSigmask(task, pointer(args[5])));
}

export const aioSyscalls = { io_setup, io_destroy, io_submit, io_cancel, io_getevents, io_pgetevents } satisfies Record<string, SyscallHandler>;
