// NETLINK_ROUTE's answers about the stack: RTM_NEWLINK, RTM_NEWADDR and RTM_NEWROUTE
// messages for its interfaces, addresses and routes, laid out as the kernel's rtnetlink
// writes them (linux/rtnetlink.h, if_link.h, if_addr.h), so getifaddrs, `ip link`, `ip
// addr` and `ip route` read what they read in a network namespace with only those.

import { AF } from '../../abi/linux-socket.js';
import { isV4, v4Of, type Ip } from '../inet/ip.js';
import type { InterfaceCounters, NetworkInterface } from '../interfaces.js';

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;
export const NLM_F = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8, ROOT: 0x100, MATCH: 0x200, DUMP: 0x300 } as const;
export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWNEIGH: 28,
  GETNEIGH: 30,
} as const;
/** The first message type of a protocol: below it are netlink's own (NOOP, ERROR, DONE). */
export const NLMSG_MIN_TYPE = 0x10;
export const NLMSG_HDRLEN = 16;

const IFLA = { ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, QDISC: 6, STATS: 7, TXQLEN: 13, OPERSTATE: 16, LINKMODE: 17, STATS64: 23, GROUP: 27, PROMISCUITY: 30, NUM_TX_QUEUES: 31, NUM_RX_QUEUES: 32, CARRIER: 33, MIN_MTU: 50, MAX_MTU: 51 } as const;
const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, CACHEINFO: 6, FLAGS: 8 } as const;
const RTA = { DST: 1, OIF: 4, PRIORITY: 6, PREFSRC: 7, TABLE: 15, PREF: 20 } as const;
const IFA_F_PERMANENT = 0x80;
const RT_SCOPE = { UNIVERSE: 0, LINK: 253, HOST: 254 } as const;
const RT_TABLE_LOCAL = 255;
const RTPROT_KERNEL = 2;
const RTN = { LOCAL: 2, BROADCAST: 3 } as const;
const IF_OPER_UNKNOWN = 0;
const INFINITY_LIFETIME = 0xffffffff;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Appends rtattrs (u16 len, u16 type, payload, padded to 4) to a message body. */
class Attributes {
  private readonly parts: Buffer[] = [];

  add(type: number, payload: Uint8Array): this {
    const out = Buffer.alloc(align4(4 + payload.length));
    out.writeUInt16LE(4 + payload.length, 0);
    out.writeUInt16LE(type, 2);
    out.set(payload, 4);
    this.parts.push(out);
    return this;
  }

  u8(type: number, value: number): this {
    return this.add(type, Uint8Array.of(value));
  }

