// A sandbox's network stack (its network namespace, logically): the address families
// its sockets come from, and their state (AF_UNIX names, the loopback port space). One per
// sandbox, made by the composer and reached by handlers through the kernel's services.

import { E, fail } from '../abi/errno.js';
import type { Socket, SocketCaller, SocketFamily } from './socket.js';

/** Linux's AF_MAX: families at or above it are EAFNOSUPPORT without a lookup. */
const AF_MAX = 46;

export class NetworkStack {
  private readonly families = new Map<number, SocketFamily>();

  /** Adds (or replaces: a host-backed family for --network=host) the family behind domain. */
  register(domain: number, family: SocketFamily): void {
    this.families.set(domain, family);
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
}
