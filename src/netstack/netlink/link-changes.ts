// NETLINK_ROUTE's changes to a stack's own lo: RTM_NEWLINK/RTM_SETLINK bringing it up or
// down (`ip link set lo up`, bubblewrap's --unshare-net) and RTM_NEWADDR/RTM_DELADDR of
// its addresses, as rtnl_setlink, inet_rtm_newaddr and inet6_rtm_newaddr answer them.
// Every other interface of a stack is fixed (eth0 of --network=sandbox, the host's own):
// changing one is EOPNOTSUPP, as is making a new link (`ip link add`).

import { E, isSysError } from '../../abi/errno.js';
import { AF } from '../../abi/linux-socket.js';
import { mapV4, type Ip } from '../inet/ip.js';
import { IFF, Loopback, type NetworkInterface } from '../interfaces.js';
import { RTM } from './route.js';

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;
const IFLA_IFNAME = 3;
const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
const NLM_F_CREATE = 0x400;

/** The rtattrs of a request body from offset: type -> payload (EINVAL for a malformed one). */
function attributes(body: Buffer, offset: number): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  for (let at = offset; at + 4 <= body.length; ) {
    const length = body.readUInt16LE(at);
    if (length < 4 || at + length > body.length) return undefined;
    out.set(body.readUInt16LE(at + 2) & 0x3fff, body.subarray(at + 4, at + length));
    at += (length + 3) & ~3;
  }
  return out;
}

/** The errno of one change request (0: done), type one of RTM_NEWLINK, SETLINK, NEWADDR, DELADDR. */
export function changeLink(links: readonly NetworkInterface[], type: number, flags: number, body: Buffer): number {
  try {
    return type === RTM.NEWLINK || type === RTM.SETLINK ? setLink(links, type, flags, body) : changeAddress(links, type, body);
  } catch (error) {
    if (isSysError(error)) return error.errno;
    throw error;
  }
}

function setLink(links: readonly NetworkInterface[], type: number, flags: number, body: Buffer): number {
  if (body.length < IFINFOMSG_LEN) return E.EINVAL;
  const attrs = attributes(body, IFINFOMSG_LEN);
  if (!attrs) return E.EINVAL;
  const index = body.readInt32LE(4);
  const name = attrs.get(IFLA_IFNAME)?.toString('latin1').replace(/\0.*$/s, '');
  const link = index > 0 ? links.find((l) => l.index === index) : links.find((l) => l.name === name);
  if (!link) return type === RTM.NEWLINK && flags & NLM_F_CREATE ? E.EOPNOTSUPP : E.ENODEV;
  // Only the up flag is modelled: a request setting anything else (mtu, address, master) is refused whole.
  if ([...attrs.keys()].some((key) => key !== IFLA_IFNAME) || !(link instanceof Loopback)) return E.EOPNOTSUPP;
  const ifiFlags = body.readUInt32LE(8);
  const change = body.readUInt32LE(12);
  // rtnl_dev_combine_flags: without ifi_change the request's flags are the link's new ones.
  const wanted = change === 0 ? ifiFlags : (ifiFlags & change) | (link.flags & ~change);
  link.setUp((wanted & IFF.UP) !== 0);
  return 0;
}

function changeAddress(links: readonly NetworkInterface[], type: number, body: Buffer): number {
  if (body.length < IFADDRMSG_LEN) return E.EINVAL;
  const family = body[0] as number;
  const prefixLength = body[1] as number;
  const attrs = attributes(body, IFADDRMSG_LEN);
  if (!attrs) return E.EINVAL;
  if (family !== AF.INET && family !== AF.INET6) return E.EOPNOTSUPP;
  const size = family === AF.INET ? 4 : 16;
  if (prefixLength > size * 8) return E.EINVAL;
  const link = links.find((l) => l.index === body.readInt32LE(4));
  if (!link) return E.ENODEV;
  const raw = attrs.get(IFA.LOCAL) ?? attrs.get(IFA.ADDRESS);
  if (!raw || raw.length < size) return E.EINVAL;
  if (!(link instanceof Loopback)) return E.EOPNOTSUPP;
  const ip: Ip = family === AF.INET ? mapV4(raw.subarray(0, 4)) : Uint8Array.from(raw.subarray(0, 16));
  if (type === RTM.NEWADDR) link.addAddress({ ip, prefixLength });
  else link.removeAddress(ip);
  return 0;
}
