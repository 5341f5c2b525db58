// A sandbox TCP connection whose far end is outside (a connect out of a --network=sandbox
// stack, or a client of a published port): the host socket carrying it does the TCP, so
// what the workload sees of the connection is the host kernel's own answer: the handshake
// and its errors (ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ETIMEDOUT), SO_ERROR, readiness,
// half-close, resets, the queues and TCP_INFO. The sentry holds none of the bytes: each
// send and receive is one non-blocking call on the host socket, so what a workload can make
// it keep is bounded by the host socket's buffers. The sandbox socket (inet/tcp.ts) keeps
// its own addresses, port and options and hands the data phase here.

import { E, SysError, fail } from '../../abi/errno.js';
import { MSG, SO, SOL, TCP_OPT } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { IncomingMessage, OutgoingMessage, ReceiveRequest } from '../socket.js';
import type { Ip } from '../inet/ip.js';
import type { Bridge } from './bridge.js';
import { domainOf, hostSockaddr } from './host-address.js';
import type { HostFd } from './host-fd.js';
import { LINGER_RESET } from './host-options.js';

/** The receive flags the host socket acts on itself (MSG_DONTWAIT is always added). */
const HOST_RECEIVE_FLAGS = MSG.PEEK | MSG.OOB | MSG.TRUNC;
const HOST_SEND_FLAGS = MSG.OOB | MSG.MORE | MSG.EOR;
const TCP_INFO_SIZE = 232;

export class OutsideStream {
  constructor(
    readonly fd: HostFd,
    private readonly bridge: Bridge,
  ) {}

  /** Starts the handshake: true when connected at once, false when on its way; throws the error. */
  start(destination: Ip, port: number): boolean {
    try {
      this.fd.connect(hostSockaddr(domainOf(destination), destination, port));
      return true;
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EINPROGRESS) return false;
      throw e;
    }
  }

  /** How a handshake on its way ended: undefined while it goes on, 0 connected, else its errno. */
  outcome(): number | undefined {
    if (!(this.fd.readiness(POLL.OUT) & (POLL.OUT | POLL.ERR | POLL.HUP))) return undefined;
    return this.fd.getInt(SOL.SOCKET, SO.ERROR);
  }

  send(message: OutgoingMessage): number {
    if (message.data.length === 0) return 0;
    const n = this.fd.send(message.data, message.flags & HOST_SEND_FLAGS);
    this.bridge.count(n, true);
    return n;
  }

  receive(request: ReceiveRequest): IncomingMessage {
    if (request.length === 0) return { data: new Uint8Array(), size: 0, eof: false, flags: 0 };
    const got = this.fd.receive(request.length, request.flags & HOST_RECEIVE_FLAGS, false);
    if (got.size === 0) return { data: got.data, size: 0, eof: true, flags: 0 };
    if (!(request.flags & MSG.PEEK)) this.bridge.count(got.size, false);
    // MSG_TRUNC on a stream drops the bytes it would have copied.
    if (request.flags & MSG.TRUNC) return { data: new Uint8Array(), size: got.size, eof: false, flags: 0 };
    return { data: got.data, size: got.size, eof: false, flags: 0 };
  }

  shutdown(how: number): void {
    this.fd.shutdown(how);
  }

  readiness(mask: number): number {
    return this.fd.readiness(mask);
  }

  /** SO_ERROR of the host socket (reading it clears it, as it does the sandbox's). */
  takeError(): number {
    return this.fd.getInt(SOL.SOCKET, SO.ERROR);
  }

  get inQueue(): number {
    return this.fd.queued(false);
  }

  get outQueue(): number {
    return this.fd.queued(true);
  }

  /** The host's struct tcp_info for the connection (its real state, RTT and counters). */
  info(): Uint8Array {
    return this.fd.getOption(SOL.TCP, TCP_OPT.INFO, TCP_INFO_SIZE);
  }

  /** Linux's TCP state number, as /proc/net/tcp shows it. */
  get linuxState(): number {
    return this.info()[0] ?? 7;
  }

  getInt(level: number, name: number): number {
    return this.fd.getInt(level, name);
  }

  /** The last close: with a reset when SO_LINGER 0 asked for one (unread data resets anyway). */
  close(reset: boolean): void {
    if (reset) {
      try {
        this.fd.setOption(SOL.SOCKET, SO.LINGER, LINGER_RESET);
      } catch {
        // Closing still ends it.
      }
    }
    this.fd.close();
  }
}

/** A connection is no longer carried once its host socket failed: its errno, for the sandbox socket. */
export function errnoOf(e: unknown): number {
  return e instanceof SysError ? e.errno : fail(E.EIO);
}
