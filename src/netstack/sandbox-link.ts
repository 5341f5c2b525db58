// eth0 of a --network=sandbox stack: the addresses, gateways and hardware address a
// rootless container has behind slirp4netns (10.0.2.100/24 through 10.0.2.2, fd00::100/64
// through fd00::2), so programs that look for an interface, an address or a default route
// find them. They name the sandbox's side only: what leaves goes out from the host's own
// address (or the spec's namespace's), as a NAT would send it.

import { mapV4, type Ip } from './inet/ip.js';
import { ARPHRD, IFF, linkLocalOf, type NetworkInterface } from './interfaces.js';

const v4 = (a: number, b: number, c: number, d: number): Ip => mapV4(Uint8Array.of(a, b, c, d));
const v6 = (...words: number[]): Ip => {
  const ip = new Uint8Array(16);
  words.forEach((w, i) => {
    ip[i * 2] = w >> 8;
    ip[i * 2 + 1] = w & 0xff;
  });
  return ip;
};

const HARDWARE = Uint8Array.of(0x02, 0x00, 0x0a, 0x00, 0x02, 0x64);

export const SANDBOX_GATEWAY_V4 = v4(10, 0, 2, 2);
export const SANDBOX_GATEWAY_V6 = v6(0xfd00, 0, 0, 0, 0, 0, 0, 2);

export const SANDBOX_LINK: NetworkInterface = {
  index: 2,
  name: 'eth0',
  flags: IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.MULTICAST | IFF.LOWER_UP,
  mtu: 1500,
  type: ARPHRD.ETHER,
  hardware: HARDWARE,
  addresses: [
    { ip: v4(10, 0, 2, 100), prefixLength: 24 },
    { ip: v6(0xfd00, 0, 0, 0, 0, 0, 0, 0x100), prefixLength: 64 },
    { ip: linkLocalOf(HARDWARE), prefixLength: 64 },
  ],
  gateways: [SANDBOX_GATEWAY_V4, SANDBOX_GATEWAY_V6],
};
