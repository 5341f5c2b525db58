// The network interfaces a stack has: lo always (up with 127.0.0.1/8 and ::1/128, but down
// in a new network namespace), and the interfaces a network mode adds (eth0 of
// --network=sandbox, the host's under --network=host). What netlink dumps, the SIOCGIF* ioctls and /proc/net describe, and
// where a destination is local.

import { E, fail } from '../abi/errno.js';
import { isV4, mapV4, sameIp, V6_LOOPBACK, type Ip } from './inet/ip.js';

/** SIOCGIFFLAGS bits (linux/if.h). */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  RUNNING: 0x40,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
} as const;

/** ARPHRD_* device types. */
export const ARPHRD = { ETHER: 1, LOOPBACK: 772 } as const;

export interface InterfaceAddress {
  readonly ip: Ip;
  readonly prefixLength: number;
}

/** Traffic through an interface, for /proc/net/dev and netlink's link statistics. */
export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

export interface NetworkInterface {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
  readonly mtu: number;
  readonly type: number;
  /** The hardware address (all zero for lo). */
  readonly hardware: Uint8Array;
  readonly addresses: readonly InterfaceAddress[];
  /** Default routes through this interface: a gateway of each family it has. */
  readonly gateways?: readonly Ip[];
}

/** lo's MTU, as Linux sets it. */
export const LOOPBACK_MTU = 65536;

const LINK_UP = IFF.UP | IFF.RUNNING | IFF.LOWER_UP;
const V4_LOOPBACK_NET: InterfaceAddress = { ip: mapV4(Uint8Array.from([127, 0, 0, 1])), prefixLength: 8 };

/**
 * A stack's own lo. In a new network namespace it is down with no address, as Linux makes
 * it; brought up (RTM_NEWLINK, `ip link set lo up`) it gets 127.0.0.1/8 when it has no IPv4
 * address (inetdev's NETDEV_UP for a loopback) and ::1 (addrconf), and going down takes
 * its IPv6 addresses away. The sandbox's first namespace has it up, as runc's and runsc's do.
 */
export class Loopback implements NetworkInterface {
  readonly index = 1;
  readonly name = 'lo';
  readonly mtu = LOOPBACK_MTU;
  readonly type = ARPHRD.LOOPBACK;
  readonly hardware = new Uint8Array(6);
  flags: number = IFF.LOOPBACK;
  addresses: InterfaceAddress[] = [];

  constructor(up: boolean) {
    if (up) this.setUp(true);
  }

  setUp(up: boolean): void {
    if (!up) {
      this.flags &= ~LINK_UP;
      this.addresses = this.addresses.filter((a) => isV4(a.ip));
      return;
    }
    if ((this.flags & IFF.UP) !== 0) return;
    this.flags |= LINK_UP;
    if (!this.addresses.some((a) => isV4(a.ip))) this.addresses.push(V4_LOOPBACK_NET);
    if (!this.addresses.some((a) => sameIp(a.ip, V6_LOOPBACK))) this.addresses.push({ ip: V6_LOOPBACK, prefixLength: 128 });
  }

  /** RTM_NEWADDR: EEXIST for an address it has. */
  addAddress(address: InterfaceAddress): void {
    if (this.addresses.some((a) => sameIp(a.ip, address.ip))) fail(E.EEXIST);
    this.addresses.push(address);
  }

  /** RTM_DELADDR: EADDRNOTAVAIL for one it has not. */
  removeAddress(ip: Ip): void {
    const at = this.addresses.findIndex((a) => sameIp(a.ip, ip));
    if (at < 0) fail(E.EADDRNOTAVAIL);
    this.addresses.splice(at, 1);
  }
}

/** Whether ip is local on an interface that is up: one of its addresses, or within lo's IPv4 prefix (lo's local route). */
export function isLocalOn(links: readonly NetworkInterface[], ip: Ip): boolean {
  return links.some((link) => (link.flags & IFF.UP) !== 0 && link.addresses.some((a) => sameIp(a.ip, ip) || (link.type === ARPHRD.LOOPBACK && isV4(ip) && isV4(a.ip) && samePrefix(a.ip, ip, a.prefixLength))));
}

function samePrefix(a: Ip, b: Ip, prefixLength: number): boolean {
  // Both are IPv4-mapped: the IPv4 bits start at byte 12.
  for (let bit = 0; bit < prefixLength; bit++) {
    const byte = 12 + (bit >> 3);
    const mask = 0x80 >> (bit & 7);
    if (((a[byte] as number) & mask) !== ((b[byte] as number) & mask)) return false;
  }
  return true;
}

/** The link-local IPv6 address (fe80::/64) the kernel gives an Ethernet interface from its address (EUI-64). */
export function linkLocalOf(hardware: Uint8Array): Ip {
  const ip = new Uint8Array(16);
  ip[0] = 0xfe;
  ip[1] = 0x80;
  ip.set([hardware[0]! ^ 0x02, hardware[1]!, hardware[2]!, 0xff, 0xfe, hardware[3]!, hardware[4]!, hardware[5]!], 8);
  return ip;
}
