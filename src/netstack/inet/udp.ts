// UDP over the stack's loopback: datagrams to the socket that takes the destination
// address and port (a connected socket only from its peer), dropped when nobody does
// (a connected sender then sees ECONNREFUSED, as the ICMP error tells Linux's) or when
// the receive buffer is full. Under --network=sandbox, datagrams to an address outside
// go out on host datagram sockets the socket holds (one per address family, opened at its
// first datagram out), and what comes back to them is received as the host gives it; a
// published UDP port's clients are delivered here and answered through it (host/publish.ts).

import { E, fail } from '../../abi/errno.js';
import { AF, MSG, SHUT, SO, SOCK, SOL } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { InetAddress, SocketAddress } from '../address.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from '../base.js';
import { ByteQueue } from '../byte-queue.js';
import type { IncomingMessage, OptionValue, OutgoingMessage, PendingConnect, ReceiveRequest, SocketCaller } from '../socket.js';
import type { Bridge } from '../host/bridge.js';
import { domainOf, hostSockaddr } from '../host/host-address.js';
import { isEagain, type HostFd } from '../host/host-fd.js';
import type { Unsubscribe } from '../../waiter/index.js';
import { addressOf, isAny, isLimitedBroadcast, isV4, sameIp, type Ip } from './ip.js';
import type { PortHolder, PortTable } from './ports.js';
import { InetSocket, type InetTraffic } from './socket.js';

/** The most a datagram carries: 65535 less the IP (for IPv4) and UDP headers. */
const MAX_PAYLOAD_V4 = 65507;
const MAX_PAYLOAD_V6 = 65527;
/** What a queued datagram costs the receive buffer beyond its bytes (its sk_buff). */
const DATAGRAM_OVERHEAD = 256;
const EVERYTHING = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.HUP | POLL.RDHUP | POLL.ERR;
const WRITABLE = POLL.OUT | POLL.WRNORM | POLL.WRBAND;
/** The receive flags a host datagram socket acts on itself. */
const HOST_RECEIVE_FLAGS = MSG.PEEK | MSG.TRUNC;
/** AF_UNSPEC: what dissolves a host datagram socket's association. */
const UNSPEC_SOCKADDR = Buffer.alloc(16);

/** A queued datagram; its bytes are in the socket's byte queue, in order. */
interface Datagram {
  readonly length: number;
  readonly fromIp: Ip;
  readonly fromPort: number;
}

