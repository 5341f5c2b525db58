// Pipes (pipe(7)): a bounded byte queue with a read end and a write end. Non-blocking at
// this level: an empty or full pipe throws EAGAIN and the syscall layer waits for the
// readiness this file reports, so the same object serves blocking and O_NONBLOCK fds.
// What a pipe holds is charged to the sandbox's memory while it is buffered.

import { E, fail } from '../../../abi/errno.js';
import type { MemoryCharge } from '../../../accounting/memory-account.js';
import { IOCTL } from '../../../abi/linux-ioctl.js';
import { O } from '../../../abi/linux-fcntl.js';
import { POLL, S, type Credentials, type FileImpl, type FsContext, type Inode, type Stat, type Unsubscribe, type UserMemory } from '../../../vfs/api.js';
import { now } from '../../../vfs/time.js';
import { WaitQueue } from '../../../waiter/index.js';
import { PIPEFS_MAGIC, allocateIno, anonFilesystem } from './anon-fs.js';
import { takeChunks } from './byte-queue.js';

/** Writes of at most this many bytes are atomic: never split, never interleaved. */
export const PIPE_BUF = 4096;
/** Default capacity (16 pages), as Linux gives a new pipe. */
export const PIPE_DEFAULT_CAPACITY = 65536;
/** /proc/sys/fs/pipe-max-size: the most F_SETPIPE_SZ grants an unprivileged task. */
export const PIPE_MAX_CAPACITY = 1 << 20;

const PAGE = 4096;
const READABLE = POLL.IN | POLL.RDNORM;
const WRITABLE = POLL.OUT | POLL.WRNORM;

const pipefs = anonFilesystem('pipefs', PIPEFS_MAGIC);

export class Pipe implements Inode {
  readonly fs = pipefs;
  readonly ino = allocateIno();
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private readers = 0;
  private writers = 0;
  private capacityBytes = PIPE_DEFAULT_CAPACITY;
  /** How many times an end for writing (reading) was opened: fifo ends wait for a change. */
  private writerOpens = 0;
  private readerOpens = 0;
  private readonly queue = new WaitQueue();
  private readonly attrs: Stat;

  constructor(
    owner: Credentials,
    private readonly account: MemoryCharge,
  ) {
    const t = now();
    this.attrs = {
      dev: pipefs.dev,
      ino: this.ino,
      mode: S.IFIFO | 0o600,
      nlink: 1,
      uid: owner.uid,
      gid: owner.gid,
      rdev: 0,
      size: 0,
      blksize: PAGE,
      blocks: 0,
      atime: t,
      mtime: t,
      ctime: t,
    };
  }

  stat(): Stat {
    return { ...this.attrs };
  }

  /** Bytes waiting to be read (FIONREAD). */
  get size(): number {
    return this.buffered;
  }

  get capacity(): number {
    return this.capacityBytes;
  }

  /** F_SETPIPE_SZ: rounds up to a power-of-two number of pages; EBUSY below what is buffered. */
  setCapacity(bytes: number): number {
    if (bytes > PIPE_MAX_CAPACITY) fail(E.EPERM);
    let pages = 1;
    while (pages * PAGE < bytes) pages *= 2;
    const capacity = pages * PAGE;
    if (capacity < this.buffered) fail(E.EBUSY);
    this.capacityBytes = capacity;
    this.queue.notify(WRITABLE);
    return capacity;
  }

  open(flags: number): FileImpl {
    return this.openEnd(flags, false);
  }

  /**
   * One end of the pipe. A fifo's open would block until the other side shows up;
   * opens here never block, so a blocking end that has not met the other side yet
   * waits at its first read or write instead (EAGAIN and readiness), which is where the
   * workload waits next anyway.
   */
  openEnd(flags: number, fifo: boolean): FileImpl {
    const mode = flags & O.ACCMODE;
    const reads = mode === O.RDONLY || mode === O.RDWR;
    const writes = mode === O.WRONLY || mode === O.RDWR;
    if (fifo && mode === O.WRONLY && flags & O.NONBLOCK && this.readers === 0) fail(E.ENXIO);
    if (reads) this.readers++;
    if (writes) this.writers++;
    if (writes) this.writerOpens++;
    if (reads) this.readerOpens++;
    if (fifo) this.queue.notify(READABLE | WRITABLE);
    // What the other side had done when this end opened: a blocking fifo end waits
    // until that changes.
    const writersSeen = this.writerOpens;
    const readersSeen = this.readerOpens;
    const writerThere = this.writers > 0;
    const readerThere = this.readers > 0;
    const metWriter = () => !fifo || writerThere || this.writerOpens !== writersSeen;
    const metReader = () => !fifo || readerThere || this.readerOpens !== readersSeen;
    let released = false;
    return {
      seekable: false,
      read: (buf, _position, status) => this.read(buf, metWriter() || (status & O.NONBLOCK) !== 0),
      write: (buf, _position, status) => this.write(buf, metReader() || (status & O.NONBLOCK) !== 0),
      readiness: (mask) => this.readiness(mask, reads && metWriter(), writes && metReader(), reads, writes),
      subscribe: (mask, callback) => this.subscribe(mask, callback),
      ioctl: (request, arg, memory) => this.ioctl(request, arg, memory),
      release: () => {
        if (released) return;
        released = true;
        if (reads) this.readers--;
        if (writes) this.writers--;
        if (reads && this.readers === 0) this.queue.notify(POLL.ERR | WRITABLE);
        if (writes && this.writers === 0) this.queue.notify(POLL.HUP | READABLE);
        if (this.readers === 0 && this.writers === 0) this.idle();
      },
    };
  }

