// NETLINK_ROUTE and /proc/net, in the netstack alone: what getifaddrs, iproute2 and
// netstat read about a stack that has only lo.
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { AF, SOCK } from '../../src/abi/linux-socket.js';
import type { Socket } from '../../src/netstack/index.js';
import { NLM_F, RTM } from '../../src/netstack/netlink/route.js';
import { NetworkStack } from '../../src/netstack/stack.js';
import { mapV4 } from '../../src/netstack/inet/ip.js';
import { procNetText } from '../../src/netstack/proc-net.js';
import { caller, errnoOf, receive, stack } from './helpers.js';

const { GETLINK: RTM_GETLINK, GETADDR: RTM_GETADDR, NEWADDR: RTM_NEWADDR, GETROUTE: RTM_GETROUTE } = RTM;
const { REQUEST: NLM_F_REQUEST, ACK: NLM_F_ACK, DUMP: NLM_F_DUMP } = NLM_F;

function request(type: number, flags: number, seq: number, body: number[] = [0]): Buffer {
  const length = 16 + body.length;
  const out = Buffer.alloc((length + 3) & ~3);
  out.writeUInt32LE(length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq, 8);
  Buffer.from(body).copy(out, 16);
  return out;
}

/** Every message of every reply datagram: [type, flags, seq, pid, body]. */
function replies(socket: Socket): [number, number, number, number, Buffer][] {
  const out: [number, number, number, number, Buffer][] = [];
  for (;;) {
    if (errnoOf(() => socket.inQueue) !== 0 || socket.inQueue === 0) return out;
    const data = Buffer.from(receive(socket, 65536).data);
    for (let at = 0; at < data.length; ) {
      const length = data.readUInt32LE(at);
      out.push([data.readUInt16LE(at + 4), data.readUInt16LE(at + 6), data.readUInt32LE(at + 8), data.readUInt32LE(at + 12), data.subarray(at + 16, at + length)]);
      at += (length + 3) & ~3;
    }
  }
}

const who = caller(42, 0, 0);

