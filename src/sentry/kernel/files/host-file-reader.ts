// Reading a host fd (tssc's own stdin) without ever blocking the sentry's event loop.
// A pipe is read directly, exactly as much as the workload asks, from a private
// non-blocking description of it; when it is empty, libuv watches it and reads the next
// chunk as it arrives (ttys and sockets always go that way). The sentry reads only while
// the workload wants data, so a workload that never reads stdin leaves it unread.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tty from 'node:tty';
import { E, fail } from '../../../abi/errno.js';
import { POLL } from '../../../abi/linux-poll.js';
import type { Unsubscribe } from '../../../vfs/api.js';
import { WaitQueue } from '../../../waiter/index.js';
import { takeChunks } from './byte-queue.js';

/** net.Socket's own option for a stream that must not read until asked. */
interface ManualStartOptions extends net.SocketConstructorOpts {
  manualStart: boolean;
}

/**
 * A fresh description of the pipe behind hostFd, when the host allows it (sockets cannot
 * be reopened): libuv makes what it reads non-blocking and closes it at end of input,
 * and neither may happen to tssc's own stdin, which the caller's shell shares and whose
 * fd number must not be reused while the workload's stdin still names it.
 */
function privateDescription(hostFd: number): number {
  try {
    return fs.openSync(`/proc/self/fd/${hostFd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return hostFd;
  }
}

export class HostStreamReader {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private failed = false;
  private stream: net.Socket | undefined;
  /** The fd the stream reads (libuv closes it with the stream, except a tty's). */
  private streamFd: number | undefined;
  private readonly queue = new WaitQueue();
  /**
   * The private non-blocking description read directly while it is open; made at the
   * first read, so a stdout pipe never gets a reader of tssc's making (its writers must
   * still see EPIPE when the real reader goes).
   */
  private directFd: number | undefined;
  private directOpened = false;
  /** Sees every chunk from a tty before the workload does (signal characters); may take bytes out. */
  inputFilter: ((chunk: Buffer) => Buffer) | undefined;

  constructor(
    private readonly hostFd: number,
    private readonly kind: 'tty' | 'stream',
  ) {}

  private direct(): number | undefined {
    if (!this.directOpened && this.kind === 'stream') {
      this.directOpened = true;
      const fd = privateDescription(this.hostFd);
      if (fd !== this.hostFd) this.directFd = fd;
    }
    return this.directFd;
  }

  /** The terminal stream, for raw-mode changes; undefined for pipes and sockets. */
  get ttyStream(): tty.ReadStream | undefined {
    if (this.kind !== 'tty') return undefined;
    return this.open() as tty.ReadStream | undefined;
  }

  read(buf: Uint8Array): number {
    if (this.chunks.length === 0) {
      if (this.failed) fail(E.EIO);
      if (this.ended) return 0;
      const direct = this.readDirect(buf);
      if (direct !== undefined) return direct;
      if (this.failed) fail(E.EIO);
      this.want();
      fail(this.failed ? E.EIO : E.EAGAIN);
    }
    let done = takeChunks(this.chunks, buf);
    // The buffer may hold only the byte readiness took: the pipe may have the rest.
    if (done < buf.length && this.chunks.length === 0 && !this.ended) done += this.readDirect(buf.subarray(done)) ?? 0;
    return done;
  }

  /** A read of the private description; undefined when it has nothing yet (EAGAIN) or failed. */
  private readDirect(buf: Uint8Array): number | undefined {
    const fd = this.direct();
    if (fd === undefined) return undefined;
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) this.ended = true;
      return n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') this.failed = true;
      return undefined;
    }
  }

  /**
   * Whether the pipe has data, found by taking one byte of it into the buffer (a pipe
   * cannot be peeked at): a workload that polls before each read (busybox's `read`)
   * then gets that very byte, and nothing more leaves the pipe.
   */
  private peek(): void {
    const one = Buffer.alloc(1);
    const n = this.readDirect(one);
    if (n) this.chunks.push(one);
  }

  /** Bytes already taken from the host and not yet read by the workload (FIONREAD). */
  get buffered(): number {
    return this.chunks.reduce((sum, c) => sum + c.length, 0);
  }

  readiness(): number {
    if (this.chunks.length === 0 && !this.ended && !this.failed) this.peek();
    if (this.chunks.length > 0) return POLL.IN | POLL.RDNORM;
    if (this.failed) return POLL.IN | POLL.ERR;
    if (this.ended) return POLL.IN | POLL.RDNORM | POLL.HUP;
    return 0;
  }

  subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    if (mask & (POLL.IN | POLL.RDNORM)) this.want();
    return this.queue.subscribe(mask | POLL.ERR | POLL.HUP, callback);
  }

  /** The last description using it went away: stop reading (tssc's fd itself stays open). */
  stop(): void {
    this.stream?.pause();
  }

  /**
   * The host fd's owner is closing it: the stream and the private description go first.
   * True when that closed hostFd itself (a socket read directly); a tty's stream reads a
   * description of libuv's own, and hostFd stays for the owner to close.
   */
  close(): boolean {
    const stream = this.stream;
    if (stream) stream.destroy();
    else if (this.directFd !== undefined) fs.closeSync(this.directFd);
    this.directFd = undefined;
    return this.kind === 'stream' && this.streamFd === this.hostFd;
  }

  private want(): void {
    if (this.chunks.length > 0 || this.ended) return;
    this.open()?.resume();
  }

  /** The libuv stream, made at the first wait; undefined (and failed) when libuv refuses the fd. */
  private open(): net.Socket | undefined {
    if (this.stream || this.failed) return this.stream;
    let stream: net.Socket;
    const fd = this.kind === 'tty' ? this.hostFd : (this.direct() ?? this.hostFd);
    try {
      stream =
        this.kind === 'tty'
          ? new tty.ReadStream(fd)
          : new net.Socket({ fd, readable: true, writable: false, manualStart: true } as ManualStartOptions);
    } catch {
      this.failed = true;
      this.queue.notify(POLL.IN | POLL.ERR);
      return undefined;
    }
    this.streamFd = fd;
    stream.on('data', (data: Buffer) => {
      const chunk = this.inputFilter ? this.inputFilter(data) : data;
      if (chunk.length === 0) return;
      this.chunks.push(chunk);
      stream.pause();
      this.queue.notify(POLL.IN | POLL.RDNORM);
    });
    // libuv closes the description at the end: its number may be reused by then.
    stream.on('close', () => {
      this.directFd = undefined;
    });
    stream.on('end', () => {
      this.ended = true;
      this.queue.notify(POLL.IN | POLL.RDNORM | POLL.HUP);
    });
    stream.on('error', () => {
      this.failed = true;
      this.queue.notify(POLL.IN | POLL.ERR);
    });
    // The sandbox's tasks keep tssc alive, not a stdin nobody may ever close.
    stream.unref();
    stream.pause();
    this.stream = stream;
    return stream;
  }
}