  /** Called when the last end closes (a fifo's buffer goes then). */
  onIdle: (() => void) | undefined;

  /** No end is open: nobody can read what is buffered, so it goes, as Linux frees it. */
  private idle(): void {
    this.account.uncharge(this.buffered);
    this.chunks.length = 0;
    this.buffered = 0;
    this.onIdle?.();
  }

  /** met: the other side has shown up (always, but for a blocking fifo end still waiting). */
  private read(buf: Uint8Array, met: boolean): number {
    if (buf.length === 0) return 0;
    if (this.buffered === 0) {
      if (this.writers === 0 && met) return 0;
      fail(E.EAGAIN);
    }
    const done = takeChunks(this.chunks, buf);
    this.buffered -= done;
    this.account.uncharge(done);
    this.queue.notify(WRITABLE);
    return done;
  }

  /** tee(2): copies what is buffered without taking it; EAGAIN when empty with writers. */
  peek(buf: Uint8Array): number {
    if (this.buffered === 0) {
      if (this.writers === 0) return 0;
      fail(E.EAGAIN);
    }
    let done = 0;
    for (const chunk of this.chunks) {
      if (done >= buf.length) break;
      const n = Math.min(chunk.length, buf.length - done);
      buf.set(chunk.subarray(0, n), done);
      done += n;
    }
    return done;
  }

  private write(buf: Uint8Array, met: boolean): number {
    if (this.readers === 0) fail(met ? E.EPIPE : E.EAGAIN);
    if (buf.length === 0) return 0;
    const room = this.capacityBytes - this.buffered;
    // A small write goes in whole or not at all; a large one takes what room there is.
    if (room === 0 || (buf.length <= PIPE_BUF && room < buf.length)) fail(E.EAGAIN);
    const n = Math.min(room, buf.length);
    // A buffer page Linux cannot allocate within the memory limit: ENOMEM.
    if (!this.account.tryCharge(n)) fail(E.ENOMEM);
    this.chunks.push(Uint8Array.prototype.slice.call(buf, 0, n));
    this.buffered += n;
    this.queue.notify(READABLE);
    return n;
  }

  /** metWriter/metReader: this end's other side has shown up since it opened. */
  private readiness(mask: number, metWriter: boolean, metReader: boolean, reads: boolean, writes: boolean): number {
    let ready = 0;
    if (reads) {
      if (this.buffered > 0) ready |= READABLE;
      if (this.writers === 0 && metWriter) ready |= POLL.HUP;
    }
    if (writes) {
      if (this.readers === 0) ready |= metReader ? POLL.ERR : 0;
      else if (this.capacityBytes - this.buffered >= PIPE_BUF) ready |= WRITABLE;
    }
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  private subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    return this.queue.subscribe(mask | POLL.ERR | POLL.HUP, callback);
  }

  private ioctl(request: number, arg: bigint, memory: UserMemory): number {
    if (request !== IOCTL.FIONREAD) fail(E.ENOTTY);
    const out = Buffer.alloc(4);
    out.writeInt32LE(this.buffered);
    memory.write(arg, out);
    return 0;
  }
}

const fifoPipes = new WeakMap<Inode, Pipe>();

/**
 * Opens a named fifo's pipe: every open of the same node shares one pipe while any end
 * of it is open (what the VFS registry's setFifo takes, with the sandbox's account bound). A pipe reopened through
 * /proc/PID/fd (bash's `<(...)` hands out /dev/fd/63) is that pipe, and its opens never
 * wait for the other side, as Linux's pipefs does not.
 */
export function openFifo(node: Inode, flags: number, ctx: FsContext, account: MemoryCharge): FileImpl {
  if (node instanceof Pipe) return node.openEnd(flags, false);
  let pipe = fifoPipes.get(node);
  if (!pipe) {
    const created = new Pipe(ctx.creds, account);
    created.onIdle = () => fifoPipes.delete(node);
    fifoPipes.set(node, created);
    pipe = created;
  }
  return pipe.openEnd(flags, true);
}
