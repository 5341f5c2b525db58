// Socket addresses as the netstack keeps them, decoded from the workload's sockaddr by the
// syscall layer (src/syscalls/linux/sockaddr.ts) and encoded back by it.

import { AF } from '../abi/linux-socket.js';

/**
 * An AF_UNIX name: a path (latin1 bytes, no NUL), an abstract name (starts with "\0",
 * every byte counts), or '' for a socket that has none.
 */
export interface UnixAddress {
  readonly family: typeof AF.UNIX;
  readonly name: string;
}

export interface Inet4Address {
  readonly family: typeof AF.INET;
  /** Four bytes, network order. */
  readonly ip: Uint8Array;
  readonly port: number;
}

export interface Inet6Address {
  readonly family: typeof AF.INET6;
  /** Sixteen bytes, network order. */
  readonly ip: Uint8Array;
  readonly port: number;
  readonly flowinfo: number;
  readonly scopeId: number;
}

export interface NetlinkAddress {
  readonly family: typeof AF.NETLINK;
  readonly portId: number;
  readonly groups: number;
}

/** AF_UNSPEC: what connect takes to dissolve a datagram socket's association. */
export interface UnspecAddress {
  readonly family: typeof AF.UNSPEC;
}

export type SocketAddress = UnixAddress | Inet4Address | Inet6Address | NetlinkAddress | UnspecAddress;
export type InetAddress = Inet4Address | Inet6Address;

export function isAbstract(address: UnixAddress): boolean {
  return address.name.startsWith('\0');
}

export const UNNAMED_UNIX: UnixAddress = { family: AF.UNIX, name: '' };
