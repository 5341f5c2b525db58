// AF_NETLINK sockets (family.ts says which protocols): a request goes to the "kernel"
// (port 0). NETLINK_ROUTE's answers come from the stack's interfaces and routes (route.ts): dumps of links,
// addresses and routes as multipart messages ending in NLMSG_DONE, one link by index or
// name, lo brought up or down and its addresses changed (link-changes.ts), and NLMSG_ERROR
// for what the stack does not do (changing other interfaces or routes: EPERM without
// CAP_NET_ADMIN, as in a container; EOPNOTSUPP with it, since those are fixed).

import { E, fail } from '../../abi/errno.js';
import { AF, MSG, NETLINK, SOL } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { NetlinkAddress, SocketAddress } from '../address.js';
import { SocketBase, int, intOf } from '../base.js';
import { isV4 } from '../inet/ip.js';
import type { InterfaceCounters, NetworkInterface } from '../interfaces.js';
import { CAP_NET_ADMIN, hasCapability, type IncomingMessage, type OptionValue, type OutgoingMessage, type PendingConnect, type ReceiveRequest, type SocketCaller } from '../socket.js';
import { changeLink } from './link-changes.js';
import { NLM_F, NLMSG, NLMSG_HDRLEN, NLMSG_MIN_TYPE, RTM, addressBody, inDumpOrder, linkBody, message, routeBody, routesOf } from './route.js';

/** What a netlink socket reads of its stack. */
export interface NetlinkHost {
  readonly interfaces: readonly NetworkInterface[];
  countersOf(link: NetworkInterface): InterfaceCounters;
}

/** Port ids in use, per stack: the first socket of a process gets its pid, others negative ids. */
export class NetlinkPorts {
  private readonly taken = new Set<number>();
  private rover = -4096;

  claim(portId: number): void {
    if (this.taken.has(portId)) fail(E.EADDRINUSE);
    this.taken.add(portId);
  }

  automatic(pid: number): number {
    if (!this.taken.has(pid)) {
      this.taken.add(pid);
      return pid;
    }
    // nl_pid is a u32: the kernel's rover counts down from -4096 as 0xfffff000.
    while (this.taken.has(this.rover >>> 0)) this.rover--;
    const portId = this.rover >>> 0;
    this.taken.add(portId);
    return portId;
  }

  release(portId: number): void {
    this.taken.delete(portId);
  }
}

/** Replies are packed into datagrams of at most this much, as the kernel fills a page. */
const DATAGRAM_LIMIT = 4096;
const NETLINK_ADD_MEMBERSHIP = 1;
const NETLINK_DROP_MEMBERSHIP = 2;
const NETLINK_CAP_ACK = 10;
const NLM_F_CAPPED = 0x100;
const KERNEL: NetlinkAddress = { family: AF.NETLINK, portId: 0, groups: 0 };
const CAP_SYS_ADMIN = 21;

export class NetlinkSocket extends SocketBase {
  private portId = 0;
  private groups = 0;
  private readonly datagrams: Uint8Array[] = [];
  private queuedBytes = 0;
  private readonly netlinkOptions = new Map<number, number>();

  constructor(
    private readonly host: NetlinkHost,
    private readonly ports: NetlinkPorts,
    type: number,
    protocol: number,
  ) {
    super(AF.NETLINK, type, protocol);
  }

  bind(address: SocketAddress, caller: SocketCaller): void {
    if (address.family !== AF.NETLINK) fail(E.EINVAL);
    if (this.portId !== 0) {
      if (address.portId !== 0 && address.portId !== this.portId) fail(E.EINVAL);
    } else if (address.portId !== 0) {
      this.ports.claim(address.portId);
      this.portId = address.portId;
    } else this.autobind(caller);
    this.groups = address.groups;
  }

  private autobind(caller: SocketCaller): void {
    if (this.portId === 0) this.portId = this.ports.automatic(caller.cred.pid);
  }

  connect(address: SocketAddress, caller: SocketCaller): PendingConnect | undefined {
    if (address.family === AF.UNSPEC) return undefined;
    if (address.family !== AF.NETLINK) fail(E.EINVAL);
    if (address.portId !== 0) fail(E.ECONNREFUSED);
    this.autobind(caller);
    return undefined;
  }

  localAddress(): NetlinkAddress {
    return { family: AF.NETLINK, portId: this.portId, groups: this.groups };
  }

  peerAddress(): NetlinkAddress {
    return KERNEL;
  }

