// AF_NETLINK: NETLINK_ROUTE (what getifaddrs, iproute2 and friends use), and the protocols
// programs probe as a container without privilege finds them: NETLINK_AUDIT, whose kernel
// refuses every message with ECONNREFUSED outside the initial user namespace (so PAM's
// audit of su and runuser goes on, as the kernel's audit_netlink_ok means it to), and
// NETLINK_KOBJECT_UEVENT, which may be bound to hear uevents (none come: the sandbox's
// devices never change) and refuses what is sent without CAP_SYS_ADMIN. The others
// (sock_diag, generic, netfilter ...) are EPROTONOSUPPORT, as on a kernel built without
// them; ss and friends then read /proc/net.

import { E, fail } from '../../abi/errno.js';
import { NETLINK, SOCK } from '../../abi/linux-socket.js';
import type { Socket, SocketFamily } from '../socket.js';
import { NetlinkPorts, NetlinkSocket, type NetlinkHost } from './socket.js';

const PROTOCOLS: readonly number[] = [NETLINK.ROUTE, NETLINK.AUDIT, NETLINK.KOBJECT_UEVENT];

export class NetlinkFamily implements SocketFamily {
  /** Port ids are per protocol, as Linux's netlink tables are. */
  private readonly ports = new Map<number, NetlinkPorts>(PROTOCOLS.map((p) => [p, new NetlinkPorts()]));

  constructor(private readonly host: NetlinkHost) {}

  create(type: number, protocol: number): Socket {
    if (type !== SOCK.RAW && type !== SOCK.DGRAM) fail(E.ESOCKTNOSUPPORT);
    const ports = this.ports.get(protocol) ?? fail(E.EPROTONOSUPPORT);
    return new NetlinkSocket(this.host, ports, type, protocol);
  }

  pair(): [Socket, Socket] {
    return fail(E.EOPNOTSUPP);
  }
}
