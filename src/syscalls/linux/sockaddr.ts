// struct sockaddr in and out of the workload's memory: the generic rules (at most
// sockaddr_storage, EFAULT), then each family's own, with the errno Linux gives for a
// wrong length or family in bind, connect and sendto (they differ by call and family).

import { E, fail } from '../../abi/errno.js';
import { AF, SOCKADDR_IN6_SIZE, SOCKADDR_IN_SIZE, SOCKADDR_NL_SIZE, SOCKADDR_STORAGE_SIZE, SOCKADDR_UN_SIZE, SOCK, SUN_PATH_OFFSET } from '../../abi/linux-socket.js';
import type { NetlinkAddress, SocketAddress, UnixAddress, Inet4Address, Inet6Address } from '../../netstack/address.js';
import type { Socket } from '../../netstack/socket.js';
import type { TaskMemory } from '../../sentry/kernel/syscall.js';

/** SIN6_LEN_RFC2133: a sockaddr_in6 without sin6_scope_id is accepted. */
const SOCKADDR_IN6_MIN = 24;
const UNSPEC: SocketAddress = { family: AF.UNSPEC };

/** Linux's move_addr_to_kernel: EINVAL past sockaddr_storage or below zero, EFAULT unmapped. */
export function readSockaddr(mem: TaskMemory, addr: bigint, length: number): Buffer {
  if (length < 0 || length > SOCKADDR_STORAGE_SIZE) fail(E.EINVAL);
  return length === 0 ? Buffer.alloc(0) : mem.read(addr, length);
}

function familyOf(raw: Buffer): number {
  return raw.length >= 2 ? raw.readUInt16LE(0) : -1;
}

/**
 * An AF_UNIX name (unix_validate_addr, unix_mkname_bsd): EINVAL for lengths outside
 * (2, 110] or another family; a path stops at its first NUL, an abstract name keeps every byte.
 */
function unixAddress(raw: Buffer): UnixAddress {
  if (raw.length <= SUN_PATH_OFFSET || raw.length > SOCKADDR_UN_SIZE || familyOf(raw) !== AF.UNIX) fail(E.EINVAL);
  const path = raw.subarray(SUN_PATH_OFFSET);
  if (path[0] === 0) return { family: AF.UNIX, name: path.toString('latin1') };
  const end = path.indexOf(0);
  return { family: AF.UNIX, name: path.toString('latin1', 0, end < 0 ? path.length : end) };
}

function inet4Address(raw: Buffer): Inet4Address {
  return { family: AF.INET, port: raw.readUInt16BE(2), ip: Uint8Array.prototype.slice.call(raw, 4, 8) };
}

function inet6Address(raw: Buffer): Inet6Address {
  return {
    family: AF.INET6,
    port: raw.readUInt16BE(2),
    flowinfo: raw.readUInt32BE(4),
    ip: Uint8Array.prototype.slice.call(raw, 8, 24),
    scopeId: raw.length >= SOCKADDR_IN6_SIZE ? raw.readUInt32LE(24) : 0,
  };
}

function netlinkAddress(raw: Buffer): NetlinkAddress {
  if (raw.length < SOCKADDR_NL_SIZE || familyOf(raw) !== AF.NETLINK) fail(E.EINVAL);
  return { family: AF.NETLINK, portId: raw.readUInt32LE(4), groups: raw.readUInt32LE(8) };
}

/** inet_bind's check: the right length, then the family (AF_UNSPEC with INADDR_ANY is let through). */
function inetAddress(socket: Socket, raw: Buffer): SocketAddress {
  if (socket.family === AF.INET) {
    if (raw.length < SOCKADDR_IN_SIZE) fail(E.EINVAL);
    const family = familyOf(raw);
    if (family === AF.INET || (family === AF.UNSPEC && raw.readUInt32BE(4) === 0)) return inet4Address(raw);
    return fail(E.EAFNOSUPPORT);
  }
  if (raw.length < SOCKADDR_IN6_MIN) fail(E.EINVAL);
  if (familyOf(raw) !== AF.INET6) fail(E.EAFNOSUPPORT);
  return inet6Address(raw);
}

