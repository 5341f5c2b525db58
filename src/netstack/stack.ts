// A sandbox's network stack (its network namespace, logically): its interfaces, the
// address families its sockets come from, and their state (AF_UNIX names, the loopback
// port spaces, netlink ports). One per sandbox, made by the composer and reached by
// handlers through the kernel's services.

import { E, fail } from '../abi/errno.js';
import { AF } from '../abi/linux-socket.js';
import type { MemoryCharge } from '../accounting/memory-account.js';
import type { Bridge } from './host/bridge.js';
import { InetFamily } from './inet/family.js';
import { InetNamespace } from './inet/namespace.js';
import { ARPHRD, Loopback, type InterfaceCounters, type NetworkInterface } from './interfaces.js';
import { NetlinkFamily } from './netlink/family.js';
import type { NetlinkHost } from './netlink/socket.js';
import type { Socket, SocketCaller, SocketFamily } from './socket.js';
import { UnixFamily } from './unix/family.js';

/** Linux's AF_MAX: families at or above it are EAFNOSUPPORT without a lookup. */
const AF_MAX = 46;

export interface StackParts {
  readonly interfaces?: readonly NetworkInterface[];
  /** The way out of --network=sandbox. */
  readonly bridge?: Bridge;
  /** What the sockets' queued bytes are charged to (the sandbox's memory account). */
  readonly memory?: MemoryCharge;
  /** Without interfaces: whether its own lo starts up (false for a new network namespace made inside). */
  readonly loopbackUp?: boolean;
}

export class NetworkStack implements NetlinkHost {
  private readonly families = new Map<number, SocketFamily>();
  private readonly closers: (() => void)[] = [];
  readonly unix: UnixFamily;
  readonly inet: InetNamespace;
  readonly interfaces: readonly NetworkInterface[];

  constructor(parts: StackParts = {}) {
    this.interfaces = parts.interfaces ?? [new Loopback(parts.loopbackUp ?? true)];
    this.unix = new UnixFamily(parts.memory);
    this.inet = new InetNamespace(this.interfaces, parts.bridge, parts.memory);
    this.register(AF.UNIX, this.unix);
    this.register(AF.INET, new InetFamily(AF.INET, this.inet));
    this.register(AF.INET6, new InetFamily(AF.INET6, this.inet));
    this.register(AF.NETLINK, new NetlinkFamily(this));
  }

  /** Adds (or replaces: the host sockets of --network=host) the family behind domain. */
  register(domain: number, family: SocketFamily): void {
    this.families.set(domain, family);
  }

  /** Something to undo when the sandbox ends (a published port's listener). */
  onClose(closer: () => void): void {
    this.closers.push(closer);
  }

  /** The sandbox ended: what the stack holds on the host goes. */
  close(): void {
    for (const closer of this.closers.splice(0)) closer();
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

  /** What went through an interface: on lo, every TCP send and UDP datagram of the stack; on eth0, the bridge's. */
  countersOf(link: NetworkInterface): InterfaceCounters {
    const bridge = this.inet.bridge;
    if (bridge && link === bridge.link) return { ...bridge.traffic };
    if (link.type !== ARPHRD.LOOPBACK) return { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 };
    const { bytes, packets } = this.inet.loopbackTraffic;
    return { rxBytes: bytes, rxPackets: packets, txBytes: bytes, txPackets: packets };
  }
}
