// IP addresses inside the stack: every address is kept as 16 bytes, an IPv4 address as
// its v4-mapped IPv6 form (::ffff:a.b.c.d), so one port space serves AF_INET and
// dual-stack AF_INET6 sockets as Linux's does.

import { AF } from '../../abi/linux-socket.js';
import type { InetAddress } from '../address.js';

export type Ip = Uint8Array;

export const V6_ANY: Ip = new Uint8Array(16);
export const V6_LOOPBACK: Ip = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
export const V4_ANY: Ip = mapV4(new Uint8Array(4));
export const V4_LOOPBACK: Ip = mapV4(Uint8Array.from([127, 0, 0, 1]));

export function mapV4(v4: Uint8Array): Ip {
  const ip = new Uint8Array(16);
  ip[10] = 0xff;
  ip[11] = 0xff;
  ip.set(v4.subarray(0, 4), 12);
  return ip;
}

export function isV4(ip: Ip): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

export function v4Of(ip: Ip): Uint8Array {
  return ip.slice(12, 16);
}

export function sameIp(a: Ip, b: Ip): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 0.0.0.0 or :: (a wildcard bind, or a destination that means this host). */
export function isAny(ip: Ip): boolean {
  return sameIp(ip, V6_ANY) || sameIp(ip, V4_ANY);
}

export function isLoopback(ip: Ip): boolean {
  return (isV4(ip) && ip[12] === 127) || sameIp(ip, V6_LOOPBACK);
}

/** 255.255.255.255. */
export function isLimitedBroadcast(ip: Ip): boolean {
  return isV4(ip) && ip[12] === 255 && ip[13] === 255 && ip[14] === 255 && ip[15] === 255;
}

/** IPv4 multicast or limited broadcast, or IPv6 multicast: never a connection's end. */
export function isMulticastOrBroadcast(ip: Ip): boolean {
  if (isV4(ip)) return (ip[12]! & 0xf0) === 0xe0 || isLimitedBroadcast(ip);
  return ip[0] === 0xff;
}

/** The 16-byte form of an address given to a socket of family, and its port. */
export function endpointOf(address: InetAddress): { ip: Ip; port: number } {
  return { ip: address.family === AF.INET ? mapV4(address.ip) : Uint8Array.from(address.ip), port: address.port };
}

/** An endpoint as a socket of family shows it (an AF_INET6 socket keeps v4-mapped addresses). */
export function addressOf(family: number, ip: Ip, port: number): InetAddress {
  if (family === AF.INET) return { family: AF.INET, ip: v4Of(ip), port };
  return { family: AF.INET6, ip: Uint8Array.from(ip), port, flowinfo: 0, scopeId: 0 };
}

/** An address in text (dotted IPv4, or IPv6 with `::` and an embedded IPv4 tail) in the 16-byte form; undefined if it is neither. */
export function parseIp(text: string): Ip | undefined {
  const v4 = parseV4(text);
  if (v4) return mapV4(v4);
  const halves = text.split('::');
  if (halves.length > 2 || text === '') return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      const tail = i === pieces.length - 1 ? parseV4(piece) : undefined;
      if (tail) {
        out.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      out.push(parseInt(piece, 16));
    }
    return out;
  };
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  const ip = new Uint8Array(16);
  all.forEach((w, i) => {
    ip[i * 2] = w >> 8;
    ip[i * 2 + 1] = w & 0xff;
  });
  return ip;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}