  send(outgoing: OutgoingMessage, caller: SocketCaller): number {
    this.autobind(caller);
    // Only the kernel answers here; no other process listens on this stack's netlink.
    if (outgoing.to && outgoing.to.family === AF.NETLINK && outgoing.to.portId !== 0) fail(E.ECONNREFUSED);
    const data = Buffer.from(outgoing.data.buffer, outgoing.data.byteOffset, outgoing.data.length);
    for (let at = 0; at + NLMSG_HDRLEN <= data.length; ) {
      const length = data.readUInt32LE(at);
      // A header that lies ends the batch, as netlink_rcv_skb does.
      if (length < NLMSG_HDRLEN || length > data.length - at) break;
      this.answer(data.subarray(at, at + length), caller);
      at += (length + 3) & ~3;
    }
    return outgoing.data.length;
  }

  /** The kernel's answer to one message, by protocol. */
  private answer(request: Buffer, caller: SocketCaller): void {
    const flags = request.readUInt16LE(6);
    switch (this.protocol) {
      case NETLINK.AUDIT:
        // audit_receive: every message, request or not, and audit_netlink_ok's answer outside init_user_ns.
        return this.acknowledge(request, flags | NLM_F.ACK, E.ECONNREFUSED);
      case NETLINK.KOBJECT_UEVENT:
        // uevent_net_rcv_skb: only CAP_SYS_ADMIN may send uevents, and none are made here.
        if (!(flags & NLM_F.REQUEST)) return this.acknowledge(request, flags, 0);
        return this.acknowledge(request, flags | NLM_F.ACK, hasCapability(caller, CAP_SYS_ADMIN) ? E.EOPNOTSUPP : E.EPERM);
      default:
        return this.answerRoute(request, caller);
    }
  }

  /** rtnetlink_rcv_msg for one request. */
  private answerRoute(request: Buffer, caller: SocketCaller): void {
    const type = request.readUInt16LE(4);
    const flags = request.readUInt16LE(6);
    const seq = request.readUInt32LE(8);
    const body = request.subarray(NLMSG_HDRLEN);
    const reply = (t: number, f: number, b: Uint8Array) => message(t, f, seq, this.portId, b);
    if (!(flags & NLM_F.REQUEST) || type < NLMSG_MIN_TYPE) return this.acknowledge(request, flags, 0);
    const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    const family = body.length > 0 ? body[0]! : AF.UNSPEC;
    switch (type) {
      case RTM.GETLINK: {
        if (dump) return this.multipart(this.host.interfaces.map((link) => reply(RTM.NEWLINK, NLM_F.MULTI, linkBody(link, this.host.countersOf(link)))), reply);
        const link = this.findLink(body);
        if (!link) return this.acknowledge(request, flags | NLM_F.ACK, E.ENODEV);
        this.queueDatagram(reply(RTM.NEWLINK, 0, linkBody(link, this.host.countersOf(link))));
        return this.acknowledge(request, flags, 0);
      }
      case RTM.GETADDR: {
        if (!dump) return this.acknowledge(request, flags | NLM_F.ACK, E.EOPNOTSUPP);
        // IPv4 addresses of every link, then IPv6 ones, as inet_dump_ifaddr and inet6_dump_addr follow each other.
        const ofFamily = (v4: boolean) =>
          this.host.interfaces.flatMap((link) => link.addresses.filter((a) => isV4(a.ip) === v4).map((a) => reply(RTM.NEWADDR, NLM_F.MULTI, addressBody(link, a.ip, a.prefixLength))));
        const replies = [...(family !== AF.INET6 ? ofFamily(true) : []), ...(family !== AF.INET ? ofFamily(false) : [])];
        return this.multipart(replies, reply);
      }
      case RTM.GETROUTE: {
        if (!dump) return this.acknowledge(request, flags | NLM_F.ACK, E.EOPNOTSUPP);
        const routes = inDumpOrder(this.host.interfaces.flatMap(routesOf)).filter((r) => family === AF.UNSPEC || r.family === family);
        return this.multipart(routes.map((r) => reply(RTM.NEWROUTE, NLM_F.MULTI, routeBody(r))), reply);
      }
      case RTM.GETNEIGH:
        // Loopback has no neighbours.
        if (dump) return this.multipart([], reply);
        return this.acknowledge(request, flags | NLM_F.ACK, E.EOPNOTSUPP);
      case RTM.NEWLINK:
      case RTM.SETLINK:
      case RTM.NEWADDR:
      case RTM.DELADDR:
        if (!hasCapability(caller, CAP_NET_ADMIN)) return this.acknowledge(request, flags | NLM_F.ACK, E.EPERM);
        return this.acknowledge(request, flags, changeLink(this.host.interfaces, type, flags, body));
      case RTM.DELLINK:
      case RTM.NEWROUTE:
      case RTM.DELROUTE:
      case RTM.NEWNEIGH:
        return this.acknowledge(request, flags | NLM_F.ACK, hasCapability(caller, CAP_NET_ADMIN) ? E.EOPNOTSUPP : E.EPERM);
      default:
        return this.acknowledge(request, flags | NLM_F.ACK, E.EOPNOTSUPP);
    }
  }