describe('NETLINK_ROUTE', () => {
  it('binds to the process\'s pid, then to the kernel\'s rover ids (u32, from 0xfffff000 down)', () => {
    const s = stack();
    const a = s.socket(AF.NETLINK, SOCK.RAW, 0, who);
    a.bind({ family: AF.NETLINK, portId: 0, groups: 0 }, who);
    const b = s.socket(AF.NETLINK, SOCK.RAW, 0, who);
    b.bind({ family: AF.NETLINK, portId: 0, groups: 0 }, who);
    expect((a.localAddress() as { portId: number }).portId).toBe(42);
    expect((b.localAddress() as { portId: number }).portId).toBe(0xfffff000);
    expect(errnoOf(() => s.socket(AF.NETLINK, SOCK.RAW, 4, who))).toBe(E.EPROTONOSUPPORT);
  });

  it('dumps lo as a link, its two addresses, and its local routes, each ending in NLMSG_DONE', () => {
    const nl = stack().socket(AF.NETLINK, SOCK.RAW, 0, who);
    nl.send({ data: request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 7), flags: 0 }, who);
    const links = replies(nl);
    expect(links.map(([type, flags, seq, pid]) => [type, flags, seq, pid])).toEqual([
      [16, 2, 7, 42],
      [3, 2, 7, 42],
    ]);
    const link = links[0]![4];
    expect([link.readUInt16LE(2), link.readInt32LE(4), link.readUInt32LE(8)]).toEqual([772, 1, 0x10049]);
    expect(link.includes(Buffer.from('lo\0'))).toBe(true);
    nl.send({ data: request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 8, [AF.INET]), flags: 0 }, who);
    const addresses = replies(nl);
    expect(addresses.map(([type]) => type)).toEqual([20, 3]);
    expect([...addresses[0]![4].subarray(0, 4)]).toEqual([AF.INET, 8, 0x80, 254]);
    nl.send({ data: request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 9, [AF.UNSPEC]), flags: 0 }, who);
    expect(replies(nl).map(([type]) => type)).toEqual([20, 20, 3]);
    nl.send({ data: request(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 10, [AF.UNSPEC]), flags: 0 }, who);
    expect(replies(nl).map(([type, , , , body]) => (type === 24 ? `${body[0]}/${body[1]}/${body[7]}` : 'done'))).toEqual(['2/8/2', '2/32/2', '2/32/3', '10/128/2', 'done']);
  });

  it('answers a change with EPERM, an ACK with 0, and skips a header that lies', () => {
    const nl = stack().socket(AF.NETLINK, SOCK.RAW, 0, who);
    nl.send({ data: request(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 1, new Array(8).fill(0)), flags: 0 }, caller(42, 1000, 1000));
    const [error] = replies(nl);
    expect(error![0]).toBe(2);
    expect(error![4].readInt32LE(0)).toBe(-E.EPERM);
    nl.send({ data: request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 2, [0, 0, 0, 0, 1, 0, 0, 0]), flags: 0 }, who);
    expect(replies(nl).map(([type, , , , body]) => (type === 2 ? body.readInt32LE(0) : type))).toEqual([16, 0]);
    const lying = request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 3);
    lying.writeUInt32LE(4096, 0);
    expect(nl.send({ data: lying, flags: 0 }, who)).toBe(lying.length);
    expect(replies(nl)).toEqual([]);
  });

  it('brings a new namespace\'s lo up and down, and changes its addresses, as Linux does', () => {
    const s = new NetworkStack({ loopbackUp: false });
    const nl = s.socket(AF.NETLINK, SOCK.RAW, 0, who);
    const errors = () => replies(nl).map(([type, , , , body]) => (type === 2 ? body.readInt32LE(0) : type));
    const dump = (type: number, family = AF.UNSPEC) => {
      nl.send({ data: request(type, NLM_F_REQUEST | NLM_F_DUMP, 1, [family]), flags: 0 }, who);
      return replies(nl).filter(([t]) => t !== 3).map(([, , , , body]) => body);
    };
    const linkFlags = () => dump(RTM_GETLINK)[0]!.readUInt32LE(8);
    /** struct ifinfomsg: index 1, flags and change. */
    const setLink = (flags: number, change: number) => [0, 0, 0, 0, 1, 0, 0, 0, ...u32(flags), ...u32(change)];
    const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
    /** struct ifaddrmsg for index 1 and an IFA_LOCAL attribute. */
    const address = (family: number, prefix: number, ip: number[]) => [family, prefix, 0, 254, 1, 0, 0, 0, 4 + ip.length, 0, 2, 0, ...ip];
    // Down, no address, no route; nothing local, so nothing binds to 127.0.0.1.
    expect([linkFlags(), dump(RTM_GETADDR).length, dump(RTM_GETROUTE).length]).toEqual([0x8, 0, 0]);
    expect(s.inet.isLocal(mapV4(Uint8Array.from([127, 0, 0, 1])))).toBe(false);
    // bubblewrap's order: the address first (NLM_F_CREATE|NLM_F_EXCL), then up.
    nl.send({ data: request(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | 0x600, 2, address(AF.INET, 8, [127, 0, 0, 1])), flags: 0 }, who);
    nl.send({ data: request(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | 0x600, 3, address(AF.INET, 8, [127, 0, 0, 1])), flags: 0 }, who);
    expect(errors()).toEqual([0, -E.EEXIST]);
    nl.send({ data: request(RTM.NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 4, setLink(1, 1)), flags: 0 }, who);
    expect(errors()).toEqual([0]);
    expect([linkFlags(), dump(RTM_GETADDR).map((body) => body[0])]).toEqual([0x10049, [AF.INET, AF.INET6]]);
    expect(s.inet.isLocal(mapV4(Uint8Array.from([127, 1, 2, 3])))).toBe(true);
    // Down again: IPv6's ::1 goes, 127.0.0.1 stays; a change of anything but the flags, or of no such link, is refused.
    nl.send({ data: request(RTM.SETLINK, NLM_F_REQUEST | NLM_F_ACK, 5, setLink(0, 1)), flags: 0 }, who);
    nl.send({ data: request(RTM.NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 6, [...setLink(1, 1), 8, 0, 4, 0, ...u32(1500)]), flags: 0 }, who);
    nl.send({ data: request(RTM.NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 7, [0, 0, 0, 0, 9, 0, 0, 0, ...u32(1), ...u32(1)]), flags: 0 }, who);
    nl.send({ data: request(RTM.DELADDR, NLM_F_REQUEST | NLM_F_ACK, 8, address(AF.INET6, 128, [...new Array(15).fill(0), 1])), flags: 0 }, who);
    expect(errors()).toEqual([0, -E.EOPNOTSUPP, -E.ENODEV, -E.EADDRNOTAVAIL]);
    expect([linkFlags(), dump(RTM_GETADDR).map((body) => body[0])]).toEqual([0x8, [AF.INET]]);
    // Without CAP_NET_ADMIN: EPERM, nothing changes.
    nl.send({ data: request(RTM.NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 9, setLink(1, 1)), flags: 0 }, caller(42, 1000, 1000));
    expect([errors(), linkFlags()]).toEqual([[-E.EPERM], 0x8]);
  });

  it('leaves the sandbox\'s first lo up and a stack\'s other links unchanged', () => {
    const nl = stack().socket(AF.NETLINK, SOCK.RAW, 0, who);
    nl.send({ data: request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1), flags: 0 }, who);
    expect(replies(nl)[0]![4].readUInt32LE(8)).toBe(0x10049);
  });

  it('drops replies past its receive buffer, and says ENOBUFS once', () => {
    const nl = stack().socket(AF.NETLINK, SOCK.RAW, 0, who);
    for (let i = 0; i < 2000; i++) nl.send({ data: request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, i), flags: 0 }, who);
    expect(nl.readiness(8)).toBe(8);
    expect(errnoOf(() => receive(nl, 65536))).toBe(E.ENOBUFS);
    let queued = 0;
    while (errnoOf(() => receive(nl, 65536)) === 0) queued++;
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(2000);
  });
});

