// Regular files of the memory filesystem. A file that came from the lower layer reads
// from the host until its first change, then lives in memory (copy-up).

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { FALLOC, SEEK } from '../../abi/linux-fcntl.js';
import { S, type FileImpl } from '../api.js';
import { host } from '../host-call.js';
import { MemNode, type Owner } from './node.js';
import { PAGE_SIZE, SparsePages } from './pages.js';
import type { LowerEntry } from './lower.js';
import type { MemFs } from './fs.js';

/**
 * Lower files nobody has open keep their host fd for a while, so a program opened again
 * and again (a shared library at each exec) does not pay a host open each time.
 */
const MAX_IDLE_LOWER_FDS = 128;
const idleLowerFiles = new Set<MemFile>();

export class MemFile extends MemNode {
  private pages: SparsePages | undefined;
  private lower: LowerEntry | undefined;
  private lowerFd: number | undefined;
  private openCount = 0;

  constructor(fs: MemFs, mode: number, owner: Owner, lower?: LowerEntry) {
    super(fs, S.IFREG | (mode & 0o7777), owner, lower?.attrs);
    if (lower) this.lower = lower;
    else this.pages = new SparsePages(fs);
  }

  get size(): number {
    return this.pages ? this.pages.size : (this.lower as LowerEntry).attrs.size;
  }

  protected override get blocks(): number {
    if (this.pages) return this.pages.allocatedPages * (PAGE_SIZE / 512);
    return Math.ceil(this.size / 512);
  }

  /** Copies a lower file's contents into memory before its first change. */
  private copyUp(): void {
    if (this.pages) return;
    const lower = this.lower as LowerEntry;
    const pages = new SparsePages(this.fs);
    const fd = lower.openRead();
    try {
      const chunk = Buffer.alloc(1 << 16);
      let position = 0;
      for (;;) {
        const n = host(() => fs.readSync(fd, chunk, 0, chunk.length, position));
        if (n === 0) break;
        writeSkippingZeroPages(pages, chunk.subarray(0, n), position);
        position += n;
      }
      pages.truncate(position);
    } catch (error) {
      pages.release();
      throw error;
    } finally {
      fs.closeSync(fd);
    }
    this.pages = pages;
    this.lower = undefined;
    this.closeLower();
  }

  read(buf: Uint8Array, position: number): number {
    if (this.pages) return this.pages.read(buf, position);
    const size = this.size;
    if (position >= size) return 0;
    if (this.lowerFd === undefined) {
      this.lowerFd = (this.lower as LowerEntry).openRead();
      if (this.openCount === 0) this.parkLower();
    }
    const fd = this.lowerFd;
    return host(() => fs.readSync(fd, buf, 0, Math.min(buf.length, size - position), position));
  }

  write(buf: Uint8Array, position: number): number {
    this.copyUp();
    const n = (this.pages as SparsePages).write(buf, position);
    this.touch();
    return n;
  }

  protected override resize(size: number): void {
    if (!this.pages && size === 0) {
      // Truncating a lower file to nothing needs none of its contents.
      this.pages = new SparsePages(this.fs);
      this.lower = undefined;
      this.closeLower();
      return;
    }
    this.copyUp();
    (this.pages as SparsePages).truncate(size);
  }

  allocate(mode: number, offset: number, length: number): void {
    this.copyUp();
    const pages = this.pages as SparsePages;
    if (mode === (FALLOC.PUNCH_HOLE | FALLOC.KEEP_SIZE)) pages.punchHole(offset, offset + length);
    else if (mode === 0 || mode === FALLOC.KEEP_SIZE) pages.allocate(offset, offset + length, mode !== 0);
    else fail(E.EOPNOTSUPP);
    this.touch();
  }

  seekData(offset: number, whence: number): number {
    if (this.pages) return this.pages.seek(offset, whence === SEEK.DATA);
    if (offset >= this.size) fail(E.ENXIO);
    return whence === SEEK.DATA ? offset : this.size;
  }

  open(): FileImpl {
    this.openCount++;
    idleLowerFiles.delete(this);
    let released = false;
    return {
      seekable: true,
      read: (buf, position) => this.read(buf, position),
      write: (buf, position) => this.write(buf, position),
      seekData: (offset, whence) => this.seekData(offset, whence),
      truncate: (length) => this.setattr({ size: length }),
      allocate: (mode, offset, length) => this.allocate(mode, offset, length),
      release: () => {
        if (released) return;
        released = true;
        this.openCount--;
        if (this.openCount === 0 && this.lowerFd !== undefined) this.parkLower();
        this.maybeFree();
      },
    };
  }

  protected override maybeFree(): void {
    if (this.nlink === 0 && this.openCount === 0) {
      this.pages?.release();
      this.closeLower();
    }
  }

  /** Keeps the idle lower fd, closing the least recently used beyond the limit. */
  private parkLower(): void {
    idleLowerFiles.delete(this);
    idleLowerFiles.add(this);
    if (idleLowerFiles.size > MAX_IDLE_LOWER_FDS) (idleLowerFiles.values().next().value as MemFile).closeLower();
  }

  private closeLower(): void {
    idleLowerFiles.delete(this);
    if (this.lowerFd !== undefined) {
      fs.closeSync(this.lowerFd);
      this.lowerFd = undefined;
    }
  }
}

/** Copies data into pages, leaving all-zero pages as holes (a sparse lower file stays sparse). */
function writeSkippingZeroPages(pages: SparsePages, data: Buffer, position: number): void {
  for (let start = 0; start < data.length; ) {
    const pageEnd = (Math.floor((position + start) / PAGE_SIZE) + 1) * PAGE_SIZE - position;
    const end = Math.min(data.length, pageEnd);
    const piece = data.subarray(start, end);
    if (piece.some((byte) => byte !== 0)) pages.write(piece, position + start);
    start = end;
  }
}
