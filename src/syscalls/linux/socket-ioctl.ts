// The interface ioctls any socket answers (SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR, ...:
// what ifconfig and older programs use), from the sandbox's own interfaces, with
// struct ifreq and struct ifconf as x86-64 lays them out. SIOCSIFFLAGS brings a stack's
// own lo up or down (`ifconfig lo up` in a new network namespace) with CAP_NET_ADMIN;
// changing anything else is EPERM: the sandbox's other interfaces are fixed.

import { E, fail } from '../../abi/errno.js';
import { AF, SIOC } from '../../abi/linux-socket.js';
import { isV4, v4Of } from '../../netstack/inet/ip.js';
import { IFF, Loopback, type NetworkInterface } from '../../netstack/interfaces.js';
import type { NetworkStack } from '../../netstack/stack.js';
import type { UserMemory } from '../../vfs/api.js';

/** struct ifreq: char ifr_name[16], then a 24-byte union. */
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;
/** struct ifconf: int ifc_len (padded to 8), then the buffer pointer. */
const IFCONF_SIZE = 16;
const SETTERS = new Set([0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8922, 0x8924, 0x8934, 0x8943]);

function sockaddrIn(ip: Uint8Array): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt16LE(AF.INET, 0);
  out.set(ip, 4);
  return out;
}

function v4AddressOf(link: NetworkInterface): { ip: Uint8Array; prefixLength: number } | undefined {
  const found = link.addresses.find((a) => isV4(a.ip));
  return found ? { ip: v4Of(found.ip), prefixLength: found.prefixLength } : undefined;
}

function netmask(prefixLength: number): Uint8Array {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return Uint8Array.from([mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255]);
}

/** SIOCGIFBRDADDR: the broadcast address of a broadcast link's subnet, 0.0.0.0 elsewhere (lo). */
function broadcastOf(link: NetworkInterface, v4: { ip: Uint8Array; prefixLength: number }): Uint8Array {
  if (!(link.flags & IFF.BROADCAST)) return new Uint8Array(4);
  const mask = netmask(v4.prefixLength);
  return v4.ip.map((b, i) => b | (~mask[i]! & 0xff));
}

/** SIOCGIFCONF: one ifreq per IPv4 address, as many as the buffer holds (its size alone for NULL). */
function interfaceConfiguration(stack: NetworkStack, arg: bigint, memory: UserMemory): number {
  const conf = Buffer.from(memory.read(arg, IFCONF_SIZE));
  const room = conf.readInt32LE(0);
  const buffer = conf.readBigUInt64LE(8);
  const entries = stack.interfaces.flatMap((link) => link.addresses.filter((a) => isV4(a.ip)).map((a) => ({ link, ip: v4Of(a.ip) })));
  let length = entries.length * IFREQ_SIZE;
  if (buffer !== 0n) {
    const fit = Math.max(0, Math.min(entries.length, Math.floor(room / IFREQ_SIZE)));
    const out = Buffer.alloc(fit * IFREQ_SIZE);
    entries.slice(0, fit).forEach(({ link, ip }, i) => {
      out.write(link.name, i * IFREQ_SIZE, IFNAMSIZ - 1, 'latin1');
      sockaddrIn(ip).copy(out, i * IFREQ_SIZE + IFNAMSIZ);
    });
    if (fit > 0) memory.write(buffer, out);
    length = fit * IFREQ_SIZE;
  }
  const lengthOut = Buffer.alloc(4);
  lengthOut.writeInt32LE(length, 0);
  memory.write(arg, lengthOut);
  return 0;
}

/** SIOCSIFFLAGS (dev_change_flags): lo's up flag; the other interfaces stay as they are (EPERM). */
function setFlags(stack: NetworkStack, arg: bigint, memory: UserMemory): number {
  const ifreq = Buffer.from(memory.read(arg, IFREQ_SIZE));
  const name = ifreq.toString('latin1', 0, IFNAMSIZ).replace(/\0.*$/s, '');
  const link = stack.interfaces.find((l) => l.name === name) ?? fail(E.ENODEV);
  if (!(link instanceof Loopback)) fail(E.EPERM);
  link.setUp((ifreq.readUInt16LE(IFNAMSIZ) & IFF.UP) !== 0);
  return 0;
}

/** The ioctls of interfaces (dev_ioctl and devinet_ioctl); ENOTTY for what no socket answers. */
export function interfaceIoctl(stack: NetworkStack, request: number, arg: bigint, memory: UserMemory, mayAdminister: boolean): number {
  if (request === SIOC.GIFCONF) return interfaceConfiguration(stack, arg, memory);
  if (request === SIOC.SIFFLAGS && mayAdminister) return setFlags(stack, arg, memory);
  if (SETTERS.has(request)) fail(E.EPERM);
  const known = [SIOC.GIFNAME, SIOC.GIFFLAGS, SIOC.GIFADDR, SIOC.GIFDSTADDR, SIOC.GIFBRDADDR, SIOC.GIFNETMASK, SIOC.GIFMETRIC, SIOC.GIFMTU, SIOC.GIFHWADDR, SIOC.GIFINDEX, SIOC.GIFTXQLEN] as number[];
  if (!known.includes(request)) fail(E.ENOTTY);
  const ifreq = Buffer.from(memory.read(arg, IFREQ_SIZE));
  let link: NetworkInterface | undefined;
  if (request === SIOC.GIFNAME) {
    const index = ifreq.readInt32LE(IFNAMSIZ);
    link = stack.interfaces.find((l) => l.index === index);
    if (!link) fail(E.ENODEV);
    ifreq.fill(0, 0, IFNAMSIZ);
    ifreq.write(link.name, 0, IFNAMSIZ - 1, 'latin1');
    memory.write(arg, ifreq);
    return 0;
  }
  const name = ifreq.toString('latin1', 0, IFNAMSIZ).replace(/\0.*$/s, '');
  link = stack.interfaces.find((l) => l.name === name);
  if (!link) fail(E.ENODEV);
  const union = Buffer.alloc(24);
  switch (request) {
    case SIOC.GIFFLAGS:
      union.writeUInt16LE(link.flags & 0xffff, 0);
      break;
    case SIOC.GIFMETRIC:
      break;
    case SIOC.GIFMTU:
      union.writeInt32LE(link.mtu, 0);
      break;
    case SIOC.GIFINDEX:
      union.writeInt32LE(link.index, 0);
      break;
    case SIOC.GIFTXQLEN:
      union.writeInt32LE(1000, 0);
      break;
    case SIOC.GIFHWADDR:
      union.writeUInt16LE(link.type, 0);
      union.set(link.hardware, 2);
      break;
    default: {
      // The IPv4 address requests (devinet_ioctl): EADDRNOTAVAIL without one.
      const v4 = v4AddressOf(link);
      if (!v4) fail(E.EADDRNOTAVAIL);
      const value = request === SIOC.GIFNETMASK ? netmask(v4.prefixLength) : request === SIOC.GIFBRDADDR ? broadcastOf(link, v4) : v4.ip;
      sockaddrIn(value).copy(union, 0);
    }
  }
  union.copy(ifreq, IFNAMSIZ);
  memory.write(arg, ifreq);
  return 0;
}
