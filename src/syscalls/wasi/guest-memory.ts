// The module's linear memory as the worker sees it. memory.grow detaches the old
// ArrayBuffer, so views are re-taken whenever the buffer changed; every access is bounds
// checked and an out-of-range pointer becomes EFAULT for that call, never a worker crash.

import { IOVEC_SIZE, WasiErrno } from './abi.js';

/** Thrown by accessors for a pointer outside the memory; imports answer FAULT. */
export class GuestFault {
  readonly errno = WasiErrno.FAULT;
}

export class GuestMemory {
  private memory: WebAssembly.Memory | undefined;
  private buffer: ArrayBuffer | undefined;
  private view = new DataView(new ArrayBuffer(0));
  private array = new Uint8Array(0);

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  private refresh(): void {
    const buffer = this.memory?.buffer;
    if (buffer === this.buffer || buffer === undefined) return;
    this.buffer = buffer;
    this.view = new DataView(buffer);
    this.array = new Uint8Array(buffer);
  }

  private check(ptr: number, length: number): void {
    this.refresh();
    if (ptr < 0 || length < 0 || ptr + length > this.array.length) throw new GuestFault();
  }

  u8(ptr: number): number {
    this.check(ptr, 1);
    return this.view.getUint8(ptr);
  }
  u16(ptr: number): number {
    this.check(ptr, 2);
    return this.view.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.view.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    this.check(ptr, 8);
    return this.view.getBigUint64(ptr, true);
  }
  setU8(ptr: number, value: number): void {
    this.check(ptr, 1);
    this.view.setUint8(ptr, value);
  }
  setU16(ptr: number, value: number): void {
    this.check(ptr, 2);
    this.view.setUint16(ptr, value, true);
  }
  setU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.view.setUint32(ptr, value, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** A view of [ptr, ptr+length) valid until the next memory.grow. */
  bytes(ptr: number, length: number): Uint8Array {
    this.check(ptr, length);
    return this.array.subarray(ptr, ptr + length);
  }

  /** A byte string (one char per byte), as paths travel through the sentry. */
  byteString(ptr: number, length: number): string {
    return Buffer.from(this.bytes(ptr, length)).toString('latin1');
  }

  write(ptr: number, data: Uint8Array): void {
    this.bytes(ptr, data.length).set(data);
  }

  /** The iovec array at ptr as (pointer, length) pairs, every buffer bounds checked. */
  iovecs(ptr: number, count: number): { ptr: number; len: number }[] {
    const list: { ptr: number; len: number }[] = [];
    for (let i = 0; i < count; i++) {
      const entry = { ptr: this.u32(ptr + i * IOVEC_SIZE), len: this.u32(ptr + i * IOVEC_SIZE + 4) };
      this.check(entry.ptr, entry.len);
      list.push(entry);
    }
    return list;
  }
}
