// /proc/net as programs read it (netstat, ss's fallback, lsof, ifconfig): the stack's
// sockets and interfaces in Linux's text formats (tcp_seq_show, udp_seq_show,
// unix_seq_show, dev_seq_show, if6_seq_show). Kernel pointers show as zeros, as they do
// to a reader without CAP_SYSLOG.

import { AF } from '../abi/linux-socket.js';
import { isV4, v4Of, type Ip } from './inet/ip.js';
import { addressScope, inDumpOrder, routesOf } from './netlink/route.js';
import type { InetSocket } from './inet/socket.js';
import type { NetworkStack } from './stack.js';

const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const UDP_HEADER = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
const UDP6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
const POINTER = '0000000000000000';

const hex = (n: number, width: number) => (n >>> 0).toString(16).toUpperCase().padStart(width, '0');

/** An address as the kernel prints it: its 32-bit words in host (little-endian) order. */
function hexAddress(ip: Ip, v6: boolean): string {
  const bytes = v6 ? ip : ip.subarray(12, 16);
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) out += hex(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24), 8);
  return out;
}

function inetRows(sockets: Iterable<InetSocket>, family: number, tcp: boolean): string[] {
  const v6 = family === AF.INET6;
  const rows: string[] = [];
  for (const socket of sockets) {
    if (socket.family !== family) continue;
    const proc = socket.procState();
    if (!proc) continue;
    const slot = rows.length;
    const local = `${hexAddress(socket.localIp, v6)}:${hex(socket.localPort, 4)}`;
    const remote = `${hexAddress(socket.remoteIp, v6)}:${hex(socket.remotePort, 4)}`;
    const common = `${local} ${remote} ${hex(proc.state, 2)} ${hex(proc.txQueue, 8)}:${hex(proc.rxQueue, 8)} 00:00000000 00000000 ${String(socket.ownerUid).padStart(5)} ${'0'.padStart(8)} ${socket.inodeNumber}`;
    if (tcp) {
      const tail = proc.state === 0x0a ? `1 ${POINTER} 100 0 0 10 0` : `2 ${POINTER} 20 4 30 10 -1`;
      rows.push(`${String(slot).padStart(4)}: ${common} ${tail}`);
    } else rows.push(`${String(socket.localPort & 0x7f).padStart(5)}: ${common} 2 ${POINTER} 0`);
  }
  return rows;
}

/** Lines padded as seq_pad pads them (the IPv4 tables only). */
function padded(lines: string[], width: number): string {
  return lines.map((l) => `${l.padEnd(width)}\n`).join('');
}

function unixTable(stack: NetworkStack): string {
  const lines = ['Num       RefCount Protocol Flags    Type St Inode Path'];
  for (const socket of stack.unix.names.live) {
    const state = socket.connectionState;
    const flags = state === 'listening' ? 0x10000 : 0;
    const st = state === 'connected' ? 3 : 1;
    const name = socket.address.name;
    const path = name === '' ? '' : ` ${name.startsWith('\0') ? name.replace(/\0/g, '@') : name}`;
    lines.push(`${POINTER}: ${hex(2, 8)} ${hex(0, 8)} ${hex(flags, 8)} ${hex(socket.type, 4)} ${hex(st, 2)} ${String(socket.inodeNumber).padStart(5)}${path}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

function devTable(stack: NetworkStack): string {
  const lines = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
  ];
  for (const link of stack.interfaces) {
    const c = stack.countersOf(link);
    const f = (n: number, w: number) => String(n).padStart(w);
    lines.push(`${link.name.padStart(6)}: ${f(c.rxBytes, 7)} ${f(c.rxPackets, 7)} ${f(0, 4)} ${f(0, 4)} ${f(0, 4)} ${f(0, 5)} ${f(0, 10)} ${f(0, 9)} ${f(c.txBytes, 8)} ${f(c.txPackets, 7)} ${f(0, 4)} ${f(0, 4)} ${f(0, 4)} ${f(0, 5)} ${f(0, 7)} ${f(0, 10)}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

function ifInet6(stack: NetworkStack): string {
  let out = '';
  for (const link of stack.interfaces) {
    for (const { ip, prefixLength } of link.addresses) {
      if (isV4(ip)) continue;
      const address = [...ip].map((b) => b.toString(16).padStart(2, '0')).join('');
      // IPV6_ADDR_LOOPBACK, _LINKLOCAL, or global, from the address's route scope.
      const scope = ({ 254: 0x10, 253: 0x20 } as Record<number, number>)[addressScope(link, ip)] ?? 0x00;
      out += `${address} ${hex(link.index, 2).toLowerCase()} ${hex(prefixLength, 2).toLowerCase()} ${hex(scope, 2).toLowerCase()} 80 ${link.name.padStart(8)}\n`;
    }
  }
  return out;
}

/** An IPv4 address as /proc/net/route prints it: its 32 bits read little-endian, in hex. */
function hexV4(bytes: Uint8Array | undefined): string {
  const b = bytes ?? new Uint8Array(4);
  return hex(b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24), 8);
}

/** /proc/net/route: the main table's IPv4 routes (fib_route_seq_show); a loopback-only stack has none. */
function routeTable(stack: NetworkStack): string {
  const main = inDumpOrder(stack.interfaces.flatMap(routesOf)).filter((r) => r.family === 2 && r.table === 254);
  const lines = ['Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'];
  for (const route of main) {
    const name = stack.interfaces.find((l) => l.index === route.link)?.name ?? '*';
    const mask = route.prefixLength === 0 ? 0 : (0xffffffff << (32 - route.prefixLength)) >>> 0;
    const maskBytes = Uint8Array.from([mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255]);
    // RTF_UP, and RTF_GATEWAY for a route through one.
    const flags = route.gateway ? 0x3 : 0x1;
    lines.push(`${name}\t${hexV4(route.destination)}\t${hexV4(route.gateway ? v4Of(route.gateway) : undefined)}\t${hex(flags, 4)}\t0\t0\t0\t${hexV4(maskBytes)}\t0\t0\t0`);
  }
  return padded(lines, 127);
}

/** The text of /proc/net/NAME, or undefined for a file the stack does not have. */
export function procNetText(stack: NetworkStack, name: string): string | undefined {
  const tcp = () => stack.inet.tcp.holders() as Iterable<InetSocket>;
  const udp = () => stack.inet.udp.holders() as Iterable<InetSocket>;
  switch (name) {
    case 'tcp':
      return padded([TCP_HEADER, ...inetRows(tcp(), AF.INET, true)], 149);
    case 'tcp6':
      return [TCP6_HEADER, ...inetRows(tcp(), AF.INET6, true)].map((l) => `${l}\n`).join('');
    case 'udp':
      return padded([UDP_HEADER, ...inetRows(udp(), AF.INET, false)], 127);
    case 'udp6':
      return [UDP6_HEADER, ...inetRows(udp(), AF.INET6, false)].map((l) => `${l}\n`).join('');
    case 'unix':
      return unixTable(stack);
    case 'dev':
      return devTable(stack);
    case 'if_inet6':
      return ifInet6(stack);
    case 'route':
      return routeTable(stack);
    default:
      return undefined;
  }
}

/** The files procNetText answers, for the /proc/net listing. */
export const PROC_NET_FILES = ['dev', 'if_inet6', 'route', 'tcp', 'tcp6', 'udp', 'udp6', 'unix'] as const;
