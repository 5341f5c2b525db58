// What every socket has whatever its family (Linux's struct sock): the wait queue, the
// pending error, the shutdown state and the SOL_SOCKET options, with Linux's rules for
// each (sock_setsockopt, sk_getsockopt). Families extend it and answer the rest.

import { E, fail } from '../abi/errno.js';
import { MSG, SHUT, SO, SOL } from '../abi/linux-socket.js';
import { POLL } from '../abi/linux-poll.js';
import { WaitQueue, type Unsubscribe } from '../waiter/index.js';
import type { SocketAddress } from './address.js';
import { NET_LIMITS, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from './limits.js';
import type { IncomingMessage, OptionValue, OutgoingMessage, PendingConnect, ReceiveRequest, Socket, SocketCaller, Ucred } from './socket.js';

/** shutdown(2) state bits (Linux's RCV_SHUTDOWN, SEND_SHUTDOWN). */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN;

/** Events always reported, asked for or not. */
const ALWAYS = POLL.ERR | POLL.HUP;

/** Nobody: SO_PEERCRED of a socket without a peer. */
export const NO_CRED: Ucred = { pid: 0, uid: 0xffffffff, gid: 0xffffffff };

const INT_MAX = 0x7fffffff;

export function int(value: number): OptionValue {
  return { kind: 'int', value };
}

/** The integer an option was given (every int-sized option is read as one). */
export function intOf(value: OptionValue): number {
  if (value.kind !== 'int') fail(E.EINVAL);
  return value.value;
}

export function flag(value: OptionValue): boolean {
  return intOf(value) !== 0;
}

export abstract class SocketBase implements Socket {
  readonly queue = new WaitQueue();
  inodeNumber = 0;
  /** SO_ERROR: reported once, by the next call that looks (or getsockopt). */
  protected error = 0;
  /** RCV_SHUTDOWN | SEND_SHUTDOWN. */
  protected shutdownState = 0;
  protected sendBufferSize: number = NET_LIMITS.wmemDefault;
  protected receiveBufferSize: number = NET_LIMITS.rmemDefault;
  private rcvtimeo = 0n;
  private sndtimeo = 0n;
  protected passCred = false;
  protected reuseAddress = false;
  protected reusePort = false;
  protected keepAlive = false;
  protected lingerOn = false;
  protected lingerSeconds = 0;
  protected receiveLowWater = 1;
  /** Options kept and reported with no effect inside one sentry (SO_BROADCAST, SO_PRIORITY, ...). */
  private readonly inert = new Map<number, number>();

  constructor(
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
  ) {}

  abstract readiness(mask: number): number;
  abstract bind(address: SocketAddress, caller: SocketCaller): void;
  abstract connect(address: SocketAddress, caller: SocketCaller, nonBlocking: boolean): PendingConnect | undefined;
  abstract send(message: OutgoingMessage, caller: SocketCaller): number;
  abstract receive(request: ReceiveRequest): IncomingMessage;
  abstract localAddress(): SocketAddress;
  abstract peerAddress(): SocketAddress;
  abstract release(): void;

  subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    return this.queue.subscribe(mask | ALWAYS, callback);
  }

  listen(_backlog: number, _caller: SocketCaller): void {
    fail(E.EOPNOTSUPP);
  }

  finishConnect(): void {
    this.takeError();
  }

  accept(_caller: SocketCaller): Socket {
    return fail(E.EOPNOTSUPP);
  }

  shutdown(how: number): void {
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) fail(E.EINVAL);
    fail(E.ENOTCONN);
  }

  get inQueue(): number {
    return 0;
  }

  get outQueue(): number {
    return 0;
  }

  get receiveTimeoutNs(): bigint {
    return this.rcvtimeo;
  }

  get sendTimeoutNs(): bigint {
    return this.sndtimeo;
  }

  /** Whether listen() made this a listening socket (SO_ACCEPTCONN). */
  protected get listening(): boolean {
    return false;
  }

  /** Throws and clears the pending error, if any. */
  protected takeError(): void {
    const error = this.error;
    if (error === 0) return;
    this.error = 0;
    fail(error);
  }

  /** Records an asynchronous error and wakes whoever waits (POLLERR). */
  protected setError(errno: number): void {
    this.error = errno;
    this.queue.notify(POLL.ERR | POLL.IN | POLL.OUT);
  }

  /**
   * A datagram receive with nothing queued: a socket shut for reading ends a blocking
   * receive at once (datagram_poll says readable), while a non-blocking one still fails.
   */
  protected nothingQueued(request: ReceiveRequest): IncomingMessage {
    if (this.shutdownState & RCV_SHUTDOWN && !(request.flags & MSG.DONTWAIT)) return { data: new Uint8Array(), size: 0, eof: true, flags: 0 };
    return fail(E.EAGAIN);
  }

  /** SO_PEERCRED; families with peers override it. */
  protected peerCred(): Ucred {
    return NO_CRED;
  }

  getOption(level: number, name: number): OptionValue {
    if (level !== SOL.SOCKET) return this.getProtocolOption(level, name);
    switch (name) {
      case SO.TYPE:
        return int(this.type);
      case SO.PROTOCOL:
        return int(this.protocol);
      case SO.DOMAIN:
        return int(this.family);
      case SO.ERROR: {
        const error = this.error;
        this.error = 0;
        return int(error);
      }
      case SO.ACCEPTCONN:
        return int(this.listening ? 1 : 0);
      case SO.SNDBUF:
        return int(this.sendBufferSize);
      case SO.RCVBUF:
        return int(this.receiveBufferSize);
      case SO.REUSEADDR:
        return int(this.reuseAddress ? 1 : 0);
      case SO.REUSEPORT:
        return int(this.reusePort ? 1 : 0);
      case SO.KEEPALIVE:
        return int(this.keepAlive ? 1 : 0);
      case SO.PASSCRED:
        return int(this.passCred ? 1 : 0);
      case SO.LINGER:
        return { kind: 'linger', on: this.lingerOn, seconds: this.lingerSeconds };
      case SO.RCVLOWAT:
        return int(this.receiveLowWater);
      case SO.SNDLOWAT:
        return int(1);
      case SO.RCVTIMEO_OLD:
      case SO.RCVTIMEO_NEW:
        return { kind: 'timeout', ns: this.rcvtimeo };
      case SO.SNDTIMEO_OLD:
      case SO.SNDTIMEO_NEW:
        return { kind: 'timeout', ns: this.sndtimeo };
      case SO.PEERCRED:
        return { kind: 'ucred', cred: this.peerCred() };
      default:
        if (INERT_OPTIONS.has(name)) return int(this.inert.get(name) ?? 0);
        return fail(E.ENOPROTOOPT);
    }
  }

  setOption(level: number, name: number, value: OptionValue): void {
    if (level !== SOL.SOCKET) return this.setProtocolOption(level, name, value);
    switch (name) {
      case SO.SNDBUF:
        this.sendBufferSize = Math.max(clampUnsigned(intOf(value), NET_LIMITS.wmemMax) * 2, SOCK_MIN_SNDBUF);
        this.bufferSizesChanged();
        return;
      case SO.RCVBUF:
        this.receiveBufferSize = Math.max(clampUnsigned(intOf(value), NET_LIMITS.rmemMax) * 2, SOCK_MIN_RCVBUF);
        this.bufferSizesChanged();
        return;
      case SO.REUSEADDR:
        this.reuseAddress = flag(value);
        return;
      case SO.REUSEPORT:
        this.reusePort = flag(value);
        return;
      case SO.KEEPALIVE:
        this.keepAlive = flag(value);
        return;
      case SO.PASSCRED:
        this.passCred = flag(value);
        return;
      case SO.LINGER:
        if (value.kind !== 'linger') fail(E.EINVAL);
        this.lingerOn = value.on;
        this.lingerSeconds = value.seconds;
        return;
      case SO.RCVLOWAT: {
        const v = intOf(value);
        this.receiveLowWater = v < 0 ? INT_MAX : v === 0 ? 1 : v;
        this.queue.notify(POLL.IN | POLL.RDNORM);
        return;
      }
      case SO.RCVTIMEO_OLD:
      case SO.RCVTIMEO_NEW:
        this.rcvtimeo = timeoutOf(value);
        return;
      case SO.SNDTIMEO_OLD:
      case SO.SNDTIMEO_NEW:
        this.sndtimeo = timeoutOf(value);
        return;
      case SO.PRIORITY: {
        const v = intOf(value);
        // Above 6 needs CAP_NET_ADMIN, which the sandbox's own stack never grants.
        if (v < 0 || v > 6) fail(E.EPERM);
        this.inert.set(name, v);
        return;
      }
      default:
        if (INERT_OPTIONS.has(name) && name !== SO.PRIORITY) {
          this.inert.set(name, intOf(value) !== 0 ? 1 : 0);
          return;
        }
        fail(E.ENOPROTOOPT);
    }
  }

  /** Options of other levels (SOL_TCP, SOL_IP, ...): none unless the family has them. */
  protected getProtocolOption(_level: number, _name: number): OptionValue {
    return fail(E.ENOPROTOOPT);
  }

  protected setProtocolOption(_level: number, _name: number, _value: OptionValue): void {
    fail(E.ENOPROTOOPT);
  }

  /** SO_SNDBUF or SO_RCVBUF changed: room to write may have appeared. */
  protected bufferSizesChanged(): void {
    this.queue.notify(POLL.OUT | POLL.WRNORM);
  }
}

/** SOL_SOCKET options that only keep their value here: booleans but for SO_PRIORITY. */
const INERT_OPTIONS = new Set<number>([SO.DEBUG, SO.DONTROUTE, SO.BROADCAST, SO.OOBINLINE, SO.NO_CHECK, SO.PRIORITY, SO.TIMESTAMP_OLD, SO.TIMESTAMPNS_OLD, SO.RXQ_OVFL, SO.NOFCS, SO.BUSY_POLL, SO.INCOMING_CPU]);

/** setsockopt's int read as Linux's min_t(u32, val, max): a negative value is huge. */
function clampUnsigned(value: number, max: number): number {
  const unsigned = value >>> 0;
  return unsigned > max ? max : unsigned;
}

function timeoutOf(value: OptionValue): bigint {
  if (value.kind !== 'timeout') fail(E.EINVAL);
  return value.ns;
}
