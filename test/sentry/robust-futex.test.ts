// The walk of a dying thread's robust list (robust-futex.ts) over a fake address space:
// the locks the thread holds get its host tid with FUTEX_WAITERS, everything else stays,
// and hostile lists (loops, holes, misaligned words) end the walk as they end the kernel's.
import { describe, expect, it } from 'vitest';
import { E, SysError } from '../../src/abi/errno.js';
import { forgetRobustList, handRobustListToKernel, recordRobustList } from '../../src/sentry/kernel/futex/robust.js';
import type { TaskMemory } from '../../src/sentry/kernel/syscall.js';

const WAITERS = 0x80000000;
const OWNER_DIED = 0x40000000;

/** Sparse memory: 8-byte aligned cells that exist only where written first. */
class FakeMemory implements TaskMemory {
  readonly bytes = new Map<bigint, number>();
  reads = 0;

  map(addr: bigint, length: number): void {
    for (let i = 0n; i < BigInt(length); i++) this.bytes.set(addr + i, 0);
  }

  read(addr: bigint, length: number): Buffer {
    this.reads++;
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      const byte = this.bytes.get(addr + BigInt(i));
      if (byte === undefined) throw new SysError(E.EFAULT);
      out[i] = byte;
    }
    return out;
  }

  readInto(addr: bigint, into: Uint8Array): void {
    into.set(this.read(addr, into.length));
  }

  write(addr: bigint, data: Uint8Array): void {
    data.forEach((byte, i) => {
      if (!this.bytes.has(addr + BigInt(i))) throw new SysError(E.EFAULT);
      this.bytes.set(addr + BigInt(i), byte);
    });
  }

  readCString(): string {
    throw new SysError(E.EFAULT);
  }

  u64(addr: bigint, value: bigint): void {
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(BigInt.asUintN(64, value));
    this.map(addr, 8);
    this.write(addr, buf);
  }

  u32(addr: bigint, value?: number): number {
    if (value !== undefined) {
      const buf = Buffer.alloc(4);
      buf.writeUInt32LE(value >>> 0);
      this.map(addr, 4);
      this.write(addr, buf);
    }
    return this.read(addr, 4).readUInt32LE(0);
  }
}

const HEAD = 0x1000n;
/** glibc's layout: the futex word sits before the list entry (a negative offset). */
const OFFSET = -16n;

/** A thread (virtual tid 7, host tid 4242) whose list holds entries in this order. */
function thread(entries: bigint[], pending = 0n) {
  const mem = new FakeMemory();
  const all = [...entries];
  mem.u64(HEAD, all[0] ?? HEAD);
  mem.u64(HEAD + 8n, OFFSET);
  mem.u64(HEAD + 16n, pending);
  all.forEach((entry, i) => mem.u64(entry & ~1n, all[i + 1] ?? HEAD));
  const task = { process: { tid: 7 }, hostTid: 4242, mem };
  recordRobustList(task, HEAD);
  return { task, mem };
}

describe('the robust list at a thread exit', () => {
  it("gives the thread's own locks its host tid with FUTEX_WAITERS and leaves others' alone", () => {
    const [a, b, c] = [0x2010n, 0x3010n, 0x4010n];
    const { task, mem } = thread([a, b, c]);
    mem.u32(a + OFFSET, 7);
    mem.u32(b + OFFSET, 9);
    mem.u32(c + OFFSET, 7 | WAITERS | OWNER_DIED);
    const pi: bigint[] = [];
    handRobustListToKernel(task, (_t, word) => pi.push(word));
    expect(mem.u32(a + OFFSET)).toBe((4242 | WAITERS) >>> 0);
    expect(mem.u32(b + OFFSET)).toBe(9);
    expect(mem.u32(c + OFFSET)).toBe((4242 | WAITERS | OWNER_DIED) >>> 0);
    expect(pi).toEqual([]);
  });

  it('hands PI entries (bit 0) to the PI side and takes the pending entry once', () => {
    const [a, pending] = [0x2010n, 0x5010n];
    const { task, mem } = thread([a | 1n], pending);
    mem.u32(a + OFFSET, 7);
    mem.map(pending, 8);
    mem.u32(pending + OFFSET, 7);
    const pi: bigint[] = [];
    handRobustListToKernel(task, (_t, word) => pi.push(word));
    expect(pi).toEqual([a + OFFSET]);
    expect(mem.u32(a + OFFSET)).toBe(7);
    expect(mem.u32(pending + OFFSET)).toBe((4242 | WAITERS) >>> 0);
  });

  it('walks a list only once: the record is gone after the exit, and after exec', () => {
    const a = 0x2010n;
    const { task, mem } = thread([a]);
    mem.u32(a + OFFSET, 7);
    handRobustListToKernel(task, () => undefined);
    mem.u32(a + OFFSET, 7);
    mem.reads = 0;
    handRobustListToKernel(task, () => undefined);
    expect(mem.reads).toBe(0);

    recordRobustList(task, HEAD);
    forgetRobustList(task);
    handRobustListToKernel(task, () => undefined);
    expect(mem.reads).toBe(0);
    expect(mem.u32(a + OFFSET)).toBe(7);
  });

  it('stops a looping list after the kernel bound and a list that runs into unmapped memory', () => {
    const loop = 0x2010n;
    const { task, mem } = thread([loop]);
    mem.u64(loop, loop); // the entry points at itself
    mem.u32(loop + OFFSET, 7);
    handRobustListToKernel(task, () => undefined);
    expect(mem.u32(loop + OFFSET)).toBe((4242 | WAITERS) >>> 0);
    expect(mem.reads).toBeLessThan(2048 * 2 + 10);

    const [a, hole] = [0x2010n, 0x9010n];
    const broken = thread([a, hole]);
    broken.mem.u32(a + OFFSET, 7);
    broken.mem.bytes.delete(hole); // the second entry is not mapped
    expect(() => handRobustListToKernel(broken.task, () => undefined)).not.toThrow();
    expect(broken.mem.u32(a + OFFSET)).toBe((4242 | WAITERS) >>> 0);
  });

  it('skips misaligned futex words and survives an unmapped head', () => {
    const a = 0x2011n;
    const { task, mem } = thread([a]);
    mem.u32(a + OFFSET, 7);
    handRobustListToKernel(task, () => undefined);
    expect(mem.u32(a + OFFSET)).toBe(7);

    const lost = { process: { tid: 7 }, hostTid: 4242, mem: new FakeMemory() };
    recordRobustList(lost, HEAD);
    expect(() => handRobustListToKernel(lost, () => undefined)).not.toThrow();
  });
});