  /** The link a non-dump RTM_GETLINK names: by ifi_index, or by IFLA_IFNAME. */
  private findLink(body: Buffer): NetworkInterface | undefined {
    const index = body.length >= 8 ? body.readInt32LE(4) : 0;
    if (index > 0) return this.host.interfaces.find((l) => l.index === index);
    for (let at = 16; at + 4 <= body.length; ) {
      const length = body.readUInt16LE(at);
      if (length < 4) break;
      if (body.readUInt16LE(at + 2) === 3) {
        const name = body.toString('latin1', at + 4, at + length).replace(/\0.*$/s, '');
        return this.host.interfaces.find((l) => l.name === name);
      }
      at += (length + 3) & ~3;
    }
    return undefined;
  }

  /** A dump's messages in page-sized datagrams, then NLMSG_DONE. */
  private multipart(replies: Buffer[], reply: (type: number, flags: number, body: Uint8Array) => Buffer): void {
    const done = Buffer.alloc(4);
    const all = [...replies, reply(NLMSG.DONE, NLM_F.MULTI, done)];
    let batch: Buffer[] = [];
    let size = 0;
    for (const m of all) {
      if (size > 0 && size + m.length > DATAGRAM_LIMIT) {
        this.queueDatagram(Buffer.concat(batch));
        batch = [];
        size = 0;
      }
      batch.push(m);
      size += m.length;
    }
    this.queueDatagram(Buffer.concat(batch));
  }

  /** NLMSG_ERROR: an error always, a success when NLM_F_ACK asked for it (netlink_ack). */
  private acknowledge(request: Buffer, flags: number, errno: number): void {
    if (errno === 0 && !(flags & NLM_F.ACK)) return;
    const capped = errno === 0 || this.netlinkOptions.get(NETLINK_CAP_ACK) === 1;
    const original = capped ? request.subarray(0, NLMSG_HDRLEN) : request;
    const body = Buffer.alloc(4 + original.length);
    body.writeInt32LE(-errno, 0);
    original.copy(body, 4);
    this.queueDatagram(message(NLMSG.ERROR, capped ? NLM_F_CAPPED : 0, request.readUInt32LE(8), this.portId, body));
  }

  /**
   * Queues a reply; past the receive buffer it is dropped and the next receive fails with
   * ENOBUFS, as Linux's netlink does (a workload asking and never reading cannot make the
   * sentry hold its answers without end).
   */
  private queueDatagram(data: Uint8Array): void {
    if (this.datagrams.length > 0 && this.queuedBytes + data.length > this.receiveBufferSize) {
      this.setError(E.ENOBUFS);
      return;
    }
    this.datagrams.push(data);
    this.queuedBytes += data.length;
    this.queue.notify(POLL.IN | POLL.RDNORM);
  }

  receive(request: ReceiveRequest): IncomingMessage {
    const datagram = this.datagrams[0];
    this.takeError();
    if (!datagram) fail(E.EAGAIN);
    if (!(request.flags & MSG.PEEK)) {
      this.datagrams.shift();
      this.queuedBytes -= datagram.length;
    }
    const size = datagram.length;
    return { data: datagram.subarray(0, Math.min(size, request.length)), size, eof: false, flags: size > request.length ? MSG.TRUNC : 0, from: KERNEL };
  }

  override get inQueue(): number {
    return this.datagrams[0]?.length ?? 0;
  }

  readiness(mask: number): number {
    let ready = POLL.OUT | POLL.WRNORM;
    if (this.datagrams.length > 0) ready |= POLL.IN | POLL.RDNORM;
    if (this.error) ready |= POLL.ERR;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  protected override getProtocolOption(level: number, name: number): OptionValue {
    if (level === SOL.NETLINK && name >= 3 && name <= 12) return int(this.netlinkOptions.get(name) ?? 0);
    return super.getProtocolOption(level, name);
  }

  protected override setProtocolOption(level: number, name: number, value: OptionValue): void {
    if (level === SOL.NETLINK && (name === NETLINK_ADD_MEMBERSHIP || name === NETLINK_DROP_MEMBERSHIP)) {
      // Multicast groups: kept, though the stack's interfaces never change to tell of.
      const group = intOf(value);
      if (group < 1 || group > 32) fail(E.EINVAL);
      const bit = 2 ** (group - 1);
      this.groups = name === NETLINK_ADD_MEMBERSHIP ? (this.groups | bit) >>> 0 : (this.groups & ~bit) >>> 0;
      return;
    }
    if (level === SOL.NETLINK && name >= 3 && name <= 12) {
      this.netlinkOptions.set(name, intOf(value) ? 1 : 0);
      return;
    }
    super.setProtocolOption(level, name, value);
  }

  release(): void {
    if (this.portId !== 0) this.ports.release(this.portId);
    this.datagrams.length = 0;
    this.queuedBytes = 0;
  }
}
