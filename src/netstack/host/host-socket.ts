// AF_INET and AF_INET6 under --network=host (runsc's hostinet): each sandbox socket is a
// host socket the sentry opened for it (in its own network namespace, or the spec's), so
// its port space, routes and peers are the host's and every call is the host kernel's
// answer. The workload still never holds the host fd: the sentry makes each call on it,
// non-blocking, and blocking stays the sentry's (SO_RCVTIMEO, SO_SNDTIMEO, signals). The
// sandbox's own rules come first where the sentry's privileges would otherwise lend the
// workload more than it has: a port below 1024 needs the sandbox's CAP_NET_BIND_SERVICE,
// and only the options of host-options.ts reach the host.

import { E, SysError, fail } from '../../abi/errno.js';
import { AF, MSG, SO, SOCK, SOL, TCP_OPT } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { Unsubscribe } from '../../waiter/index.js';
import type { InetAddress, SocketAddress } from '../address.js';
import { SocketBase, int } from '../base.js';
import { addressOf, endpointOf, V4_ANY, V6_ANY } from '../inet/ip.js';
import { inetProtocolOf } from '../inet/family.js';
import { CAP_NET_BIND_SERVICE, hasCapability, type IncomingMessage, type OptionValue, type OutgoingMessage, type PendingConnect, type ReceiveRequest, type Socket, type SocketCaller, type SocketFamily } from '../socket.js';
import { hostSockaddr } from './host-address.js';
import type { HostFd } from './host-fd.js';
import type { HostNetwork } from './host-network.js';
import { LINGER_RESET, hostOptionBytes, passesToHost } from './host-options.js';

/** net.ipv4.ip_unprivileged_port_start, as the sandbox's own stack has it. */
const UNPRIVILEGED_PORT_START = 1024;
const HOST_SEND_FLAGS = MSG.OOB | MSG.DONTROUTE | MSG.EOR | MSG.MORE | MSG.CONFIRM;
const HOST_RECEIVE_FLAGS = MSG.PEEK | MSG.TRUNC | MSG.OOB;
/** Options only read, answered by the host socket. */
const READ_ONLY = new Set<number>([SO.TYPE, SO.PROTOCOL, SO.DOMAIN, SO.ACCEPTCONN]);
const TCP_BYTES = new Map<number, number>([
  [TCP_OPT.INFO, 232],
  [TCP_OPT.CONGESTION, 16],
]);

export class HostInetSocket extends SocketBase {
  private readonly fd: HostFd;

  constructor(
    private readonly network: HostNetwork,
    family: number,
    type: number,
    protocol: number,
    /** An accepted connection's fd; a new socket opens its own. */
    accepted?: number,
  ) {
    super(family, type, protocol);
    this.fd = accepted === undefined ? network.open(family, type, protocol, this.queue) : network.adopt(accepted, this.queue);
  }

  private sockaddr(address: SocketAddress): Buffer {
    if (address.family !== AF.INET && address.family !== AF.INET6) fail(E.EAFNOSUPPORT);
    if (this.family === AF.INET && address.family !== AF.INET) fail(E.EAFNOSUPPORT);
    const { ip, port } = endpointOf(address);
    return hostSockaddr(this.family, ip, port);
  }

  bind(address: SocketAddress, caller: SocketCaller): void {
    const raw = this.sockaddr(address);
    const port = raw.readUInt16BE(2);
    if (port !== 0 && port < UNPRIVILEGED_PORT_START && !hasCapability(caller, CAP_NET_BIND_SERVICE)) fail(E.EACCES);
    this.fd.bind(raw);
  }

  override listen(backlog: number): void {
    this.fd.listen(backlog);
  }

