// The way out of a --network=sandbox stack, as slirp4netns gives a rootless container
// one: the sandbox has eth0 with an address and a default route, and what it sends to an
// address that is not its own goes out on host sockets the sentry opens (in its own network
// namespace, or the spec's), one per sandbox connection or datagram socket. The workload
// never holds them: its sockets stay the stack's, their traffic is carried.
//
// Loopback stays the sandbox's: 127.0.0.0/8 and ::1 never reach the host's loopback, as in
// any network namespace (runsc's sandbox network is the same). One exception, for DNS: a
// nameserver on the host's loopback that the sandbox's resolv.conf names (systemd-resolved's
// 127.0.0.53, say) is reached on port 53 alone, and only while no socket of the sandbox
// holds that address and port, so the name lookups of a bundle made from the host's
// resolv.conf work; pasta forwards DNS to the host's resolver the same way.

import { E, fail } from '../../abi/errno.js';
import { SOCK } from '../../abi/linux-socket.js';
import type { WaitQueue } from '../../waiter/index.js';
import type { NetworkInterface } from '../interfaces.js';
import { isLoopback, isV4, sameIp, type Ip } from '../inet/ip.js';
import { domainOf } from './host-address.js';
import type { HostFd } from './host-fd.js';
import type { HostNetwork } from './host-network.js';
import type { ReplyRoute } from './publish.js';

/** The port a forwarded nameserver is reached on. */
export const DNS_PORT = 53;

export interface BridgeOptions {
  /** eth0: its addresses are the sandbox's source addresses out. */
  readonly link: NetworkInterface;
  /** The gateway of each family, what a peer on the host's loopback appears as. */
  readonly gatewayV4: Ip;
  readonly gatewayV6: Ip;
  /** Nameservers on the host's loopback that the sandbox's resolv.conf names. */
  readonly resolvers: readonly Ip[];
}

export class Bridge {
  /** Bytes and packets carried each way, for eth0's counters. */
  readonly traffic = { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 };

  /** Answers to published ports' UDP clients (publish.ts), once ports are published. */
  replies: ((port: number, peer: Ip, peerPort: number) => ReplyRoute | undefined) | undefined;

  constructor(
    readonly host: HostNetwork,
    private readonly options: BridgeOptions,
  ) {}

  /** How a datagram from the sandbox's port to peer:peerPort goes when peer is a published port's client. */
  replyRoute(port: number, peer: Ip, peerPort: number): ReplyRoute | undefined {
    return this.replies?.(port, peer, peerPort);
  }

  get link(): NetworkInterface {
    return this.options.link;
  }

  /** The sandbox's address toward destination: eth0's of that family (ENETUNREACH without one). */
  sourceFor(destination: Ip): Ip {
    const v4 = isV4(destination);
    const own = this.options.link.addresses.find((a) => isV4(a.ip) === v4 && !isLinkLocal(a.ip));
    return own ? own.ip : fail(E.ENETUNREACH);
  }

  /** Whether destination:port, a loopback address, is a host nameserver the sandbox reaches. */
  forwardsResolver(destination: Ip, port: number): boolean {
    return port === DNS_PORT && this.options.resolvers.some((r) => sameIp(r, destination));
  }

  /** A host stream socket toward destination whose readiness goes to queue. */
  openStream(destination: Ip, queue: WaitQueue): HostFd {
    return this.host.open(domainOf(destination), SOCK.STREAM, 0, queue);
  }

  /** A host datagram socket of domain whose readiness goes to queue. */
  openDatagram(domain: number, queue: WaitQueue): HostFd {
    return this.host.open(domain, SOCK.DGRAM, 0, queue);
  }

  /**
   * A peer as the sandbox sees it: the host's loopback is not the sandbox's, so a peer
   * there (a client of a published port on 127.0.0.1) appears as the gateway.
   */
  peerView(ip: Ip): Ip {
    if (!isLoopback(ip)) return ip;
    return isV4(ip) ? this.options.gatewayV4 : this.options.gatewayV6;
  }

  /** Counts a send or a receive through the bridge, for eth0's counters. */
  count(bytes: number, outgoing: boolean): void {
    if (outgoing) {
      this.traffic.txBytes += bytes;
      this.traffic.txPackets++;
    } else {
      this.traffic.rxBytes += bytes;
      this.traffic.rxPackets++;
    }
  }
}

function isLinkLocal(ip: Ip): boolean {
  return ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80;
}
