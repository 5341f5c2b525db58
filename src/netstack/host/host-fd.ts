// One host socket the sentry holds for the sandbox (the bridge of --network=sandbox, every
// inet socket of --network=host): its non-blocking calls, failures thrown as SysError with
// the host's errno, and its readiness told to the sandbox socket's waiters.
//
// Readiness comes from a uv_poll on Node's loop, watching only what the waiters ask for.
// uv_poll is level-triggered: a socket with unread data would call back on every turn of
// the loop while a workload leaves the data there. So a watch reports once and stops;
// the next call on the socket (a read, a write, an accept), or a new waiter, starts it
// again. Waiters recheck readiness() (poll(2) with no wait) and retry, so nothing is lost:
// at worst a workload that leaves data unread is told once per call it makes.

import { E, fail } from '../../abi/errno.js';
import { POLL } from '../../abi/linux-poll.js';
import { loadHostnet, UV_POLL, type HostnetAddon } from '../../native/hostnet.js';
import type { WaitQueue } from '../../waiter/index.js';
import { HOST_SOCKADDR_SIZE, endpointOfHost } from './host-address.js';
import type { Ip } from '../inet/ip.js';

const EVERY_EVENT = POLL.IN | POLL.PRI | POLL.OUT | POLL.ERR | POLL.HUP | POLL.RDNORM | POLL.RDBAND | POLL.WRNORM | POLL.WRBAND | POLL.RDHUP;
const READ_EVENTS = POLL.IN | POLL.RDNORM | POLL.RDBAND | POLL.PRI | POLL.ERR | POLL.HUP;
const WRITE_EVENTS = POLL.OUT | POLL.WRNORM | POLL.WRBAND;

/** The host fds open now, for the readiness callback (one per process: the addon has one). */
const open = new Map<number, HostFd>();
let addon: HostnetAddon | undefined;

function hostnet(): HostnetAddon {
  if (addon) return addon;
  addon = loadHostnet();
  addon.onReady((fd, events) => {
    try {
      open.get(fd)?.fired(events);
    } catch {
      // A waiter's failure is its own; the loop goes on.
    }
  });
  return addon;
}

/** A negative result as the SysError of its errno; the value otherwise. */
function check(result: number): number {
  if (result < 0) fail(-result);
  return result;
}

function uvEventsOf(mask: number): number {
  let events = 0;
  if (mask & READ_EVENTS) events |= UV_POLL.READABLE;
  if (mask & WRITE_EVENTS) events |= UV_POLL.WRITABLE;
  if (mask & POLL.RDHUP) events |= UV_POLL.DISCONNECT;
  return events;
}

export interface HostReceived {
  readonly data: Uint8Array;
  /** What recv(2) returned: the datagram's whole size under MSG_TRUNC. */
  readonly size: number;
  readonly flags: number;
  readonly from?: { ip: Ip; port: number };
}

export class HostFd {
  private armed = 0;
  private closed = false;
  /** Told of the events ready when a watch reports, before the waiters are. */
  onEvent: ((events: number) => void) | undefined;

  private constructor(
    readonly fd: number,
    private readonly queue: WaitQueue,
    private readonly onClose: () => void,
  ) {
    open.set(fd, this);
  }

  /**
   * A new host socket in the namespace nsFd (-1: the sentry's own); its waiters are
   * queue's; onClose is told when it closes.
   */
  static open(domain: number, type: number, protocol: number, nsFd: number, queue: WaitQueue, onClose: () => void): HostFd {
    return new HostFd(check(hostnet().socket(domain, type, protocol, nsFd)), queue, onClose);
  }

  /** An fd accept() returned, now a socket of the sandbox. */
  static wrap(fd: number, queue: WaitQueue, onClose: () => void): HostFd {
    return new HostFd(fd, queue, onClose);
  }

  bind(address: Buffer): void {
    check(hostnet().bind(this.fd, address));
  }

  /** 0 once connected; throws EINPROGRESS for a stream that is on its way, or the error. */
  connect(address: Buffer): void {
    const result = hostnet().connect(this.fd, address);
    this.rearm();
    check(result);
  }