  connect(address: SocketAddress, _caller: SocketCaller, nonBlocking: boolean): PendingConnect | undefined {
    try {
      this.fd.connect(address.family === AF.UNSPEC ? Buffer.alloc(16) : this.sockaddr(address));
      return undefined;
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== E.EINPROGRESS || nonBlocking) throw e;
      return { kind: 'finish', wait: this, events: POLL.OUT };
    }
  }

  override finishConnect(): void {
    const error = this.fd.getInt(SOL.SOCKET, SO.ERROR);
    if (error !== 0) fail(error);
  }

  override accept(): Socket {
    const { fd } = this.fd.accept();
    return new HostInetSocket(this.network, this.family, this.type, this.protocol, fd);
  }

  send(message: OutgoingMessage): number {
    const to = message.to && message.to.family !== AF.UNSPEC ? this.sockaddr(message.to) : undefined;
    return this.fd.send(message.data, message.flags & HOST_SEND_FLAGS, to);
  }

  receive(request: ReceiveRequest): IncomingMessage {
    if (request.length === 0 && this.type === SOCK.STREAM) return { data: new Uint8Array(), size: 0, eof: false, flags: 0 };
    const got = this.fd.receive(request.length, request.flags & HOST_RECEIVE_FLAGS, this.type !== SOCK.STREAM);
    const from = got.from ? addressOf(this.family, got.from.ip, got.from.port) : undefined;
    const eof = this.type === SOCK.STREAM && got.size === 0;
    const data = this.type === SOCK.STREAM && request.flags & MSG.TRUNC ? new Uint8Array() : got.data;
    return { data, size: got.size, eof, flags: got.flags & (MSG.TRUNC | MSG.EOR), ...(from ? { from } : {}) };
  }

  override shutdown(how: number): void {
    this.fd.shutdown(how);
  }

  localAddress(): InetAddress {
    const here = this.fd.localEndpoint();
    return here ? addressOf(this.family, here.ip, here.port) : addressOf(this.family, this.family === AF.INET ? V4_ANY : V6_ANY, 0);
  }

  peerAddress(): InetAddress {
    const there = this.fd.peerEndpoint();
    return there ? addressOf(this.family, there.ip, there.port) : fail(E.ENOTCONN);
  }

  readiness(mask: number): number {
    return this.fd.readiness(mask);
  }

  override subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    const unsubscribe = super.subscribe(mask, callback);
    this.fd.rearm();
    return unsubscribe;
  }

  override get inQueue(): number {
    return this.fd.queued(false);
  }

  override get outQueue(): number {
    return this.fd.queued(true);
  }

  override getOption(level: number, name: number): OptionValue {
    if (level === SOL.SOCKET && (READ_ONLY.has(name) || name === SO.ERROR || passesToHost(level, name))) return int(this.fd.getInt(level, name));
    const size = level === SOL.TCP ? TCP_BYTES.get(name) : undefined;
    if (size !== undefined) return { kind: 'bytes', bytes: this.fd.getOption(level, name, size) };
    if (level !== SOL.SOCKET && passesToHost(level, name)) return int(this.fd.getInt(level, name));
    return super.getOption(level, name);
  }

  override setOption(level: number, name: number, value: OptionValue): void {
    const bytes = passesToHost(level, name) ? hostOptionBytes(value) : undefined;
    if (bytes) return this.fd.setOption(level, name, bytes);
    super.setOption(level, name, value);
  }

  release(): void {
    if (this.lingerOn && this.lingerSeconds === 0) {
      try {
        this.fd.setOption(SOL.SOCKET, SO.LINGER, LINGER_RESET);
      } catch {
        // Closing still ends it.
      }
    }
    this.fd.close();
  }
}

/** AF_INET or AF_INET6 of --network=host: TCP and UDP on host sockets. */
export class HostInetFamily implements SocketFamily {
  constructor(
    private readonly domain: number,
    private readonly network: HostNetwork,
  ) {}

  create(type: number, protocol: number, caller: SocketCaller): Socket {
    const kind = inetProtocolOf(type, protocol, caller);
    return new HostInetSocket(this.network, this.domain, type, kind === 'tcp' ? 6 : 17);
  }

  pair(): [Socket, Socket] {
    return fail(E.EOPNOTSUPP);
  }
}
