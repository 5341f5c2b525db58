// A sandbox's network stack (its network namespace, logically): its interfaces, the
// address families its sockets come from, and their state (AF_UNIX names, the loopback
// port spaces, netlink ports). One per sandbox, made by the composer and reached by
// handlers through the kernel's services.

import { E, fail } from '../abi/errno.js';
import { AF } from '../abi/linux-socket.js';
import { InetFamily } from './inet/family.js';
import { InetNamespace } from './inet/namespace.js';
import { LOOPBACK_INTERFACE, type InterfaceCounters, type NetworkInterface } from './interfaces.js';
import { NetlinkFamily } from './netlink/family.js';
import type { NetlinkHost } from './netlink/socket.js';
import type { Socket, SocketCaller, SocketFamily } from './socket.js';
import { UnixFamily } from './unix/family.js';

/** Linux's AF_MAX: families at or above it are EAFNOSUPPORT without a lookup. */
const AF_MAX = 46;

export class NetworkStack implements NetlinkHost {
  private readonly families = new Map<number, SocketFamily>();
  readonly unix = new UnixFamily();
  readonly inet: InetNamespace;

  constructor(readonly interfaces: readonly NetworkInterface[] = [LOOPBACK_INTERFACE]) {
    this.inet = new InetNamespace(interfaces);
    this.register(AF.UNIX, this.unix);
    this.register(AF.INET, new InetFamily(AF.INET, this.inet));
    this.register(AF.INET6, new InetFamily(AF.INET6, this.inet));
    this.register(AF.NETLINK, new NetlinkFamily(this));
  }

  /** Adds (or replaces: a host-backed family for --network=host) the family behind domain. */
  register(domain: number, family: SocketFamily): void {
    this.families.set(domain, family);
  }

  private family(domain: number): SocketFamily {
    if (domain < 0 || domain >= AF_MAX) fail(E.EAFNOSUPPORT);
    return this.families.get(domain) ?? fail(E.EAFNOSUPPORT);
  }

  /** socket(2): type without SOCK_NONBLOCK/SOCK_CLOEXEC. */
  socket(domain: number, type: number, protocol: number, caller: SocketCaller): Socket {
    return this.family(domain).create(type, protocol, caller);
  }

  socketPair(domain: number, type: number, protocol: number, caller: SocketCaller): [Socket, Socket] {
    return this.family(domain).pair(type, protocol, caller);
  }

  /** What went through an interface: on lo, every TCP send and UDP datagram of the stack. */
  countersOf(link: NetworkInterface): InterfaceCounters {
    if (link !== LOOPBACK_INTERFACE) return { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 };
    const { bytes, packets } = this.inet.loopbackTraffic;
    return { rxBytes: bytes, rxPackets: packets, txBytes: bytes, txPackets: packets };
  }
}
