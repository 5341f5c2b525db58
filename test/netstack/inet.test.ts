// AF_INET and AF_INET6 over a stack's own loopback, in the netstack alone: what a program
// sees of TCP and UDP through the syscalls, checked against the host kernel's answers.
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { POLL } from '../../src/abi/linux-poll.js';
import { AF, IPV6_OPT, MSG, SHUT, SO, SOCK, SOL, TCP_OPT } from '../../src/abi/linux-socket.js';
import type { InetAddress, Socket } from '../../src/netstack/index.js';
import { caller, errnoOf, receive, send, stack, text } from './helpers.js';

const ALL = POLL.IN | POLL.OUT | POLL.RDHUP | POLL.RDNORM | POLL.WRNORM;
const v4 = (a: number, b: number, c: number, d: number, port: number): InetAddress => ({ family: AF.INET, ip: Uint8Array.from([a, b, c, d]), port });
const v6 = (last: number, port: number, mapped?: number[]): InetAddress => {
  const ip = new Uint8Array(16);
  if (mapped) {
    ip[10] = 0xff;
    ip[11] = 0xff;
    ip.set(mapped, 12);
  } else ip[15] = last;
  return { family: AF.INET6, ip, port, flowinfo: 0, scopeId: 0 };
};
const LOOP = (port: number) => v4(127, 0, 0, 1, port);
const root = caller();
const user = caller(2, 1000, 1000);

function server(s = stack(), port = 8080, backlog = 5, family: number = AF.INET, address: InetAddress = LOOP(port)): Socket {
  const l = s.socket(family, SOCK.STREAM, 0, root);
  l.bind(address, root);
  l.listen(backlog, root);
  return l;
}

function connected(s = stack()) {
  const listener = server(s);
  const client = s.socket(AF.INET, SOCK.STREAM, 0, root);
  expect(client.connect(LOOP(8080), root, false)).toBeUndefined();
  return { listener, client, accepted: listener.accept(root) };
}

