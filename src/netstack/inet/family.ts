// AF_INET and AF_INET6: TCP and UDP sockets over the stack's own loopback. Both families
// share one InetNamespace (one port space per protocol), as Linux's dual stack does.

import { E, fail } from '../../abi/errno.js';
import { IPPROTO, SOCK } from '../../abi/linux-socket.js';
import { CAP_NET_RAW, hasCapability, type Socket, type SocketCaller, type SocketFamily } from '../socket.js';
import type { InetNamespace } from './namespace.js';
import type { InetTraffic } from './socket.js';
import { TcpSocket } from './tcp.js';
import { UdpSocket } from './udp.js';

/** inet_create's choice by type and protocol, with its errnos: TCP or UDP, nothing else. */
export function inetProtocolOf(type: number, protocol: number, caller: SocketCaller): 'tcp' | 'udp' {
  switch (type) {
    case SOCK.STREAM:
      if (protocol !== 0 && protocol !== IPPROTO.TCP) fail(E.EPROTONOSUPPORT);
      return 'tcp';
    case SOCK.DGRAM:
      if (protocol === IPPROTO.ICMP || protocol === IPPROTO.ICMPV6) {
        // Ping sockets need a group in net.ipv4.ping_group_range, empty by default.
        fail(E.EACCES);
      }
      if (protocol !== 0 && protocol !== IPPROTO.UDP) fail(E.EPROTONOSUPPORT);
      return 'udp';
    case SOCK.RAW:
      if (!hasCapability(caller, CAP_NET_RAW)) fail(E.EPERM);
      return fail(E.EPROTONOSUPPORT);
    default:
      return fail(E.ESOCKTNOSUPPORT);
  }
}

export class InetFamily implements SocketFamily {
  constructor(
    private readonly domain: number,
    private readonly ns: InetNamespace,
  ) {}

  create(type: number, protocol: number, caller: SocketCaller): Socket {
    const ns = this.ns as InetTraffic;
    if (inetProtocolOf(type, protocol, caller) === 'tcp') return new TcpSocket(ns, this.domain, caller.cred.uid);
    return new UdpSocket(ns, this.domain, caller.cred.uid);
  }

  pair(): [Socket, Socket] {
    return fail(E.EOPNOTSUPP);
  }
}