/** bind(2)'s address for socket. An AF_UNIX bind with only the family autobinds (name ''). */
export function bindAddress(socket: Socket, raw: Buffer): SocketAddress {
  switch (socket.family) {
    case AF.UNIX:
      if (raw.length === SUN_PATH_OFFSET && familyOf(raw) === AF.UNIX) return { family: AF.UNIX, name: '' };
      return unixAddress(raw);
    case AF.INET:
    case AF.INET6:
      return inetAddress(socket, raw);
    case AF.NETLINK:
      return netlinkAddress(raw);
    default:
      return fail(E.EINVAL);
  }
}

/** connect(2)'s address for socket; AF_UNSPEC dissolves an association where the family allows. */
export function connectAddress(socket: Socket, raw: Buffer): SocketAddress {
  const family = familyOf(raw);
  switch (socket.family) {
    case AF.UNIX:
      if (socket.type !== SOCK.STREAM && socket.type !== SOCK.SEQPACKET) {
        if (raw.length < 2) fail(E.EINVAL);
        if (family === AF.UNSPEC) return UNSPEC;
      }
      return unixAddress(raw);
    case AF.INET:
    case AF.INET6:
      if (raw.length < 2) fail(E.EINVAL);
      if (family === AF.UNSPEC) return UNSPEC;
      // A datagram socket of AF_INET6 may associate with an IPv4 address.
      if (socket.family === AF.INET6 && socket.type === SOCK.DGRAM && family === AF.INET) {
        if (raw.length < SOCKADDR_IN_SIZE) fail(E.EINVAL);
        return inet4Address(raw);
      }
      if (raw.length < (socket.family === AF.INET ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_MIN)) fail(E.EINVAL);
      if (family !== socket.family) fail(E.EAFNOSUPPORT);
      return socket.family === AF.INET ? inet4Address(raw) : inet6Address(raw);
    case AF.NETLINK:
      if (raw.length < 2) fail(E.EINVAL);
      if (family === AF.UNSPEC) return UNSPEC;
      return netlinkAddress(raw);
    default:
      return fail(E.EINVAL);
  }
}

/**
 * sendto/sendmsg's destination for socket, or undefined where the protocol ignores it
 * (TCP, SOCK_SEQPACKET). A unix stream socket gets AF_UNSPEC, which it refuses.
 */
export function sendAddress(socket: Socket, raw: Buffer): SocketAddress | undefined {
  if (raw.length === 0) return undefined;
  const family = familyOf(raw);
  switch (socket.family) {
    case AF.UNIX:
      if (socket.type === SOCK.SEQPACKET) return undefined;
      if (socket.type === SOCK.STREAM) return UNSPEC;
      return unixAddress(raw);
    case AF.INET:
      if (socket.type === SOCK.STREAM) return undefined;
      if (raw.length < SOCKADDR_IN_SIZE) fail(E.EINVAL);
      if (family !== AF.INET && family !== AF.UNSPEC) fail(E.EAFNOSUPPORT);
      return inet4Address(raw);
    case AF.INET6:
      if (socket.type === SOCK.STREAM) return undefined;
      if (raw.length < 2) fail(E.EINVAL);
      if (family === AF.UNSPEC) return undefined;
      if (family === AF.INET) {
        if (raw.length < SOCKADDR_IN_SIZE) fail(E.EINVAL);
        return inet4Address(raw);
      }
      if (family !== AF.INET6) fail(E.EINVAL);
      if (raw.length < SOCKADDR_IN6_MIN) fail(E.EINVAL);
      return inet6Address(raw);
    case AF.NETLINK:
      return netlinkAddress(raw);
    default:
      return undefined;
  }
}

