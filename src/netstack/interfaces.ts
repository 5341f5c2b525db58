// The network interfaces a stack has: lo always (127.0.0.1/8, ::1/128), and the
// interfaces a network mode adds (eth0 of --network=sandbox, the host's under
// --network=host). What netlink dumps, the SIOCGIF* ioctls and /proc/net describe, and
// where a destination is local.

import { mapV4, V6_LOOPBACK, type Ip } from './inet/ip.js';

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

export const LOOPBACK_INTERFACE: NetworkInterface = {
  index: 1,
  name: 'lo',
  flags: IFF.UP | IFF.LOOPBACK | IFF.RUNNING | IFF.LOWER_UP,
  mtu: 65536,
  type: ARPHRD.LOOPBACK,
  hardware: new Uint8Array(6),
  addresses: [
    { ip: mapV4(Uint8Array.from([127, 0, 0, 1])), prefixLength: 8 },
    { ip: V6_LOOPBACK, prefixLength: 128 },
  ],
};

/** The link-local IPv6 address (fe80::/64) the kernel gives an Ethernet interface from its address (EUI-64). */
export function linkLocalOf(hardware: Uint8Array): Ip {
  const ip = new Uint8Array(16);
  ip[0] = 0xfe;
  ip[1] = 0x80;
  ip.set([hardware[0]! ^ 0x02, hardware[1]!, hardware[2]!, 0xff, 0xfe, hardware[3]!, hardware[4]!, hardware[5]!], 8);
  return ip;
}