export class UdpSocket extends InetSocket {
  private connected = false;
  private readonly datagrams: Datagram[] = [];
  private readonly datagramBytes = new ByteQueue(this.ns.memory);
  private queuedCharge = 0;
  /** Host datagram sockets carrying traffic outside, by host address family. */
  private readonly outside = new Map<number, HostFd>();

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
      for (const fd of this.outside.values()) fd.connect(UNSPEC_SOCKADDR);
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
    const bridge = this.ns.bridge;
    // Connected on the host too, so the host's errors for the peer (ECONNREFUSED) come back;
    // a published port's client is answered through the published socket instead.
    if (bridge && this.goesOutside(bridge, destination, port) && !bridge.replyRoute(this.localPort, destination, port)) {
      this.carrier(bridge, domainOf(destination)).connect(hostSockaddr(domainOf(destination), destination, port));
    }
    this.remoteIp = destination;
    this.remotePort = port;
    this.connected = true;
    return undefined;
  }

  /** Whether datagrams to destination:port leave through the bridge (a forwarded nameserver only while no socket here takes them). */
  private goesOutside(bridge: Bridge, destination: Ip, port: number): boolean {
    if (!this.ns.isLocal(destination)) return true;
    return bridge.forwardsResolver(destination, port) && !this.ns.udp.find(destination, port, () => 0);
  }

  /** The host datagram socket of domain, opened on first use. */
  private carrier(bridge: Bridge, domain: number): HostFd {
    let fd = this.outside.get(domain);
    if (!fd) {
      fd = bridge.openDatagram(domain, this.queue);
      this.equip(fd);
      this.outside.set(domain, fd);
    }
    return fd;
  }

  protected override carriers(): HostFd[] {
    return [...this.outside.values()];
  }

  override subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    const unsubscribe = super.subscribe(mask, callback);
    for (const fd of this.outside.values()) fd.rearm();
    return unsubscribe;
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
    const bridge = this.ns.bridge;
    if (bridge && this.goesOutside(bridge, destination, port)) return this.sendOutside(bridge, data, destination, port);
    const source = isAny(this.localIp) ? this.ns.sourceFor(destination) : this.localIp;
    const receiver = this.ns.udp.find(destination, port, (s) => (s as UdpSocket).admits(source, this.localPort)) as UdpSocket | undefined;
    if (!receiver) {
      // The port-unreachable error reaches a connected sender only.
      if (this.connected && !to) this.setError(E.ECONNREFUSED);
      return data.length;
    }
    receiver.deliver(data, source, this.localPort);
    return data.length;
  }

  /** A datagram out through the bridge: an answer to a published port's client goes back the way it came. */
  private sendOutside(bridge: Bridge, data: Uint8Array, destination: Ip, port: number): number {
    const reply = bridge.replyRoute(this.localPort, destination, port);
    const n = reply ? reply(data) : this.carrier(bridge, domainOf(destination)).send(data, 0, hostSockaddr(domainOf(destination), destination, port));
    bridge.count(n, true);
    return n;
  }

  /** A published port's client sent this (the bridge names it as the sandbox sees it). */
  deliverFromOutside(data: Uint8Array, fromIp: Ip, fromPort: number): void {
    this.deliver(data, fromIp, fromPort, false);
  }

  /** How well this socket matches a datagram from source:port (undefined: it takes none). */
  admits(source: Ip, port: number): number | undefined {
    if (!this.connected) return 0;
    return sameIp(this.remoteIp, source) && this.remotePort === port ? 1 : undefined;
  }

  /** Queues a copy of data from fromIp:fromPort. */
  private deliver(data: Uint8Array, fromIp: Ip, fromPort: number, loopback = true): void {
    const charge = data.length + DATAGRAM_OVERHEAD;
    // A full receive buffer drops the datagram, as Linux does (a first one always fits).
    if (this.datagrams.length > 0 && this.queuedCharge + charge > this.receiveBufferSize) return;
    // So does the sandbox's memory limit (__udp_enqueue_schedule_skb's ENOMEM drop).
    if (!this.datagramBytes.push(data)) return;
    this.datagrams.push({ length: data.length, fromIp, fromPort });
    this.queuedCharge += charge;
    if (loopback) {
      this.ns.loopbackTraffic.bytes += data.length;
      this.ns.loopbackTraffic.packets++;
    }
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
    if (!datagram) return this.receiveOutside(request) ?? this.nothingQueued(request);
    const size = datagram.length;
    const take = !(request.flags & MSG.PEEK);
    // The whole datagram leaves the queue, whatever part of it the caller takes.
    const data = this.datagramBytes.read(size, take);
    if (take) {
      this.datagrams.shift();
      this.queuedCharge -= size + DATAGRAM_OVERHEAD;
    }
    return {
      data: data.subarray(0, Math.min(request.length, size)),
      size,
      eof: false,
      flags: size > request.length ? MSG.TRUNC : 0,
      from: addressOf(this.family, datagram.fromIp, datagram.fromPort),
    };
  }

  /** A datagram one of the host sockets has, as the host gives it (its errors too). */
  private receiveOutside(request: ReceiveRequest): IncomingMessage | undefined {
    for (const fd of this.outside.values()) {
      let got;
      try {
        got = fd.receive(request.length, request.flags & HOST_RECEIVE_FLAGS, true);
      } catch (e) {
        if (isEagain(e)) continue;
        throw e;
      }
      if (!(request.flags & MSG.PEEK)) this.ns.bridge?.count(got.size, false);
      const from = got.from ? addressOf(this.family, got.from.ip, got.from.port) : undefined;
      return { data: got.data, size: got.size, eof: false, flags: got.flags & MSG.TRUNC, ...(from ? { from } : {}) };
    }
    return undefined;
  }

  override getOption(level: number, name: number): OptionValue {
    const own = super.getOption(level, name);
    if (level !== SOL.SOCKET || name !== SO.ERROR || (own.kind === 'int' && own.value !== 0)) return own;
    for (const fd of this.outside.values()) {
      const error = fd.getInt(SOL.SOCKET, SO.ERROR);
      if (error !== 0) return { kind: 'int', value: error };
    }
    return own;
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
    const own = this.datagrams[0];
    if (own) return own.length;
    for (const fd of this.outside.values()) {
      const n = fd.queued(false);
      if (n > 0) return n;
    }
    return 0;
  }

  readiness(mask: number): number {
    let ready = POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    if (this.error) ready |= POLL.ERR;
    if (this.shutdownState & RCV_SHUTDOWN) ready |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (this.shutdownState === SHUTDOWN_MASK) ready |= POLL.HUP;
    if (this.datagrams.length > 0) ready |= POLL.IN | POLL.RDNORM;
    // Writable while every host socket is; readable when one has a datagram.
    for (const fd of this.outside.values()) {
      const host = fd.readiness(POLL.IN | POLL.RDNORM | POLL.OUT);
      if (!(host & POLL.OUT)) ready &= ~WRITABLE;
      ready |= host & (POLL.IN | POLL.RDNORM | POLL.ERR);
    }
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  release(): void {
    for (const fd of this.outside.values()) fd.close();
    this.outside.clear();
    this.datagrams.length = 0;
    this.datagramBytes.clear();
    this.queuedCharge = 0;
    this.unbind();
  }
}