describe('the netlink protocols programs probe', () => {
  const AUDIT_USER_AUTH = 1100;

  it('NETLINK_AUDIT refuses every message with ECONNREFUSED, as outside the initial user namespace', () => {
    const audit = stack().socket(AF.NETLINK, SOCK.RAW, 9, who);
    audit.bind({ family: AF.NETLINK, portId: 0, groups: 0 }, who);
    // libaudit's audit_send: a user message with NLM_F_REQUEST | NLM_F_ACK, then its ack.
    audit.send({ data: request(AUDIT_USER_AUTH, NLM_F_REQUEST | NLM_F_ACK, 7, [...Buffer.from('op=PAM:authentication\0')]), flags: 0 }, who);
    const [ack] = replies(audit);
    expect(ack![0]).toBe(2);
    expect(ack![2]).toBe(7);
    expect(ack![4].readInt32LE(0)).toBe(-E.ECONNREFUSED);
    // Without NLM_F_ACK too: audit_receive answers every error.
    audit.send({ data: request(AUDIT_USER_AUTH, NLM_F_REQUEST, 8, [0]), flags: 0 }, who);
    expect(replies(audit).map(([type, , seq, , body]) => [type, seq, body.readInt32LE(0)])).toEqual([[2, 8, -E.ECONNREFUSED]]);
  });

  it('NETLINK_KOBJECT_UEVENT binds to its group, hears nothing, refuses what an unprivileged caller sends', () => {
    const uevent = stack().socket(AF.NETLINK, SOCK.DGRAM, 15, who);
    uevent.bind({ family: AF.NETLINK, portId: 0, groups: 1 }, who);
    expect(uevent.readiness(1)).toBe(0);
    const user = caller(43, 1000, 1000);
    uevent.send({ data: request(16, NLM_F_REQUEST, 1), flags: 0 }, user);
    expect(replies(uevent).map(([type, , , , body]) => [type, body.readInt32LE(0)])).toEqual([[2, -E.EPERM]]);
  });

  it('has no sock_diag, generic or netfilter netlink (EPROTONOSUPPORT), so ss reads /proc/net', () => {
    for (const protocol of [4, 12, 16]) expect(errnoOf(() => stack().socket(AF.NETLINK, SOCK.RAW, protocol, who))).toBe(E.EPROTONOSUPPORT);
  });
});

describe('/proc/net', () => {
  it('lists listeners in tcp and tcp6, sockets in unix, and lo in dev and if_inet6', () => {
    const s = stack();
    const listener = s.socket(AF.INET, SOCK.STREAM, 0, who);
    listener.bind({ family: AF.INET, ip: Uint8Array.from([127, 0, 0, 1]), port: 8080 }, who);
    listener.listen(5, who);
    listener.inodeNumber = 4242;
    const tcp = procNetText(s, 'tcp')!.split('\n');
    expect(tcp[0]!.length).toBe(149);
    expect(tcp[1]).toMatch(/^ {3}0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 {5}0 {8}0 4242 1 0{16} 100 0 0 10 0 +$/);
    const unix = s.socket(AF.UNIX, SOCK.STREAM, 0, who);
    unix.bind({ family: AF.UNIX, name: '\0bus' }, who);
    unix.listen(1, who);
    expect(procNetText(s, 'unix')).toContain('0000000000000000: 00000002 00000000 00010000 0001 01     0 @bus');
    expect(procNetText(s, 'dev')).toContain('    lo:       0       0');
    expect(procNetText(s, 'if_inet6')).toBe('00000000000000000000000000000001 01 80 10 80       lo\n');
    expect(procNetText(s, 'nothing')).toBeUndefined();
  });
});
