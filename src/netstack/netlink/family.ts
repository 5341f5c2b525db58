// AF_NETLINK: NETLINK_ROUTE only (what getifaddrs, iproute2 and friends use); the other
// netlink protocols (audit, uevents, sock_diag, ...) are EPROTONOSUPPORT, as on a kernel
// built without them.

import { E, fail } from '../../abi/errno.js';
import { NETLINK, SOCK } from '../../abi/linux-socket.js';
import type { Socket, SocketFamily } from '../socket.js';
import { NetlinkPorts, NetlinkSocket, type NetlinkHost } from './socket.js';

export class NetlinkFamily implements SocketFamily {
  private readonly ports = new NetlinkPorts();

  constructor(private readonly host: NetlinkHost) {}

  create(type: number, protocol: number): Socket {
    if (type !== SOCK.RAW && type !== SOCK.DGRAM) fail(E.ESOCKTNOSUPPORT);
    if (protocol !== NETLINK.ROUTE) fail(E.EPROTONOSUPPORT);
    return new NetlinkSocket(this.host, this.ports, type, protocol);
  }

  pair(): [Socket, Socket] {
    return fail(E.EOPNOTSUPP);
  }
}
