// What AF_INET and AF_INET6 sockets of one stack share: the TCP and UDP port spaces, the
// interfaces, and routing: which destinations are this host (127.0.0.0/8, ::1, the
// addresses of the interfaces), and where the rest goes: out through the bridge under
// --network=sandbox (host/bridge.ts), nowhere (ENETUNREACH) under --network=none.

import { E, fail } from '../../abi/errno.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import { UNCHARGED } from '../byte-queue.js';
import type { Bridge } from '../host/bridge.js';
import { NET_LIMITS } from '../limits.js';
import { isLocalOn, Loopback, type NetworkInterface } from '../interfaces.js';
import { isAny, isV4, V4_LOOPBACK, V6_LOOPBACK, type Ip } from './ip.js';
import { PortTable, type PortHolder } from './ports.js';

export class InetNamespace<Tcp extends PortHolder = PortHolder, Udp extends PortHolder = PortHolder> {
  readonly tcp = new PortTable<Tcp>(true, NET_LIMITS.localPortRange);
  readonly udp = new PortTable<Udp>(false, NET_LIMITS.localPortRange);
  /** Bytes and packets (a TCP send, a UDP datagram) through lo, for its counters. */
  readonly loopbackTraffic = { bytes: 0, packets: 0 };

  constructor(
    readonly interfaces: readonly NetworkInterface[] = [new Loopback(true)],
    /** The way out, when the stack has one. */
    readonly bridge?: Bridge,
    /** What the sockets' queued bytes are charged to (the sandbox's memory account). */
    readonly memory: MemoryCharge = UNCHARGED,
  ) {}

  /** Whether ip is an address of this host on an interface that is up (what a socket may bind to). */
  isLocal(ip: Ip): boolean {
    return isLocalOn(this.interfaces, ip);
  }

  /**
   * Where traffic to destination goes: the address it reaches (a connect to 0.0.0.0 or
   * :: reaches this host's loopback, as on Linux); ENETUNREACH where there is no route.
   */
  route(destination: Ip): Ip {
    if (isAny(destination)) destination = isV4(destination) ? V4_LOOPBACK : V6_LOOPBACK;
    if (this.isLocal(destination) || this.bridge) return destination;
    return fail(E.ENETUNREACH);
  }

  /** The source address toward destination: itself when local (127.0.0.1 for all of 127/8), eth0's when outside. */
  sourceFor(destination: Ip): Ip {
    if (!this.isLocal(destination)) return this.bridge ? this.bridge.sourceFor(destination) : fail(E.ENETUNREACH);
    if (isV4(destination) && destination[12] === 127) return V4_LOOPBACK;
    return destination;
  }
}
