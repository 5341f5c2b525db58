// A socket's unread bytes in a ring: pushed at the back, taken or peeked from the front by
// reads of any size, counted for FIONREAD and flow control, and charged to the sandbox's
// memory account while queued (as a memory cgroup charges socket buffers). A busy stream
// allocates nothing: the ring's storage comes from a pool that drained queues give theirs
// back to, so an idle connection holds no storage and a stream that fills and drains
// reuses the same buffers (a 64 KiB write is one copy into the ring, not a new buffer for
// the garbage collector).

import type { MemoryCharge } from '../accounting/memory-account.js';

/** Ring storage comes in multiples of this (so it is at most this much more than the bytes it held). */
const STORAGE_STEP = 1 << 16;
/** The most storage the pool keeps for reuse; beyond it, drained rings go to the collector. */
const POOL_LIMIT = 1 << 23;

const EMPTY = new Uint8Array(0);

/** The account of a stack made without one (unit tests): everything fits. */
export const UNCHARGED: MemoryCharge = { tryCharge: () => true, uncharge: () => undefined };

/** Storage of rings, by size, for the next queue that needs one. */
class StoragePool {
  private readonly free = new Map<number, Uint8Array[]>();
  private held = 0;

  take(size: number): Uint8Array {
    const reused = this.free.get(size)?.pop();
    if (!reused) return new Uint8Array(size);
    this.held -= size;
    return reused;
  }

  give(storage: Uint8Array): void {
    if (this.held + storage.length > POOL_LIMIT) return;
    this.held += storage.length;
    const list = this.free.get(storage.length);
    if (list) list.push(storage);
    else this.free.set(storage.length, [storage]);
  }
}

const pool = new StoragePool();

export class ByteQueue {
  private storage: Uint8Array | undefined;
  /** Where the unread bytes start in storage. */
  private head = 0;
  private bytes = 0;

  constructor(private readonly memory: MemoryCharge = UNCHARGED) {}

  get length(): number {
    return this.bytes;
  }

  /**
   * Keeps a copy of data (the sender may reuse its buffer); false, with nothing kept, when
   * the memory account refuses its bytes.
   */
  push(data: Uint8Array): boolean {
    const n = data.length;
    if (n === 0) return true;
    if (!this.memory.tryCharge(n)) return false;
    const storage = this.roomFor(n);
    const size = storage.length;
    let tail = this.head + this.bytes;
    if (tail >= size) tail -= size;
    const first = Math.min(n, size - tail);
    storage.set(first === n ? data : data.subarray(0, first), tail);
    if (first < n) storage.set(data.subarray(first), 0);
    this.bytes += n;
    return true;
  }

  /**
   * Up to n bytes from the front; take removes them, a peek leaves them. What lies in one
   * stretch of the ring comes back as a view of it: valid until the queue is pushed to
   * again (the caller copies it out at once, or keeps a copy of its own).
   */
  read(n: number, take: boolean): Uint8Array {
    const count = Math.min(n, this.bytes);
    const storage = this.storage;
    if (count <= 0 || !storage) return EMPTY;
    const end = this.head + count;
    let out: Uint8Array;
    if (end <= storage.length) out = storage.subarray(this.head, end);
    else {
      out = new Uint8Array(count);
      const first = storage.length - this.head;
      out.set(storage.subarray(this.head), 0);
      out.set(storage.subarray(0, count - first), first);
    }
    if (take) this.drop(count);
    return out;
  }

  /** Removes n bytes from the front; a drained queue gives its storage back. */
  private drop(n: number): void {
    this.memory.uncharge(n);
    this.bytes -= n;
    if (this.bytes === 0) {
      this.releaseStorage();
      return;
    }
    this.head += n;
    if (this.head >= this.storage!.length) this.head -= this.storage!.length;
  }

  /** The storage, grown (the bytes moved to its start) until n more bytes fit. */
  private roomFor(n: number): Uint8Array {
    const needed = this.bytes + n;
    const storage = this.storage;
    if (storage && needed <= storage.length) return storage;
    const grown = pool.take(Math.ceil(needed / STORAGE_STEP) * STORAGE_STEP);
    if (storage) {
      grown.set(this.read(this.bytes, false), 0);
      pool.give(storage);
    }
    this.storage = grown;
    this.head = 0;
    return grown;
  }

  /** Drops every byte (their charge goes back) and the storage. */
  clear(): void {
    this.memory.uncharge(this.bytes);
    this.bytes = 0;
    this.releaseStorage();
  }

  private releaseStorage(): void {
    if (this.storage) pool.give(this.storage);
    this.storage = undefined;
    this.head = 0;
  }
}
