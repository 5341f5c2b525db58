// A protocol's port space in one stack (TCP's, UDP's): who holds which address and port,
// with Linux's rules for sharing one (SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY and the
// overlap of 0.0.0.0, :: and specific addresses), ephemeral ports from
// ip_local_port_range, and the lookup that finds the socket traffic for an address goes to.

import { E, fail } from '../../abi/errno.js';
import { AF } from '../../abi/linux-socket.js';
import { isV4, sameIp, V4_ANY, V6_ANY, type Ip } from './ip.js';

/** What the table needs to know of a socket that holds a port. */
export interface PortHolder {
  readonly family: number;
  readonly localIp: Ip;
  readonly localPort: number;
  /** IPV6_V6ONLY: an AF_INET6 socket on :: that takes no IPv4 traffic. */
  readonly v6only: boolean;
  readonly reuseAddressFlag: boolean;
  readonly reusePortFlag: boolean;
  readonly ownerUid: number;
  readonly isListening: boolean;
}

/** What a bind would hold, checked against the holders of the port. */
export interface Claim {
  readonly ip: Ip;
  readonly v6only: boolean;
  readonly reuseAddress: boolean;
  readonly reusePort: boolean;
  readonly uid: number;
  readonly listening: boolean;
}

/** Whether two local addresses take some traffic in common (inet_rcv_saddr_equal with wildcards). */
function overlap(a: Ip, aV6only: boolean, b: Ip, bV6only: boolean): boolean {
  if (sameIp(a, b)) return true;
  if (sameIp(a, V6_ANY)) return isV4(b) ? !aV6only : true;
  if (sameIp(b, V6_ANY)) return isV4(a) ? !bV6only : true;
  if (sameIp(a, V4_ANY)) return isV4(b);
  if (sameIp(b, V4_ANY)) return isV4(a);
  return false;
}

/** Whether a holder bound to local takes traffic addressed to destination. */
export function takesTrafficFor(local: Ip, v6only: boolean, destination: Ip): boolean {
  if (sameIp(local, destination)) return true;
  if (sameIp(local, V6_ANY)) return !isV4(destination) || !v6only;
  return sameIp(local, V4_ANY) && isV4(destination);
}

export class PortTable<S extends PortHolder> {
  private readonly byPort = new Map<number, Set<S>>();

  constructor(
    /** TCP keeps SO_REUSEADDR from sharing a port with a listener; UDP has no listeners. */
    private readonly stream: boolean,
    private readonly range: readonly [number, number],
  ) {}

  private conflicts(claim: Claim, other: S): boolean {
    if (!overlap(claim.ip, claim.v6only, other.localIp, other.v6only)) return false;
    const sharedPort = claim.reusePort && other.reusePortFlag && claim.uid === other.ownerUid;
    const sharedAddress = claim.reuseAddress && other.reuseAddressFlag && (!this.stream || (!other.isListening && !claim.listening));
    return !sharedPort && !sharedAddress;
  }

  /** Whether socket may hold port with claim (itself excluded). */
  available(socket: S | undefined, port: number, claim: Claim): boolean {
    for (const other of this.byPort.get(port) ?? []) {
      if (other !== socket && this.conflicts(claim, other)) return false;
    }
    return true;
  }

  /** A port for a bind of port 0 or a connect's implicit bind: a free one from the range, from a random start. */
  ephemeral(): number {
    const [low, high] = this.range;
    const count = high - low + 1;
    const start = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const port = low + ((start + i) % count);
      if (!this.byPort.get(port)?.size) return port;
    }
    return fail(E.EADDRNOTAVAIL);
  }

  /** Records socket as holding port (the caller checked available()). */
  add(socket: S, port: number): void {
    let holders = this.byPort.get(port);
    if (!holders) this.byPort.set(port, (holders = new Set()));
    holders.add(socket);
  }

  remove(socket: S, port: number): void {
    const holders = this.byPort.get(port);
    holders?.delete(socket);
    if (holders?.size === 0) this.byPort.delete(port);
  }

  /**
   * The socket that takes traffic for destination:port among those rank() admits (it may
   * add to their score, as a connected UDP socket's peer match does): an exact address
   * before a wildcard, an AF_INET socket before an AF_INET6 one for IPv4.
   */
  find(destination: Ip, port: number, rank: (socket: S) => number | undefined): S | undefined {
    let best: S | undefined;
    let bestScore = -1;
    for (const socket of this.byPort.get(port) ?? []) {
      const extra = rank(socket);
      if (extra === undefined || !takesTrafficFor(socket.localIp, socket.v6only, destination)) continue;
      const score = extra * 8 + (sameIp(socket.localIp, destination) ? 4 : 2) + (isV4(destination) && socket.family === AF.INET ? 1 : 0);
      if (score > bestScore) {
        best = socket;
        bestScore = score;
      }
    }
    return best;
  }

  /** Every holder, for /proc/net. */
  *holders(): Iterable<S> {
    for (const set of this.byPort.values()) yield* set;
  }
}
