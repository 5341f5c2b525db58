// NETLINK_ROUTE's answers about the stack: RTM_NEWLINK, RTM_NEWADDR and RTM_NEWROUTE
// messages for its interfaces, addresses and routes, laid out as the kernel's rtnetlink
// writes them (linux/rtnetlink.h, if_link.h, if_addr.h), so getifaddrs, `ip link`, `ip
// addr` and `ip route` read what they read in a network namespace with only those.

import { AF } from '../../abi/linux-socket.js';
import { isV4, v4Of, type Ip } from '../inet/ip.js';
import { ARPHRD, IFF, type InterfaceCounters, type NetworkInterface } from '../interfaces.js';

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
const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15, PREF: 20 } as const;
const IFA_F_PERMANENT = 0x80;
const RT_SCOPE = { UNIVERSE: 0, LINK: 253, HOST: 254 } as const;
const RT_TABLE_MAIN = 254;
const RT_TABLE_LOCAL = 255;
const RTPROT = { KERNEL: 2, BOOT: 3 } as const;
const RTN = { UNICAST: 1, LOCAL: 2, BROADCAST: 3 } as const;
/** The metrics the kernel gives IPv6 routes: a prefix of an address, a default route. */
const IP6_RT_PRIO_ADDRCONF = 256;
const IP6_RT_PRIO_USER = 1024;
const IF_OPER_UNKNOWN = 0;
const IF_OPER_DOWN = 2;
const INFINITY_LIFETIME = 0xffffffff;
const ETHER_BROADCAST = new Uint8Array(6).fill(0xff);

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
    .u8(IFLA.OPERSTATE, link.flags & IFF.UP ? IF_OPER_UNKNOWN : IF_OPER_DOWN)
    .u8(IFLA.LINKMODE, 0)
    .u32(IFLA.MTU, link.mtu)
    .u32(IFLA.MIN_MTU, 0)
    .u32(IFLA.MAX_MTU, 0)
    .u32(IFLA.GROUP, 0)
    .u32(IFLA.PROMISCUITY, 0)
    .u32(IFLA.NUM_TX_QUEUES, 1)
    .u32(IFLA.NUM_RX_QUEUES, 1)
    .u8(IFLA.CARRIER, 1)
    // A link never brought up has no queueing discipline yet.
    .string(IFLA.QDISC, link.flags & IFF.UP ? 'noqueue' : 'noop')
    .add(IFLA.ADDRESS, link.hardware)
    .add(IFLA.BROADCAST, link.type === ARPHRD.ETHER ? ETHER_BROADCAST : link.hardware)
    .add(IFLA.STATS64, stats(counters, true))
    .add(IFLA.STATS, stats(counters, false));
  return Buffer.concat([head, attrs.bytes()]);
}

function ipBytes(ip: Ip): Uint8Array {
  return isV4(ip) ? v4Of(ip) : ip;
}

/** The scope of an address: host on lo, link for fe80::/10, global otherwise. */
export function addressScope(link: NetworkInterface, ip: Ip): number {
  if (link.type === ARPHRD.LOOPBACK) return RT_SCOPE.HOST;
  return !isV4(ip) && ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80 ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE;
}

/** The 32-bit value of an IPv4 prefix's mask. */
function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

const v4Bytes = (n: number) => Uint8Array.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const v4Number = (ip: Ip) => v4Of(ip).reduce((a, b) => (a << 8) | b, 0) >>> 0;

/** An IPv4 address's network and broadcast addresses. */
export function v4Network(ip: Ip, prefixLength: number): { network: Uint8Array; broadcast: Uint8Array } {
  const mask = maskOf(prefixLength);
  const base = (v4Number(ip) & mask) >>> 0;
  return { network: v4Bytes(base), broadcast: v4Bytes((base | (~mask >>> 0)) >>> 0) };
}

/** RTM_NEWADDR body for one address of link: permanent, its scope, a broadcast on a broadcast link. */
export function addressBody(link: NetworkInterface, ip: Ip, prefixLength: number): Buffer {
  const v4 = isV4(ip);
  const head = Buffer.alloc(8);
  head[0] = v4 ? AF.INET : AF.INET6;
  head[1] = prefixLength;
  head[2] = IFA_F_PERMANENT;
  head[3] = addressScope(link, ip);
  head.writeUInt32LE(link.index, 4);
  const cache = Buffer.alloc(16);
  cache.writeUInt32LE(INFINITY_LIFETIME, 0);
  cache.writeUInt32LE(INFINITY_LIFETIME, 4);
  const attrs = new Attributes().add(IFA.ADDRESS, ipBytes(ip));
  if (v4) attrs.add(IFA.LOCAL, ipBytes(ip));
  if (v4 && link.flags & IFF.BROADCAST) attrs.add(IFA.BROADCAST, v4Network(ip, prefixLength).broadcast);
  if (v4) attrs.string(IFA.LABEL, link.name);
  attrs.u32(IFA.FLAGS, IFA_F_PERMANENT).add(IFA.CACHEINFO, cache);
  return Buffer.concat([head, attrs.bytes()]);
}