  u32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    return this.add(type, b);
  }

  string(type: number, value: string): this {
    return this.add(type, Buffer.from(`${value}\0`, 'latin1'));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One netlink message: header (its pid and seq those of the request) and body. */
export function message(type: number, flags: number, seq: number, pid: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(align4(NLMSG_HDRLEN + body.length));
  out.writeUInt32LE(NLMSG_HDRLEN + body.length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(pid >>> 0, 12);
  out.set(body, NLMSG_HDRLEN);
  return out;
}

/** struct rtnl_link_stats (24 u32) or rtnl_link_stats64 (24 u64): packets and bytes each way. */
function stats(counters: InterfaceCounters, wide: boolean): Buffer {
  const fields = [counters.rxPackets, counters.txPackets, counters.rxBytes, counters.txBytes];
  const out = Buffer.alloc(24 * (wide ? 8 : 4));
  fields.forEach((v, i) => (wide ? out.writeBigUInt64LE(BigInt(v), i * 8) : out.writeUInt32LE(v >>> 0, i * 4)));
  return out;
}

/** RTM_NEWLINK body: struct ifinfomsg and the attributes iproute2 and glibc read. */
export function linkBody(link: NetworkInterface, counters: InterfaceCounters): Buffer {
  const head = Buffer.alloc(16);
  head[0] = AF.UNSPEC;
  head.writeUInt16LE(link.type, 2);
  head.writeInt32LE(link.index, 4);
  head.writeUInt32LE(link.flags, 8);
  const attrs = new Attributes()
    .string(IFLA.IFNAME, link.name)
    .u32(IFLA.TXQLEN, 1000)
    .u8(IFLA.OPERSTATE, IF_OPER_UNKNOWN)
    .u8(IFLA.LINKMODE, 0)
    .u32(IFLA.MTU, link.mtu)
    .u32(IFLA.MIN_MTU, 0)
    .u32(IFLA.MAX_MTU, 0)
    .u32(IFLA.GROUP, 0)
    .u32(IFLA.PROMISCUITY, 0)
    .u32(IFLA.NUM_TX_QUEUES, 1)
    .u32(IFLA.NUM_RX_QUEUES, 1)
    .u8(IFLA.CARRIER, 1)
    .string(IFLA.QDISC, 'noqueue')
    .add(IFLA.ADDRESS, link.hardware)
    .add(IFLA.BROADCAST, link.hardware)
    .add(IFLA.STATS64, stats(counters, true))
    .add(IFLA.STATS, stats(counters, false));
  return Buffer.concat([head, attrs.bytes()]);
}

function ipBytes(ip: Ip): Uint8Array {
  return isV4(ip) ? v4Of(ip) : ip;
}

/** RTM_NEWADDR body for one address of link: permanent, host scope on lo. */
export function addressBody(link: NetworkInterface, ip: Ip, prefixLength: number): Buffer {
  const v4 = isV4(ip);
  const head = Buffer.alloc(8);
  head[0] = v4 ? AF.INET : AF.INET6;
  head[1] = prefixLength;
  head[2] = IFA_F_PERMANENT;
  head[3] = link.type === 772 ? RT_SCOPE.HOST : RT_SCOPE.UNIVERSE;
  head.writeUInt32LE(link.index, 4);
  const cache = Buffer.alloc(16);
  cache.writeUInt32LE(INFINITY_LIFETIME, 0);
  cache.writeUInt32LE(INFINITY_LIFETIME, 4);
  const attrs = new Attributes().add(IFA.ADDRESS, ipBytes(ip));
  if (v4) attrs.add(IFA.LOCAL, ipBytes(ip)).string(IFA.LABEL, link.name);
  attrs.u32(IFA.FLAGS, IFA_F_PERMANENT).add(IFA.CACHEINFO, cache);
  return Buffer.concat([head, attrs.bytes()]);
}

export interface Route {
  readonly family: number;
  readonly destination: Ip;
  readonly prefixLength: number;
  readonly type: number;
  readonly scope: number;
  readonly table: number;
  readonly source?: Ip;
  readonly link: number;
}

/** The kernel's routes for an interface's addresses (table local), as a new namespace has them for lo. */
export function routesOf(link: NetworkInterface): Route[] {
  const routes: Route[] = [];
  for (const { ip, prefixLength } of link.addresses) {
    if (isV4(ip)) {
      const network = v4Of(ip);
      const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
      const base = (network.reduce((a, b) => (a << 8) | b, 0) >>> 0) & mask;
      const broadcast = (base | (~mask >>> 0)) >>> 0;
      const asIp = (n: number) => Uint8Array.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
      const common = { family: AF.INET, table: RT_TABLE_LOCAL, source: ip, link: link.index };
      if (prefixLength < 32) routes.push({ ...common, destination: asIp(base), prefixLength, type: RTN.LOCAL, scope: RT_SCOPE.HOST });
      routes.push({ ...common, destination: network, prefixLength: 32, type: RTN.LOCAL, scope: RT_SCOPE.HOST });
      if (prefixLength < 31) routes.push({ ...common, destination: asIp(broadcast), prefixLength: 32, type: RTN.BROADCAST, scope: RT_SCOPE.LINK });
    } else {
      routes.push({ family: AF.INET6, destination: ip, prefixLength: 128, type: RTN.LOCAL, scope: RT_SCOPE.UNIVERSE, table: RT_TABLE_LOCAL, link: link.index });
    }
  }
  return routes;
}

/** RTM_NEWROUTE body: struct rtmsg and its attributes. */
export function routeBody(route: Route): Buffer {
  const head = Buffer.alloc(12);
  head[0] = route.family;
  head[1] = route.prefixLength;
  head[4] = route.table;
  head[5] = RTPROT_KERNEL;
  head[6] = route.scope;
  head[7] = route.type;
  const attrs = new Attributes().u32(RTA.TABLE, route.table).add(RTA.DST, route.destination);
  if (route.family === AF.INET6) attrs.u32(RTA.PRIORITY, 0);
  if (route.source) attrs.add(RTA.PREFSRC, ipBytes(route.source));
  attrs.u32(RTA.OIF, route.link);
  if (route.family === AF.INET6) attrs.u8(RTA.PREF, 0);
  return Buffer.concat([head, attrs.bytes()]);
}
