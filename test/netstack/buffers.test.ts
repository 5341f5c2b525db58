// Socket buffers in the netstack alone: the byte queue's ring keeps bytes in order across
// wraps, growth and peeks, and every family charges what it queues to the sandbox's memory
// account and gives it back on read and close; past the account's limit a stream send is
// ENOBUFS (passed files stay the sender's) and a datagram is dropped.
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { AF, SOCK } from '../../src/abi/linux-socket.js';
import type { MemoryCharge } from '../../src/accounting/memory-account.js';
import { ByteQueue } from '../../src/netstack/byte-queue.js';
import { createNetworkStack, type InetAddress, type Socket } from '../../src/netstack/index.js';
import { CountedRights, caller, errnoOf, receive, send, text } from './helpers.js';

/** An account of limit bytes that records what is charged. */
class Account implements MemoryCharge {
  charged = 0;
  constructor(public limit = Infinity) {}
  tryCharge(bytes: number): boolean {
    if (this.charged + bytes > this.limit) return false;
    this.charged += bytes;
    return true;
  }
  uncharge(bytes: number): void {
    this.charged -= bytes;
  }
}

const root = caller();
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}
const LOOP = (port: number): InetAddress => ({ family: AF.INET, ip: Uint8Array.from([127, 0, 0, 1]), port });

describe('ByteQueue', () => {
  it('keeps bytes in order across wraps of its ring and growth, with peeks leaving them', () => {
    const queue = new ByteQueue();
    const sent: Buffer[] = [];
    const got: Buffer[] = [];
    let [pushed, taken] = [0, 0];
    // Pushes and takes of sizes that never line up with the ring, so it wraps and grows.
    for (let round = 0; round < 200; round++) {
      const piece = bytes(1 + ((round * 7919) % 50000), round);
      expect(queue.push(piece)).toBe(true);
      sent.push(Buffer.from(piece));
      pushed += piece.length;
      const peeked = Buffer.from(queue.read(1000, false));
      const take = Buffer.from(queue.read(round % 3 === 0 ? 70000 : 30001, true));
      expect(peeked.equals(take.subarray(0, peeked.length))).toBe(true);
      got.push(take);
      taken += take.length;
      expect(queue.length).toBe(pushed - taken);
    }
    got.push(Buffer.from(queue.read(queue.length, true)));
    expect(Buffer.concat(got).equals(Buffer.concat(sent))).toBe(true);
  });

  it('charges what it holds, refuses what the account refuses, and gives all back when cleared', () => {
    const account = new Account(100_000);
    const queue = new ByteQueue(account);
    expect(queue.push(bytes(60_000, 1))).toBe(true);
    expect(queue.push(bytes(50_000, 2))).toBe(false);
    expect([queue.length, account.charged]).toEqual([60_000, 60_000]);
    queue.read(10_000, true);
    expect(account.charged).toBe(50_000);
    queue.read(10_000, false);
    expect(account.charged).toBe(50_000);
    queue.clear();
    expect([queue.length, account.charged]).toEqual([0, 0]);
  });
});

describe('socket memory', () => {
  it('charges TCP bytes until read or close; past the limit a send is ENOBUFS', () => {
    const account = new Account(200_000);
    const s = createNetworkStack({ mode: 'none', memory: account });
    const listener = s.socket(AF.INET, SOCK.STREAM, 0, root);
    listener.bind(LOOP(80), root);
    listener.listen(5, root);
    const clients: Socket[] = [];
    const servers: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const client = s.socket(AF.INET, SOCK.STREAM, 0, root);
      client.connect(LOOP(80), root, false);
      clients.push(client);
      servers.push(listener.accept(root));
    }
    expect(clients[0]!.send({ data: bytes(147_456, 0), flags: 0 }, root)).toBe(147_456);
    expect(account.charged).toBe(147_456);
    // The second connection has room, the sandbox does not.
    expect(errnoOf(() => clients[1]!.send({ data: bytes(65_536, 0), flags: 0 }, root))).toBe(E.ENOBUFS);
    expect(receive(servers[0]!, 100_000).data.length).toBe(100_000);
    expect(account.charged).toBe(47_456);
    expect(clients[1]!.send({ data: bytes(65_536, 0), flags: 0 }, root)).toBe(65_536);
    for (const socket of [...servers, ...clients]) socket.release();
    expect(account.charged).toBe(0);
  });

  it('charges AF_UNIX records; past the limit ENOBUFS, the passed files left to the sender', () => {
    const account = new Account(100_000);
    const s = createNetworkStack({ mode: 'none', memory: account });
    const [a, b] = s.socketPair(AF.UNIX, SOCK.STREAM, 0, root);
    expect(a.send({ data: bytes(90_000, 0), flags: 0 }, root)).toBe(90_000);
    const refs = { n: 1 };
    expect(errnoOf(() => a.send({ data: bytes(20_000, 0), flags: 0, rights: new CountedRights(refs) }, root))).toBe(E.ENOBUFS);
    // The socket took no reference of its own (nor any in-flight count: a next send with files goes).
    expect(refs.n).toBe(1);
    receive(b, 90_000);
    expect(account.charged).toBe(0);
    expect(a.send({ data: bytes(20_000, 0), flags: 0, rights: new CountedRights(refs) }, root)).toBe(20_000);
    const [c, d] = s.socketPair(AF.UNIX, SOCK.DGRAM, 0, root);
    expect(errnoOf(() => c.send({ data: bytes(90_000, 0), flags: 0 }, root))).toBe(E.ENOBUFS);
    expect(send(c, 'small', root)).toBe(5);
    expect(text(receive(d))).toBe('small');
    for (const socket of [a, b, c, d]) socket.release();
    expect(account.charged).toBe(0);
  });

  it('drops UDP datagrams past the limit, as a full receive buffer does', () => {
    const account = new Account(100_000);
    const s = createNetworkStack({ mode: 'none', memory: account });
    const receiver = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    receiver.bind(LOOP(53), root);
    const sender = s.socket(AF.INET, SOCK.DGRAM, 0, root);
    for (let i = 0; i < 3; i++) expect(sender.send({ data: bytes(40_000, i), flags: 0, to: LOOP(53) }, root)).toBe(40_000);
    expect(account.charged).toBe(80_000);
    expect(Buffer.from(receive(receiver, 65_536).data).equals(Buffer.from(bytes(40_000, 0)))).toBe(true);
    expect(Buffer.from(receive(receiver, 65_536).data).equals(Buffer.from(bytes(40_000, 1)))).toBe(true);
    expect(errnoOf(() => receive(receiver, 65_536, 0x40))).toBe(E.EAGAIN);
    expect(account.charged).toBe(0);
  });
});
