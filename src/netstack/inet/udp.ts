// UDP over the stack's loopback: datagrams to the socket that takes the destination
// address and port (a connected socket only from its peer), dropped when nobody does
// (a connected sender then sees ECONNREFUSED, as the ICMP error tells Linux's) or when
// the receive buffer is full.

import { E, fail } from '../../abi/errno.js';
import { AF, MSG, SHUT, SO, SOCK, SOL } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { InetAddress, SocketAddress } from '../address.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from '../base.js';
import type { IncomingMessage, OutgoingMessage, PendingConnect, ReceiveRequest, SocketCaller } from '../socket.js';
import { addressOf, isAny, isLimitedBroadcast, isV4, sameIp, type Ip } from './ip.js';
import type { PortHolder, PortTable } from './ports.js';
import { InetSocket, type InetTraffic } from './socket.js';

/** The most a datagram carries: 65535 less the IP (for IPv4) and UDP headers. */
const MAX_PAYLOAD_V4 = 65507;
const MAX_PAYLOAD_V6 = 65527;
/** What a queued datagram costs the receive buffer beyond its bytes (its sk_buff). */
const DATAGRAM_OVERHEAD = 256;
const EVERYTHING = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.HUP | POLL.RDHUP | POLL.ERR;

interface Datagram {
  readonly data: Uint8Array;
  readonly fromIp: Ip;
  readonly fromPort: number;
}

export class UdpSocket extends InetSocket {
  private connected = false;
  private readonly datagrams: Datagram[] = [];
  private queuedCharge = 0;

  constructor(ns: InetTraffic, family: number, ownerUid: number) {
    super(ns, family, SOCK.DGRAM, 17, ownerUid);
  }

  protected get ports(): PortTable<PortHolder> {
    return this.ns.udp;
  }

  protected override get mayBindMulticast(): boolean {
    return true;
  }

  connect(address: SocketAddress, _caller: SocketCaller): PendingConnect | undefined {
    if (address.family === AF.UNSPEC) {
      this.connected = false;
      this.remotePort = 0;
      // An implicit bind goes with the association; a bind(2) stays.
      if (!this.boundByUser) this.unbind();
      return undefined;
    }
    const { ip, port } = this.endpoint(address);
    const destination = this.ns.route(ip);
    if (isAny(this.localIp)) {
      const source = this.ns.sourceFor(destination);
      if (this.localPort !== 0) this.localIp = source;
      else this.take(source, 0);
    }
    this.remoteIp = destination;
    this.remotePort = port;
    this.connected = true;
    return undefined;
  }

  peerAddress(): InetAddress {
    if (!this.connected) fail(E.ENOTCONN);
    return this.remoteAddress();
  }

  send(message: OutgoingMessage): number {
    this.takeError();
    if (this.shutdownState & SEND_SHUTDOWN) fail(E.EPIPE);
    const to = message.to && message.to.family !== AF.UNSPEC ? this.endpoint(message.to) : undefined;
    if (!to && !this.connected) fail(E.EDESTADDRREQ);
    const data = message.data;
    if (data.length > (this.family === AF.INET6 && !(to ? isV4(to.ip) : isV4(this.remoteIp)) ? MAX_PAYLOAD_V6 : MAX_PAYLOAD_V4)) fail(E.EMSGSIZE);
    const port = to ? to.port : this.remotePort;
    if (port === 0) fail(E.EINVAL);
    const targetIp = to ? to.ip : this.remoteIp;
    if (isLimitedBroadcast(targetIp) && !this.inertFlag(SO.BROADCAST)) fail(E.EACCES);
    const destination = this.ns.route(targetIp);
    this.autobind();
    const source = isAny(this.localIp) ? this.ns.sourceFor(destination) : this.localIp;
    const receiver = this.ns.udp.find(destination, port, (s) => (s as UdpSocket).admits(source, this.localPort)) as UdpSocket | undefined;
    if (!receiver) {
      // The port-unreachable error reaches a connected sender only.
      if (this.connected && !to) this.setError(E.ECONNREFUSED);
      return data.length;
    }
    receiver.deliver({ data: Uint8Array.prototype.slice.call(data), fromIp: source, fromPort: this.localPort });
    return data.length;
  }

  /** How well this socket matches a datagram from source:port (undefined: it takes none). */
  private admits(source: Ip, port: number): number | undefined {
    if (!this.connected) return 0;
    return sameIp(this.remoteIp, source) && this.remotePort === port ? 1 : undefined;
  }

  private deliver(datagram: Datagram): void {
    const charge = datagram.data.length + DATAGRAM_OVERHEAD;
    // A full receive buffer drops the datagram, as Linux does (a first one always fits).
    if (this.datagrams.length > 0 && this.queuedCharge + charge > this.receiveBufferSize) return;
    this.datagrams.push(datagram);
    this.queuedCharge += charge;
    this.ns.loopbackTraffic.bytes += datagram.data.length;
    this.ns.loopbackTraffic.packets++;
    this.queue.notify(POLL.IN | POLL.RDNORM);
  }

  private inertFlag(name: number): boolean {
    const value = this.getOption(SOL.SOCKET, name);
    return value.kind === 'int' && value.value !== 0;
  }

  receive(request: ReceiveRequest): IncomingMessage {
    if (request.flags & MSG.OOB) fail(E.EOPNOTSUPP);
    // A pending error (a port-unreachable) comes before queued datagrams, as __skb_recv_udp has it.
    this.takeError();
    const datagram = this.datagrams[0];
    if (!datagram) return this.nothingQueued(request);
    const size = datagram.data.length;
    if (!(request.flags & MSG.PEEK)) {
      this.datagrams.shift();
      this.queuedCharge -= size + DATAGRAM_OVERHEAD;
    }
    return {
      data: datagram.data.subarray(0, Math.min(request.length, size)),
      size,
      eof: false,
      flags: size > request.length ? MSG.TRUNC : 0,
      from: addressOf(this.family, datagram.fromIp, datagram.fromPort),
    };
  }

  override shutdown(how: number): void {
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) fail(E.EINVAL);
    this.shutdownState |= how + 1;
    this.queue.notify(EVERYTHING);
    if (!this.connected) fail(E.ENOTCONN);
  }

  procState(): { state: number; txQueue: number; rxQueue: number } {
    return { state: this.connected ? 0x01 : 0x07, txQueue: 0, rxQueue: this.queuedCharge };
  }

  override get inQueue(): number {
    return this.datagrams[0]?.data.length ?? 0;
  }

  readiness(mask: number): number {
    let ready = POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    if (this.error) ready |= POLL.ERR;
    if (this.shutdownState & RCV_SHUTDOWN) ready |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (this.shutdownState === SHUTDOWN_MASK) ready |= POLL.HUP;
    if (this.datagrams.length > 0) ready |= POLL.IN | POLL.RDNORM;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  release(): void {
    this.datagrams.length = 0;
    this.queuedCharge = 0;
    this.unbind();
  }
}
