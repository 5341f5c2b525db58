// AF_UNIX in the netstack alone (no VFS, no ptrace): the behaviour Linux's af_unix.c has,
// as a program would see it through the syscalls.
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { POLL } from '../../src/abi/linux-poll.js';
import { AF, MSG, SHUT, SO, SOCK, SOL } from '../../src/abi/linux-socket.js';
import type { Socket } from '../../src/netstack/index.js';
import { CountedRights, MapNames, caller, errnoOf, receive, send, stack, text } from './helpers.js';

const ALL = POLL.IN | POLL.OUT | POLL.RDHUP | POLL.PRI;
const unix = (name: string) => ({ family: AF.UNIX, name }) as const;

function listening(s = stack(), type: number = SOCK.STREAM, name = '/srv.sock', backlog = 5) {
  const who = caller(10, 1000, 1000);
  const listener = s.socket(AF.UNIX, type, 0, who);
  listener.bind(unix(name), who);
  listener.listen(backlog, who);
  return { s, listener, who };
}

function connectTo(s: ReturnType<typeof stack>, name: string, who = caller(), type: number = SOCK.STREAM): Socket {
  const c = s.socket(AF.UNIX, type, 0, who);
  expect(c.connect(unix(name), who, true)).toBeUndefined();
  return c;
}

describe('AF_UNIX stream', () => {
  it('socketpair carries bytes both ways, in order, across records', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    expect(send(a!, 'hello ', who)).toBe(6);
    expect(send(a!, 'world', who)).toBe(5);
    expect(b!.inQueue).toBe(11);
    expect(text(receive(b!, 3))).toBe('hel');
    expect(text(receive(b!))).toBe('lo world');
    expect(errnoOf(() => receive(b!))).toBe(E.EAGAIN);
    send(b!, 'back', who);
    expect(text(receive(a!))).toBe('back');
  });

  it('polls as Linux: a fresh socket is writable and hung up; the peer closing gives IN|HUP|RDHUP', () => {
    const s = stack();
    const who = caller();
    expect(s.socket(AF.UNIX, SOCK.STREAM, 0, who).readiness(ALL)).toBe(POLL.OUT | POLL.HUP);
    const [a, b] = s.socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    expect(a!.readiness(ALL)).toBe(POLL.OUT);
    b!.release();
    expect(a!.readiness(ALL)).toBe(POLL.IN | POLL.OUT | POLL.HUP | POLL.RDHUP);
  });

  it('after the peer closes: EOF once data is read, EPIPE on send', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    send(b!, 'last', who);
    b!.release();
    expect(text(receive(a!))).toBe('last');
    expect(receive(a!).eof).toBe(true);
    expect(errnoOf(() => send(a!, 'x', who))).toBe(E.EPIPE);
  });

  it('a peer closed with unread data gives ECONNRESET after the data, once', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    send(a!, 'unread', who);
    send(b!, 'abc', who);
    b!.release();
    expect(a!.readiness(ALL) & POLL.ERR).toBe(POLL.ERR);
    expect(text(receive(a!))).toBe('abc');
    expect(errnoOf(() => receive(a!))).toBe(E.ECONNRESET);
    expect(receive(a!).eof).toBe(true);
  });

  it('shutdown(SHUT_WR) half-closes: the peer reads EOF and can still write back', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    a!.shutdown(SHUT.WR);
    expect(a!.readiness(ALL)).toBe(POLL.OUT);
    expect(b!.readiness(ALL)).toBe(POLL.IN | POLL.OUT | POLL.RDHUP);
    expect(receive(b!).eof).toBe(true);
    expect(errnoOf(() => send(a!, 'x', who))).toBe(E.EPIPE);
    send(b!, 'reply', who);
    expect(text(receive(a!))).toBe('reply');
    a!.shutdown(SHUT.RD);
    expect(a!.readiness(ALL) & POLL.HUP).toBe(POLL.HUP);
  });

  it('a writer fills the send buffer, then waits until the reader drains a quarter', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    const chunk = Buffer.alloc(65536, 1);
    let sent = 0;
    for (;;) {
      const n = errnoOf(() => (sent += a!.send({ data: chunk, flags: 0 }, who)));
      if (n === E.EAGAIN) break;
    }
    expect(sent).toBeGreaterThanOrEqual(212992);
    expect(a!.readiness(POLL.OUT)).toBe(0);
    let woke = 0;
    a!.subscribe(POLL.OUT, () => woke++);
    while (b!.inQueue > 0 && a!.readiness(POLL.OUT) === 0) receive(b!, 65536);
    expect(woke).toBeGreaterThan(0);
    expect(a!.readiness(POLL.OUT)).toBe(POLL.OUT);
  });
});

