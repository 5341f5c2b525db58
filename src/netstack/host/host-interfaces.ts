// The interfaces of a host network namespace, for --network=host: what getifaddrs gives
// there (names, indexes, flags, addresses and prefixes, hardware addresses), so the
// sandbox's netlink dumps and interface ioctls describe the network its sockets are on.

import { AF } from '../../abi/linux-socket.js';
import { mapV4, type Ip } from '../inet/ip.js';
import { ARPHRD, IFF, LOOPBACK_MTU, type InterfaceAddress, type NetworkInterface } from '../interfaces.js';
import type { HostNetwork } from './host-network.js';

/** A netmask's prefix length (its leading ones). */
function prefixOf(mask: Buffer | null): number {
  if (!mask) return 0;
  let bits = 0;
  for (const byte of mask) {
    if (byte === 0xff) bits += 8;
    else {
      for (let b = byte; b & 0x80; b = (b << 1) & 0xff) bits++;
      break;
    }
  }
  return bits;
}

export function hostInterfaces(network: HostNetwork): NetworkInterface[] {
  const links = new Map<string, { index: number; flags: number; hardware: Uint8Array; addresses: InterfaceAddress[] }>();
  for (const [name, index, flags, family, address, netmask] of network.interfaces()) {
    let link = links.get(name);
    if (!link) links.set(name, (link = { index, flags, hardware: new Uint8Array(6), addresses: [] }));
    if (family === AF.PACKET && address) link.hardware = Uint8Array.from(address);
    if ((family === AF.INET || family === AF.INET6) && address) {
      const ip: Ip = family === AF.INET ? mapV4(address) : Uint8Array.from(address);
      link.addresses.push({ ip, prefixLength: prefixOf(netmask) });
    }
  }
  const out: NetworkInterface[] = [];
  for (const [name, link] of links) {
    const loopback = (link.flags & IFF.LOOPBACK) !== 0;
    out.push({
      index: link.index,
      name,
      flags: link.flags,
      mtu: loopback ? LOOPBACK_MTU : 1500,
      type: loopback ? ARPHRD.LOOPBACK : ARPHRD.ETHER,
      hardware: link.hardware,
      addresses: link.addresses,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}
