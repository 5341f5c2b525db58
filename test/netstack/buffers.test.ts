// The byte queue of stream and datagram sockets: its ring keeps bytes in order across
// wraps, growth and peeks.
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/netstack/byte-queue.js';

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('ByteQueue', () => {
  it('keeps bytes in order across wraps of its ring and growth, with peeks leaving them', () => {
    const queue = new ByteQueue();
    const sent: Buffer[] = [];
    const got: Buffer[] = [];
    let [pushed, taken] = [0, 0];
    // Pushes and takes of sizes that never line up with the ring, so it wraps and grows.
    for (let round = 0; round < 200; round++) {
      const piece = bytes(1 + ((round * 7919) % 50000), round);
      queue.push(piece);
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
});
