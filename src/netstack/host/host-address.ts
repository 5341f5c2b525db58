// Addresses as the host kernel takes and gives them for the sentry's own host sockets:
// struct sockaddr_in and sockaddr_in6 (never the workload's memory: the syscall layer
// decodes that), from and to the stack's 16-byte form.

import { AF, SOCKADDR_IN6_SIZE, SOCKADDR_IN_SIZE } from '../../abi/linux-socket.js';
import { isV4, mapV4, v4Of, type Ip } from '../inet/ip.js';

/** Room for either sockaddr. */
export const HOST_SOCKADDR_SIZE = SOCKADDR_IN6_SIZE;

/** The sockaddr a host socket of domain takes for ip:port (v4-mapped on an AF_INET6 socket). */
export function hostSockaddr(domain: number, ip: Ip, port: number): Buffer {
  if (domain === AF.INET) {
    const out = Buffer.alloc(SOCKADDR_IN_SIZE);
    out.writeUInt16LE(AF.INET, 0);
    out.writeUInt16BE(port, 2);
    out.set(v4Of(ip), 4);
    return out;
  }
  const out = Buffer.alloc(SOCKADDR_IN6_SIZE);
  out.writeUInt16LE(AF.INET6, 0);
  out.writeUInt16BE(port, 2);
  out.set(ip, 8);
  return out;
}

/** ip:port of a sockaddr the host wrote (length bytes of it); undefined for another family. */
export function endpointOfHost(raw: Buffer, length: number): { ip: Ip; port: number } | undefined {
  if (length < 2) return undefined;
  const family = raw.readUInt16LE(0);
  if (family === AF.INET && length >= SOCKADDR_IN_SIZE) return { ip: mapV4(raw.subarray(4, 8)), port: raw.readUInt16BE(2) };
  if (family === AF.INET6 && length >= 24) return { ip: Uint8Array.prototype.slice.call(raw, 8, 24), port: raw.readUInt16BE(2) };
  return undefined;
}

/** The host domain that reaches ip: AF_INET for IPv4, AF_INET6 otherwise. */
export function domainOf(ip: Ip): number {
  return isV4(ip) ? AF.INET : AF.INET6;
}