describe('AF_UNIX names and connections', () => {
  it('connects by path; accept gives a socket named like the listener, SO_PEERCRED both ways', () => {
    const { s, listener, who } = listening();
    const client = caller(20, 1001, 1001, who.names as MapNames);
    const c = connectTo(s, '/srv.sock', client);
    expect(listener.readiness(ALL)).toBe(POLL.IN);
    const server = listener.accept(who);
    expect(server.localAddress()).toEqual(unix('/srv.sock'));
    expect(c.peerAddress()).toEqual(unix('/srv.sock'));
    expect(server.peerAddress()).toEqual(unix(''));
    expect(c.getOption(SOL.SOCKET, SO.PEERCRED)).toEqual({ kind: 'ucred', cred: { pid: 10, uid: 1000, gid: 1000 } });
    expect(server.getOption(SOL.SOCKET, SO.PEERCRED)).toEqual({ kind: 'ucred', cred: { pid: 20, uid: 1001, gid: 1001 } });
    send(c, 'ping', client);
    expect(text(receive(server))).toBe('ping');
  });

  it('takes backlog + 1 connections; then EAGAIN, or a wait that ends with accept', () => {
    const { s, listener, who } = listening(stack(), SOCK.STREAM, '\0bl', 1);
    connectTo(s, '\0bl');
    connectTo(s, '\0bl');
    const third = s.socket(AF.UNIX, SOCK.STREAM, 0, who);
    expect(errnoOf(() => third.connect(unix('\0bl'), who, true))).toBe(E.EAGAIN);
    const pending = third.connect(unix('\0bl'), who, false);
    expect(pending?.kind).toBe('retry');
    expect(pending!.wait.readiness(POLL.OUT)).toBe(0);
    listener.accept(who);
    expect(pending!.wait.readiness(POLL.OUT)).toBe(POLL.OUT);
    expect(third.connect(unix('\0bl'), who, false)).toBeUndefined();
  });

  it('refuses what Linux refuses', () => {
    const s = stack();
    const who = caller();
    const names = who.names as MapNames;
    const stream = () => s.socket(AF.UNIX, SOCK.STREAM, 0, who);
    expect(errnoOf(() => stream().connect(unix('/nobody'), who, true))).toBe(E.ENOENT);
    names.files.add('/file');
    expect(errnoOf(() => stream().connect(unix('/file'), who, true))).toBe(E.ECONNREFUSED);
    const bound = stream();
    bound.bind(unix('/bound'), who);
    expect(errnoOf(() => stream().connect(unix('/bound'), who, true))).toBe(E.ECONNREFUSED);
    expect(errnoOf(() => stream().bind(unix('/bound'), who))).toBe(E.EADDRINUSE);
    expect(errnoOf(() => bound.bind(unix('/other'), who))).toBe(E.EINVAL);
    expect(names.nodes.has('/other')).toBe(false);
    expect(errnoOf(() => stream().listen(1, who))).toBe(E.EINVAL);
    const dgram = s.socket(AF.UNIX, SOCK.DGRAM, 0, who);
    dgram.bind(unix('/dgram'), who);
    expect(errnoOf(() => stream().connect(unix('/dgram'), who, true))).toBe(E.EPROTOTYPE);
    // Abstract names are kept per type: another type finds nobody.
    const abstract = s.socket(AF.UNIX, SOCK.DGRAM, 0, who);
    abstract.bind(unix('\0name'), who);
    expect(errnoOf(() => stream().connect(unix('\0name'), who, true))).toBe(E.ECONNREFUSED);
    stream().bind(unix('\0name'), who);
    expect(errnoOf(() => s.socket(AF.UNIX, SOCK.DGRAM, 0, who).bind(unix('\0name'), who))).toBe(E.EADDRINUSE);
  });

  it('autobinds to five hex digits in the abstract namespace; a released name is free again', () => {
    const s = stack();
    const who = caller();
    const a = s.socket(AF.UNIX, SOCK.STREAM, 0, who);
    a.bind(unix(''), who);
    const name = (a.localAddress() as { name: string }).name;
    expect(name).toMatch(/^\0[0-9a-f]{5}$/);
    a.bind(unix(''), who);
    expect((a.localAddress() as { name: string }).name).toBe(name);
    a.release();
    s.socket(AF.UNIX, SOCK.STREAM, 0, who).bind(unix(name), who);
  });

  it('a listener closed with connections waiting resets their clients', () => {
    const { s, listener, who } = listening();
    const c = connectTo(s, '/srv.sock', who);
    listener.release();
    expect(errnoOf(() => receive(c))).toBe(E.ECONNRESET);
    expect(receive(c).eof).toBe(true);
  });

  it('each stack has its own names', () => {
    const { listener } = listening(stack(), SOCK.STREAM, '\0shared');
    expect(listener.readiness(ALL)).toBe(0);
    expect(errnoOf(() => connectTo(stack(), '\0shared'))).toBe(E.ECONNREFUSED);
  });
});