  listen(backlog: number): void {
    check(hostnet().listen(this.fd, backlog));
    this.rearm();
  }

  /** A connection's fd and its peer; EAGAIN when none waits. */
  accept(): { fd: number; from: { ip: Ip; port: number } | undefined } {
    const address = Buffer.alloc(HOST_SOCKADDR_SIZE);
    const result = hostnet().accept(this.fd, address);
    this.rearm();
    if (typeof result === 'number') return fail(-result);
    return { fd: result[0], from: endpointOfHost(address, result[1]) };
  }

  send(data: Uint8Array, flags: number, to?: Buffer): number {
    const result = hostnet().send(this.fd, data, flags, to ?? null);
    this.rearm();
    return check(result);
  }

  receive(length: number, flags: number, wantSender: boolean): HostReceived {
    const into = Buffer.allocUnsafe(length);
    const address = wantSender ? Buffer.alloc(HOST_SOCKADDR_SIZE) : null;
    const result = hostnet().recv(this.fd, into, flags, address);
    this.rearm();
    if (typeof result === 'number') return fail(-result);
    const [size, msgFlags, addressLength] = result;
    const from = address ? endpointOfHost(address, addressLength) : undefined;
    return { data: into.subarray(0, Math.min(size, length)), size, flags: msgFlags, ...(from ? { from } : {}) };
  }

  shutdown(how: number): void {
    check(hostnet().shutdown(this.fd, how));
    this.rearm();
  }

  getOption(level: number, name: number, size: number): Buffer {
    const out = Buffer.alloc(size);
    return out.subarray(0, check(hostnet().getSockOpt(this.fd, level, name, out)));
  }

  getInt(level: number, name: number): number {
    return this.getOption(level, name, 4).readInt32LE(0);
  }

  setOption(level: number, name: number, value: Buffer): void {
    check(hostnet().setSockOpt(this.fd, level, name, value));
  }

  setInt(level: number, name: number, value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value, 0);
    this.setOption(level, name, b);
  }

  /** The host's address of this socket. */
  localEndpoint(): { ip: Ip; port: number } | undefined {
    const out = Buffer.alloc(HOST_SOCKADDR_SIZE);
    return endpointOfHost(out, check(hostnet().sockName(this.fd, out)));
  }

  /** The peer's address; ENOTCONN when there is none. */
  peerEndpoint(): { ip: Ip; port: number } | undefined {
    const out = Buffer.alloc(HOST_SOCKADDR_SIZE);
    return endpointOfHost(out, check(hostnet().peerName(this.fd, out)));
  }

  /** Bytes unread (outgoing false) or unsent (true). */
  queued(outgoing: boolean): number {
    return check(hostnet().queued(this.fd, outgoing ? 1 : 0));
  }

  /** The subset of mask ready now; ERR and HUP always. */
  readiness(mask: number): number {
    if (this.closed) return POLL.HUP & mask;
    const ready = hostnet().poll(this.fd, (mask | POLL.ERR | POLL.HUP) & EVERY_EVENT);
    return ready < 0 ? POLL.ERR : ready & (mask | POLL.ERR | POLL.HUP);
  }

  /** Watches for what the waiters ask for now (none: no watch). */
  rearm(): void {
    if (this.closed) return;
    const events = uvEventsOf(this.queue.mask);
    if (events === this.armed) return;
    if (hostnet().watch(this.fd, events) >= 0) this.armed = events;
  }

  /** A watch reported: stop it (until the next call or waiter) and tell the waiters. */
  fired(uvEvents: number): void {
    if (this.closed) return;
    hostnet().watch(this.fd, 0);
    this.armed = 0;
    const ready = uvEvents < 0 ? POLL.ERR : this.readiness(EVERY_EVENT);
    if (ready === 0) return this.rearm();
    this.onEvent?.(ready);
    this.queue.notify(ready);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this.fd);
    hostnet().close(this.fd);
    this.onClose();
  }
}

/** Whether a thrown value is EAGAIN, the answer of a call that would wait. */
export function isEagain(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { errno?: unknown }).errno === E.EAGAIN;
}