describe('TCP', () => {
  it('connects, carries bytes both ways, and names both ends', () => {
    const { client, accepted } = connected();
    send(client, 'hello', root);
    expect(text(receive(accepted))).toBe('hello');
    send(accepted, 'back', root);
    expect(text(receive(client))).toBe('back');
    const local = client.localAddress() as InetAddress;
    expect(local.port).toBeGreaterThanOrEqual(32768);
    expect(accepted.peerAddress()).toEqual(local);
    expect(client.peerAddress()).toEqual(LOOP(8080));
    expect(accepted.localAddress()).toEqual(LOOP(8080));
  });

  it('polls as tcp_poll: a new socket OUT|HUP, connected OUT, a listener IN when one waits', () => {
    const s = stack();
    expect(s.socket(AF.INET, SOCK.STREAM, 0, root).readiness(ALL | POLL.HUP)).toBe(POLL.OUT | POLL.WRNORM | POLL.HUP);
    const listener = server(s);
    expect(listener.readiness(ALL)).toBe(0);
    const client = s.socket(AF.INET, SOCK.STREAM, 0, root);
    expect(errnoOf(() => client.connect(LOOP(8080), root, true))).toBe(E.EINPROGRESS);
    expect(client.readiness(ALL)).toBe(POLL.OUT | POLL.WRNORM);
    expect(listener.readiness(ALL)).toBe(POLL.IN | POLL.RDNORM);
    // As __inet_stream_connect: the connect that finds the EINPROGRESS one done answers 0, the next EISCONN.
    expect(client.connect(LOOP(8080), root, true)).toBeUndefined();
    expect(errnoOf(() => client.connect(LOOP(8080), root, true))).toBe(E.EISCONN);
  });

  it('refuses a port nobody listens on: at once when blocking; after EINPROGRESS, through SO_ERROR, when not', () => {
    const s = stack();
    expect(errnoOf(() => s.socket(AF.INET, SOCK.STREAM, 0, root).connect(LOOP(1), root, false))).toBe(E.ECONNREFUSED);
    const c = s.socket(AF.INET, SOCK.STREAM, 0, root);
    expect(errnoOf(() => c.connect(LOOP(1), root, true))).toBe(E.EINPROGRESS);
    expect(c.readiness(ALL)).toBe(POLL.IN | POLL.OUT | POLL.ERR | POLL.HUP | POLL.RDHUP | POLL.RDNORM | POLL.WRNORM);
    expect(c.getOption(SOL.SOCKET, SO.ERROR)).toEqual({ kind: 'int', value: E.ECONNREFUSED });
    expect(errnoOf(() => c.connect(LOOP(1), root, true))).toBe(E.ECONNABORTED);
  });

  it('a full backlog keeps a connect waiting until accept makes room', () => {
    const s = stack();
    const listener = server(s, 8080, 1);
    const clients = [0, 1, 2].map(() => s.socket(AF.INET, SOCK.STREAM, 0, root));
    for (const c of clients) expect(errnoOf(() => c.connect(LOOP(8080), root, true))).toBe(E.EINPROGRESS);
    expect(clients.map((c) => c.readiness(POLL.OUT))).toEqual([POLL.OUT, POLL.OUT, 0]);
    expect(errnoOf(() => clients[2]!.connect(LOOP(8080), root, true))).toBe(E.EALREADY);
    listener.accept(root);
    expect(clients[2]!.readiness(POLL.OUT)).toBe(POLL.OUT);
  });

  it('FIN: EOF after the data; the half-closed side still writes; then EPIPE after a reset', () => {
    const { client, accepted } = connected();
    send(client, 'last words', root);
    client.shutdown(SHUT.WR);
    expect(accepted.readiness(ALL)).toBe(POLL.IN | POLL.RDNORM | POLL.RDHUP | POLL.OUT | POLL.WRNORM);
    expect(text(receive(accepted))).toBe('last words');
    expect(receive(accepted).eof).toBe(true);
    send(accepted, 'reply', root);
    expect(text(receive(client))).toBe('reply');
    expect(errnoOf(() => send(client, 'x', root))).toBe(E.EPIPE);
    client.release();
    // Writing to the closed end draws a reset: the first write goes, the next is EPIPE.
    expect(send(accepted, 'into the void', root)).toBe(13);
    expect(errnoOf(() => send(accepted, 'x', root))).toBe(E.EPIPE);
  });

  it('close with unread data resets: the peer reads what it had, then ECONNRESET, then EOF', () => {
    const { client, accepted } = connected();
    send(client, 'unread', root);
    send(accepted, 'pending', root);
    accepted.release();
    expect(client.readiness(ALL) & POLL.ERR).toBe(POLL.ERR);
    expect(text(receive(client))).toBe('pending');
    expect(errnoOf(() => receive(client))).toBe(E.ECONNRESET);
    expect(receive(client).eof).toBe(true);
    expect(errnoOf(() => client.peerAddress())).toBe(E.ENOTCONN);
  });

  it('SO_LINGER with no time resets even with nothing unread', () => {
    const { client, accepted } = connected();
    accepted.setOption(SOL.SOCKET, SO.LINGER, { kind: 'linger', on: true, seconds: 0 });
    accepted.release();
    expect(errnoOf(() => receive(client))).toBe(E.ECONNRESET);
  });

  it('flow control: a writer fills what the reader may hold, then waits for a third of it', () => {
    const { client, accepted } = connected();
    const chunk = Buffer.alloc(65536);
    let sent = 0;
    while (errnoOf(() => (sent += client.send({ data: chunk, flags: 0 }, root))) === 0);
    expect(sent).toBe(131072 + 16384);
    expect(client.readiness(POLL.OUT)).toBe(0);
    receive(accepted, 65536);
    expect(client.readiness(POLL.OUT)).toBe(POLL.OUT);
  });

  it('MSG_PEEK leaves the data; MSG_TRUNC drops it; SO_RCVLOWAT holds POLLIN back', () => {
    const { client, accepted } = connected();
    send(client, 'abcdef', root);
    expect(text(receive(accepted, 3, MSG.PEEK))).toBe('abc');
    const dropped = receive(accepted, 2, MSG.TRUNC);
    expect([dropped.data.length, dropped.size]).toEqual([0, 2]);
    accepted.setOption(SOL.SOCKET, SO.RCVLOWAT, { kind: 'int', value: 10 });
    expect(accepted.readiness(POLL.IN)).toBe(0);
    expect(text(receive(accepted))).toBe('cdef');
  });

  it('the port space: EADDRINUSE, SO_REUSEADDR beside connections, SO_REUSEPORT listeners, EACCES below 1024', () => {
    const s = stack();
    const { listener } = connected(s);
    const again = () => s.socket(AF.INET, SOCK.STREAM, 0, root);
    expect(errnoOf(() => again().bind(LOOP(8080), root))).toBe(E.EADDRINUSE);
    expect(errnoOf(() => again().bind(v4(0, 0, 0, 0, 8080), root))).toBe(E.EADDRINUSE);
    listener.release();
    // The accepted connection still holds the port: only SO_REUSEADDR on both shares it.
    expect(errnoOf(() => again().bind(LOOP(8080), root))).toBe(E.EADDRINUSE);
    const a = again();
    a.setOption(SOL.SOCKET, SO.REUSEPORT, { kind: 'int', value: 1 });
    const b = again();
    b.setOption(SOL.SOCKET, SO.REUSEPORT, { kind: 'int', value: 1 });
    a.bind(LOOP(9000), root);
    a.listen(1, root);
    b.bind(LOOP(9000), root);
    b.listen(1, root);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.STREAM, 0, user).bind(LOOP(80), user))).toBe(E.EACCES);
    expect(errnoOf(() => again().bind(v4(10, 0, 0, 1, 5000), root))).toBe(E.EADDRNOTAVAIL);
    expect(errnoOf(() => a.bind(LOOP(9001), root))).toBe(E.EINVAL);
  });

  it('listen on an unbound socket takes an ephemeral port on every address', () => {
    const s = stack();
    const l = s.socket(AF.INET, SOCK.STREAM, 0, root);
    l.listen(1, root);
    const { port, ip } = l.localAddress() as InetAddress;
    expect([...ip]).toEqual([0, 0, 0, 0]);
    const c = s.socket(AF.INET, SOCK.STREAM, 0, root);
    expect(c.connect(v4(127, 9, 9, 9, port), root, false)).toBeUndefined();
    expect(l.accept(root).localAddress()).toEqual(v4(127, 9, 9, 9, port));
  });

  it('dual stack: IPv4 reaches a :: listener as v4-mapped, unless IPV6_V6ONLY; ::1 never reaches 0.0.0.0', () => {
    const s = stack();
    const l6 = server(s, 7000, 5, AF.INET6, v6(0, 7000));
    s.socket(AF.INET, SOCK.STREAM, 0, root).connect(LOOP(7000), root, false);
    expect(l6.accept(root).peerAddress()).toMatchObject({ family: AF.INET6, ip: v6(0, 0, [127, 0, 0, 1]).ip });
    const only = s.socket(AF.INET6, SOCK.STREAM, 0, root);
    only.setOption(SOL.IPV6, IPV6_OPT.V6ONLY, { kind: 'int', value: 1 });
    only.bind(v6(0, 7001), root);
    only.listen(1, root);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.STREAM, 0, root).connect(LOOP(7001), root, false))).toBe(E.ECONNREFUSED);
    // A v4 socket on 7001 may share it with the v6-only one.
    server(s, 7001, 1, AF.INET, v4(0, 0, 0, 0, 7001));
    server(s, 7002, 1, AF.INET, v4(0, 0, 0, 0, 7002));
    expect(errnoOf(() => s.socket(AF.INET6, SOCK.STREAM, 0, root).connect(v6(1, 7002), root, false))).toBe(E.ECONNREFUSED);
    expect(errnoOf(() => s.socket(AF.INET6, SOCK.STREAM, 0, root).bind(v6(0, 7002), root))).toBe(E.EADDRINUSE);
  });

  it('answers TCP options: TCP_NODELAY, TCP_MAXSEG, TCP_INFO state, TCP_CONGESTION', () => {
    const { client, listener } = connected();
    client.setOption(SOL.TCP, TCP_OPT.NODELAY, { kind: 'int', value: 1 });
    expect(client.getOption(SOL.TCP, TCP_OPT.NODELAY)).toEqual({ kind: 'int', value: 1 });
    expect(client.getOption(SOL.TCP, TCP_OPT.MAXSEG)).toEqual({ kind: 'int', value: 65483 });
    const info = client.getOption(SOL.TCP, TCP_OPT.INFO);
    expect(info.kind === 'bytes' && info.bytes[0]).toBe(1);
    const listening = listener.getOption(SOL.TCP, TCP_OPT.INFO);
    expect(listening.kind === 'bytes' && listening.bytes[0]).toBe(10);
    expect(errnoOf(() => client.setOption(SOL.TCP, TCP_OPT.CONGESTION, { kind: 'bytes', bytes: Buffer.from('bbr') }))).toBe(E.ENOENT);
    expect(client.getOption(SOL.SOCKET, SO.SNDBUF)).toEqual({ kind: 'int', value: 16384 });
    expect(errnoOf(() => client.getOption(SOL.TCP, 999))).toBe(E.ENOPROTOOPT);
  });

  it('connect to 0.0.0.0 reaches this host; another network is unreachable', () => {
    const s = stack();
    const l = server(s, 8080, 1, AF.INET, v4(0, 0, 0, 0, 8080));
    expect(s.socket(AF.INET, SOCK.STREAM, 0, root).connect(v4(0, 0, 0, 0, 8080), root, false)).toBeUndefined();
    expect(l.accept(root).localAddress()).toEqual(LOOP(8080));
    expect(errnoOf(() => s.socket(AF.INET, SOCK.STREAM, 0, root).connect(v4(192, 0, 2, 1, 80), root, false))).toBe(E.ENETUNREACH);
  });
});