describe('AF_UNIX control data', () => {
  it('SCM_CREDENTIALS reach a receiver with SO_PASSCRED; records of other senders are not joined', () => {
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, caller());
    b!.setOption(SOL.SOCKET, SO.PASSCRED, { kind: 'int', value: 1 });
    send(a!, 'one', caller(7, 70, 71));
    send(a!, 'two', caller(8, 80, 81));
    const first = receive(b!);
    expect(text(first)).toBe('one');
    expect(first.cred).toEqual({ pid: 7, uid: 70, gid: 71 });
    expect(receive(b!).cred).toEqual({ pid: 8, uid: 80, gid: 81 });
  });

  it('passed files: one delivery, a copy for MSG_PEEK, and closed when never read', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    const refs = { n: 1 };
    send(a!, 'x', who, { rights: new CountedRights(refs) });
    expect(refs.n).toBe(2);
    const peeked = receive(b!, 10, MSG.PEEK);
    expect(peeked.rights).toBeDefined();
    expect(refs.n).toBe(3);
    peeked.rights!.discard();
    const got = receive(b!);
    expect(got.rights).toBeDefined();
    got.rights!.discard();
    expect(refs.n).toBe(1);
    send(a!, 'y', who, { rights: new CountedRights(refs) });
    b!.release();
    expect(refs.n).toBe(1);
  });

  it('a stream read stops after the record that carried files', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.STREAM, 0, who);
    send(a!, 'ab', who, { rights: new CountedRights({ n: 1 }) });
    send(a!, 'cd', who);
    expect(text(receive(b!))).toBe('ab');
    expect(text(receive(b!))).toBe('cd');
  });

  it('ETOOMANYREFS past the sender\'s in-flight limit', () => {
    const who = caller(1, 5, 5, new MapNames(), 2);
    const [a] = stack().socketPair(AF.UNIX, SOCK.DGRAM, 0, who);
    send(a!, 'x', who, { rights: new CountedRights({ n: 3 }, 3) });
    expect(errnoOf(() => send(a!, 'x', who, { rights: new CountedRights({ n: 1 }) }))).toBe(E.ETOOMANYREFS);
  });
});

describe('AF_UNIX SOCK_SEQPACKET and SOCK_DGRAM', () => {
  it('SEQPACKET keeps message boundaries and cuts a long one (MSG_TRUNC)', () => {
    const who = caller();
    const [a, b] = stack().socketPair(AF.UNIX, SOCK.SEQPACKET, 0, who);
    send(a!, 'first', who);
    send(a!, 'second', who);
    const cut = receive(b!, 3);
    expect(text(cut)).toBe('fir');
    expect(cut.size).toBe(5);
    expect(cut.flags).toBe(MSG.TRUNC);
    expect(text(receive(b!))).toBe('second');
    expect(errnoOf(() => a!.send({ data: Buffer.alloc(300000), flags: 0 }, who))).toBe(E.EMSGSIZE);
    b!.release();
    expect(errnoOf(() => send(a!, 'x', who))).toBe(E.EPIPE);
  });

  it('DGRAM: sendto a name, the sender\'s name on receipt, 11 queued then EAGAIN', () => {
    const s = stack();
    const who = caller();
    const server = s.socket(AF.UNIX, SOCK.DGRAM, 0, who);
    server.bind(unix('/log'), who);
    const client = s.socket(AF.UNIX, SOCK.DGRAM, 0, who);
    client.bind(unix('\0client'), who);
    for (let i = 0; i < 11; i++) client.send({ data: Buffer.from(`m${i}`), to: unix('/log'), flags: 0 }, who);
    expect(errnoOf(() => client.send({ data: Buffer.from('more'), to: unix('/log'), flags: 0 }, who))).toBe(E.EAGAIN);
    expect(client.readiness(POLL.OUT)).toBe(0);
    const got = receive(server);
    expect(text(got)).toBe('m0');
    expect(got.from).toEqual(unix('\0client'));
    expect(client.readiness(POLL.OUT)).toBe(POLL.OUT);
  });

  it('DGRAM: EPERM towards a socket associated with another; ECONNREFUSED once the peer is gone', () => {
    const s = stack();
    const who = caller();
    const [a, b] = s.socketPair(AF.UNIX, SOCK.DGRAM, 0, who);
    const third = s.socket(AF.UNIX, SOCK.DGRAM, 0, who);
    b!.bind(unix('\0b'), who);
    expect(errnoOf(() => third.send({ data: Buffer.from('x'), to: unix('\0b'), flags: 0 }, who))).toBe(E.EPERM);
    b!.release();
    expect(errnoOf(() => send(a!, 'x', who))).toBe(E.ECONNREFUSED);
    expect(errnoOf(() => send(a!, 'x', who))).toBe(E.ENOTCONN);
  });
});

describe('the stack', () => {
  it('answers socket(2) errors as Linux', () => {
    const s = stack();
    const who = caller();
    expect(errnoOf(() => s.socket(99, SOCK.STREAM, 0, who))).toBe(E.EAFNOSUPPORT);
    expect(errnoOf(() => s.socket(AF.UNIX, 4, 0, who))).toBe(E.ESOCKTNOSUPPORT);
    expect(errnoOf(() => s.socket(AF.UNIX, SOCK.STREAM, 6, who))).toBe(E.EPROTONOSUPPORT);
    expect(s.socket(AF.UNIX, SOCK.RAW, 0, who).type).toBe(SOCK.DGRAM);
  });
});