export interface Route {
  readonly family: number;
  /** The destination (a network, an address); absent for a default route. */
  readonly destination?: Uint8Array;
  readonly prefixLength: number;
  readonly type: number;
  readonly scope: number;
  readonly table: number;
  readonly protocol: number;
  readonly source?: Ip;
  readonly gateway?: Ip;
  /** The metric (RTA_PRIORITY), which every IPv6 route carries. */
  readonly priority?: number;
  readonly link: number;
}

/**
 * The kernel's routes for an interface: for each address, the local table's (the address,
 * and on lo all of 127/8; the broadcast address) and, but on lo, the main table's prefix
 * route; then
 * a default route through each gateway (added as `ip route add default via` adds it).
 */
export function routesOf(link: NetworkInterface): Route[] {
  const routes: Route[] = [];
  // A link that is down has no routes (fib_disable_ip, rt6_disable_ip).
  if (!(link.flags & IFF.UP)) return routes;
  const loopback = link.type === ARPHRD.LOOPBACK;
  for (const { ip, prefixLength } of link.addresses) {
    if (isV4(ip)) {
      const { network, broadcast } = v4Network(ip, prefixLength);
      const local = { family: AF.INET, table: RT_TABLE_LOCAL, protocol: RTPROT.KERNEL, source: ip, link: link.index };
      if (loopback && prefixLength < 32) routes.push({ ...local, destination: network, prefixLength, type: RTN.LOCAL, scope: RT_SCOPE.HOST });
      routes.push({ ...local, destination: v4Of(ip), prefixLength: 32, type: RTN.LOCAL, scope: RT_SCOPE.HOST });
      if (prefixLength < 31) routes.push({ ...local, destination: broadcast, prefixLength: 32, type: RTN.BROADCAST, scope: RT_SCOPE.LINK });
      if (!loopback) routes.push({ ...local, table: RT_TABLE_MAIN, destination: network, prefixLength, type: RTN.UNICAST, scope: RT_SCOPE.LINK });
    } else {
      const kernel = { family: AF.INET6, protocol: RTPROT.KERNEL, scope: RT_SCOPE.UNIVERSE, link: link.index };
      routes.push({ ...kernel, destination: ip, prefixLength: 128, type: RTN.LOCAL, table: RT_TABLE_LOCAL, priority: 0 });
      const prefix = Uint8Array.from(ip);
      for (let bit = prefixLength; bit < 128; bit++) prefix[bit >> 3]! &= ~(0x80 >> (bit & 7));
      if (!loopback) routes.push({ ...kernel, destination: prefix, prefixLength, type: RTN.UNICAST, table: RT_TABLE_MAIN, priority: IP6_RT_PRIO_ADDRCONF });
    }
  }
  for (const gateway of link.gateways ?? []) {
    const v4 = isV4(gateway);
    routes.push({
      family: v4 ? AF.INET : AF.INET6,
      prefixLength: 0,
      type: RTN.UNICAST,
      scope: RT_SCOPE.UNIVERSE,
      table: RT_TABLE_MAIN,
      protocol: RTPROT.BOOT,
      gateway,
      link: link.index,
      ...(v4 ? {} : { priority: IP6_RT_PRIO_USER }),
    });
  }
  return routes;
}

/**
 * Routes in the order the kernel dumps them: IPv4 before IPv6, table by table, each table
 * in the order of its tree (by destination; IPv6's default route last).
 */
export function inDumpOrder(routes: readonly Route[]): Route[] {
  const key = (r: Route): string => {
    const destination = r.destination ? Buffer.from(r.destination).toString('hex').padStart(32, '0') : r.family === AF.INET6 ? 'g' : '';
    return `${r.family === AF.INET ? 0 : 1}/${r.table}/${destination}/${String(r.prefixLength).padStart(3, '0')}`;
  };
  return [...routes].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** RTM_NEWROUTE body: struct rtmsg and its attributes. */
export function routeBody(route: Route): Buffer {
  const head = Buffer.alloc(12);
  head[0] = route.family;
  head[1] = route.prefixLength;
  head[4] = route.table;
  head[5] = route.protocol;
  head[6] = route.scope;
  head[7] = route.type;
  const attrs = new Attributes().u32(RTA.TABLE, route.table);
  if (route.destination) attrs.add(RTA.DST, route.destination);
  if (route.family === AF.INET6) attrs.u32(RTA.PRIORITY, route.priority ?? 0);
  if (route.source) attrs.add(RTA.PREFSRC, ipBytes(route.source));
  if (route.gateway) attrs.add(RTA.GATEWAY, ipBytes(route.gateway));
  attrs.u32(RTA.OIF, route.link);
  if (route.family === AF.INET6) attrs.u8(RTA.PREF, 0);
  return Buffer.concat([head, attrs.bytes()]);
}