describe('UDP', () => {
  it('sendto a bound socket: the sender\'s address on receipt, MSG_TRUNC, empty datagrams', () => {
    const s = stack();
    const a = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    a.bind(LOOP(5353), root);
    const b = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    b.send({ data: Buffer.from('datagram'), to: LOOP(5353), flags: 0 }, root);
    b.send({ data: new Uint8Array(), to: LOOP(5353), flags: 0 }, root);
    const got = receive(a, 4);
    expect([text(got), got.size, got.flags]).toEqual(['data', 8, MSG.TRUNC]);
    // An implicit bind holds a port on every address; the datagram carries the route's source.
    const bound = b.localAddress() as InetAddress;
    expect([...bound.ip]).toEqual([0, 0, 0, 0]);
    expect(bound.port).toBeGreaterThanOrEqual(32768);
    expect(got.from).toEqual(LOOP(bound.port));
    expect(receive(a).size).toBe(0);
    expect(errnoOf(() => receive(a))).toBe(E.EAGAIN);
  });

  it('a connected sender learns of nobody listening (ECONNREFUSED); an unconnected one never does', () => {
    const s = stack();
    const c = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    expect(c.send({ data: Buffer.from('x'), to: LOOP(9), flags: 0 }, root)).toBe(1);
    c.connect(LOOP(9), root, false);
    expect(c.send({ data: Buffer.from('x'), flags: 0 }, root)).toBe(1);
    expect(errnoOf(() => send(c, 'x', root))).toBe(E.ECONNREFUSED);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.DGRAM, 0, root).send({ data: Buffer.from('x'), flags: 0 }, root))).toBe(E.EDESTADDRREQ);
    expect(errnoOf(() => c.send({ data: Buffer.alloc(65508), flags: 0 }, root))).toBe(E.EMSGSIZE);
  });

  it('a connected socket takes datagrams from its peer only', () => {
    const s = stack();
    const a = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    a.bind(LOOP(6000), root);
    const peer = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    peer.bind(LOOP(6001), root);
    const stranger = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    a.connect(LOOP(6001), root, false);
    stranger.send({ data: Buffer.from('no'), to: LOOP(6000), flags: 0 }, root);
    peer.send({ data: Buffer.from('yes'), to: LOOP(6000), flags: 0 }, root);
    expect(text(receive(a))).toBe('yes');
    expect(errnoOf(() => receive(a))).toBe(E.EAGAIN);
  });

  it('SO_REUSEADDR shares a port; shutdown of an unconnected socket is ENOTCONN', () => {
    const s = stack();
    const make = () => {
      const u = s.socket(AF.INET, SOCK.DGRAM, 0, root);
      u.setOption(SOL.SOCKET, SO.REUSEADDR, { kind: 'int', value: 1 });
      u.bind(v4(0, 0, 0, 0, 7777), root);
      return u;
    };
    make();
    make();
    expect(errnoOf(() => s.socket(AF.INET, SOCK.DGRAM, 0, root).bind(v4(0, 0, 0, 0, 7777), root))).toBe(E.EADDRINUSE);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.DGRAM, 0, root).shutdown(SHUT.WR))).toBe(E.ENOTCONN);
  });
});

describe('the inet families', () => {
  it('answer socket(2) by type and protocol as inet_create', () => {
    const s = stack();
    expect(errnoOf(() => s.socket(AF.INET, SOCK.STREAM, 17, root))).toBe(E.EPROTONOSUPPORT);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.SEQPACKET, 0, root))).toBe(E.ESOCKTNOSUPPORT);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.RAW, 1, user))).toBe(E.EPERM);
    expect(errnoOf(() => s.socket(AF.INET, SOCK.DGRAM, 1, user))).toBe(E.EACCES);
    expect(errnoOf(() => s.socketPair(AF.INET, SOCK.STREAM, 0, root))).toBe(E.EOPNOTSUPP);
  });

  it('each stack has its own port space', () => {
    server(stack(), 8080);
    server(stack(), 8080);
    expect(errnoOf(() => stack().socket(AF.INET, SOCK.STREAM, 0, root).connect(LOOP(8080), root, false))).toBe(E.ECONNREFUSED);
  });
});