/** An address as the kernel hands it out (getsockname, getpeername, accept, recvfrom). */
export function encodeSockaddr(address: SocketAddress): Buffer {
  switch (address.family) {
    case AF.UNIX: {
      const name = Buffer.from(address.name, 'latin1');
      // A path comes back with its NUL; an abstract name is its bytes; no name, the family alone.
      const length = SUN_PATH_OFFSET + name.length + (name.length > 0 && name[0] !== 0 ? 1 : 0);
      const out = Buffer.alloc(length);
      out.writeUInt16LE(AF.UNIX, 0);
      name.copy(out, SUN_PATH_OFFSET);
      return out;
    }
    case AF.INET: {
      const out = Buffer.alloc(SOCKADDR_IN_SIZE);
      out.writeUInt16LE(AF.INET, 0);
      out.writeUInt16BE(address.port, 2);
      out.set(address.ip, 4);
      return out;
    }
    case AF.INET6: {
      const out = Buffer.alloc(SOCKADDR_IN6_SIZE);
      out.writeUInt16LE(AF.INET6, 0);
      out.writeUInt16BE(address.port, 2);
      out.writeUInt32BE(address.flowinfo, 4);
      out.set(address.ip, 8);
      out.writeUInt32LE(address.scopeId, 24);
      return out;
    }
    case AF.NETLINK: {
      const out = Buffer.alloc(SOCKADDR_NL_SIZE);
      out.writeUInt16LE(AF.NETLINK, 0);
      out.writeUInt32LE(address.portId, 4);
      out.writeUInt32LE(address.groups, 8);
      return out;
    }
    default: {
      const out = Buffer.alloc(2);
      out.writeUInt16LE(AF.UNSPEC, 0);
      return out;
    }
  }
}

/**
 * Linux's move_addr_to_user: reads the caller's buffer size at lengthAddr (EINVAL when
 * negative), copies at most that much of the address, and writes the full length back.
 * An undefined address has length 0.
 */
export function writeSockaddr(mem: TaskMemory, address: SocketAddress | undefined, addr: bigint, lengthAddr: bigint): void {
  const room = mem.read(lengthAddr, 4).readInt32LE(0);
  if (room < 0) fail(E.EINVAL);
  const encoded = address ? encodeSockaddr(address) : Buffer.alloc(0);
  const n = Math.min(room, encoded.length);
  if (n > 0) mem.write(addr, encoded.subarray(0, n));
  const length = Buffer.alloc(4);
  length.writeInt32LE(encoded.length, 0);
  mem.write(lengthAddr, length);
}

const FAMILY_NAMES: Record<number, string> = { [AF.UNSPEC]: 'AF_UNSPEC', [AF.UNIX]: 'AF_UNIX', [AF.INET]: 'AF_INET', [AF.INET6]: 'AF_INET6', [AF.NETLINK]: 'AF_NETLINK', [AF.PACKET]: 'AF_PACKET' };

export function familyName(family: number): string {
  return FAMILY_NAMES[family] ?? String(family);
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!).toString(16));
  // The longest run of zero words becomes "::", as inet_ntop writes it.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLength).join(':')}`;
}

/** A sockaddr for people (--strace), in strace's manner; raw bytes for a family it does not know. */
export function describeSockaddr(raw: Buffer): string {
  if (raw.length < 2) return '{}';
  const family = raw.readUInt16LE(0);
  const head = `sa_family=${familyName(family)}`;
  if (family === AF.UNIX) {
    if (raw.length === SUN_PATH_OFFSET) return `{${head}}`;
    const path = raw.subarray(SUN_PATH_OFFSET);
    const text = path[0] === 0 ? `@${path.toString('latin1', 1)}` : path.toString('latin1', 0, path.indexOf(0) < 0 ? path.length : path.indexOf(0));
    return `{${head}, sun_path=${JSON.stringify(text)}}`;
  }
  if (family === AF.INET && raw.length >= SOCKADDR_IN_SIZE) return `{${head}, sin_port=htons(${raw.readUInt16BE(2)}), sin_addr=inet_addr("${ipText(raw.subarray(4, 8))}")}`;
  if (family === AF.INET6 && raw.length >= SOCKADDR_IN6_MIN) return `{${head}, sin6_port=htons(${raw.readUInt16BE(2)}), sin6_addr="${ipText(raw.subarray(8, 24))}"}`;
  if (family === AF.NETLINK && raw.length >= SOCKADDR_NL_SIZE) return `{${head}, nl_pid=${raw.readUInt32LE(4)}, nl_groups=${raw.readUInt32LE(8).toString(16).padStart(8, '0')}}`;
  return `{${head}, ${raw.length} bytes}`;
}
