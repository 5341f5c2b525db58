// The contents of a memory file: 4 KiB pages in a map, so holes cost nothing and size
// accounting (tmpfs size=) counts only pages that hold data.

import { E, fail } from '../../abi/errno.js';

export const PAGE_SIZE = 4096;

/** Hands out and takes back pages of a filesystem's budget. */
export interface PageBudget {
  /** Reserves one page; false when the filesystem is full. */
  tryReserve(): boolean;
  give(pages: number): void;
}

/** A memory file's contents, wherever they live (SparsePages, HostMemoryData). */
export interface FileData {
  readonly size: number;
  /** Pages of the filesystem's budget the contents hold. */
  readonly allocatedPages: number;
  read(buf: Uint8Array, position: number): number;
  /** Writes what the budget allows; ENOSPC when not even one byte fits. */
  write(buf: Uint8Array, position: number): number;
  truncate(length: number): void;
  /** Zeroes [start, end). */
  punchHole(start: number, end: number): void;
  /** Allocates [start, end) (fallocate mode 0, or KEEP_SIZE); ENOSPC if it does not fit. */
  allocate(start: number, end: number, keepSize: boolean): void;
  /** SEEK_DATA (data=true) or SEEK_HOLE from offset; ENXIO past the end. */
  seek(offset: number, data: boolean): number;
  /** Frees the contents and gives their pages back to the budget. */
  release(): void;
}

export class SparsePages implements FileData {
  private readonly pages = new Map<number, Buffer>();
  size = 0;

  constructor(private readonly budget: PageBudget) {}

  get allocatedPages(): number {
    return this.pages.size;
  }

  read(buf: Uint8Array, position: number): number {
    if (position >= this.size) return 0;
    const length = Math.min(buf.length, this.size - position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / PAGE_SIZE);
      const inPage = at - index * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, length - done);
      const page = this.pages.get(index);
      if (page) buf.set(page.subarray(inPage, inPage + n), done);
      else buf.fill(0, done, done + n);
      done += n;
    }
    return length;
  }

  /** Writes what the budget allows; ENOSPC when not even one byte fits. */
  write(buf: Uint8Array, position: number): number {
    let done = 0;
    while (done < buf.length) {
      const at = position + done;
      const index = Math.floor(at / PAGE_SIZE);
      const inPage = at - index * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, buf.length - done);
      let page = this.pages.get(index);
      if (!page) {
        if (!this.budget.tryReserve()) break;
        page = Buffer.alloc(PAGE_SIZE);
        this.pages.set(index, page);
      }
      page.set(buf.subarray(done, done + n), inPage);
      done += n;
    }
    if (done === 0 && buf.length > 0) fail(E.ENOSPC);
    this.size = Math.max(this.size, position + done);
    return done;
  }

  truncate(length: number): void {
    if (length < this.size) {
      this.dropRange(length, this.size);
      const index = Math.floor(length / PAGE_SIZE);
      const page = this.pages.get(index);
      if (page) page.fill(0, length - index * PAGE_SIZE);
    }
    this.size = length;
  }

  /** Zeroes [start, end) and frees whole pages inside it. */
  punchHole(start: number, end: number): void {
    end = Math.min(end, this.size);
    if (start >= end) return;
    const zeroPartial = (from: number, to: number) => {
      const index = Math.floor(from / PAGE_SIZE);
      this.pages.get(index)?.fill(0, from - index * PAGE_SIZE, to - index * PAGE_SIZE);
    };
    const firstWhole = Math.ceil(start / PAGE_SIZE);
    const endWhole = Math.floor(end / PAGE_SIZE);
    if (firstWhole > endWhole) {
      zeroPartial(start, end);
      return;
    }
    if (start < firstWhole * PAGE_SIZE) zeroPartial(start, firstWhole * PAGE_SIZE);
    if (end > endWhole * PAGE_SIZE) zeroPartial(endWhole * PAGE_SIZE, end);
    this.dropPages(firstWhole, endWhole);
  }

  /** Allocates zeroed pages over [start, end) (fallocate mode 0); ENOSPC if they don't fit. */
  allocate(start: number, end: number, keepSize: boolean): void {
    for (let index = Math.floor(start / PAGE_SIZE); index * PAGE_SIZE < end; index++) {
      if (this.pages.has(index)) continue;
      if (!this.budget.tryReserve()) fail(E.ENOSPC);
      this.pages.set(index, Buffer.alloc(PAGE_SIZE));
    }
    if (!keepSize) this.size = Math.max(this.size, end);
  }

  /** SEEK_DATA (data=true) or SEEK_HOLE from offset; ENXIO past the end. */
  seek(offset: number, data: boolean): number {
    if (offset >= this.size) fail(E.ENXIO);
    let index = Math.floor(offset / PAGE_SIZE);
    while (index * PAGE_SIZE < this.size) {
      if (this.pages.has(index) === data) return Math.max(offset, index * PAGE_SIZE);
      index++;
    }
    if (data) fail(E.ENXIO);
    return this.size;
  }

  /** The pages holding data, with their file offsets. */
  *dataPages(): Iterable<[number, Buffer]> {
    for (const [index, page] of this.pages) yield [index * PAGE_SIZE, page];
  }

  /** Drops the contents without giving their pages back: their budget went with them elsewhere. */
  forget(): void {
    this.pages.clear();
    this.size = 0;
  }

  release(): void {
    this.budget.give(this.pages.size);
    this.pages.clear();
    this.size = 0;
  }

  private dropRange(start: number, end: number): void {
    this.dropPages(Math.ceil(start / PAGE_SIZE), Math.ceil(end / PAGE_SIZE));
  }

  private dropPages(first: number, endIndex: number): void {
    let freed = 0;
    for (const index of [...this.pages.keys()]) {
      if (index >= first && index < endIndex) {
        this.pages.delete(index);
        freed++;
      }
    }
    this.budget.give(freed);
  }
}
