// Regular files of the memory filesystem. A file that came from the lower layer reads
// from the host until its first change, then lives in memory (copy-up). A file a workload
// maps shared moves into a host memory file (HostMemoryData) for the rest of its life.

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { FALLOC, SEEK } from '../../abi/linux-fcntl.js';
import { S, type FileImpl, type MemoryFileFactory } from '../api.js';
import { host } from '../host-call.js';
import { HostMemoryData } from './host-memory.js';
import { MemNode, type Owner } from './node.js';
import { PAGE_SIZE, SparsePages, type FileData } from './pages.js';
import type { LowerEntry } from './lower.js';
import type { MemFs } from './fs.js';

/**
 * Lower files nobody has open keep their host fd for a while, so a program opened again
 * and again (a shared library at each exec) does not pay a host open each time.
 */
const MAX_IDLE_LOWER_FDS = 128;
const idleLowerFiles = new Set<MemFile>();

export class MemFile extends MemNode {
  private data: FileData | undefined;
  private lower: LowerEntry | undefined;
  private lowerFd: number | undefined;
  private openCount = 0;

  constructor(fs: MemFs, mode: number, owner: Owner, lower?: LowerEntry) {
    super(fs, S.IFREG | (mode & 0o7777), owner, lower?.attrs);
    if (lower) {
      this.lower = lower;
      const xattrs = lower.xattrs;
      if (xattrs) this.startXattrsFrom(() => xattrs.call(lower));
    } else {
      this.data = new SparsePages(fs);
    }
  }

  get size(): number {
    return this.data ? this.data.size : (this.lower as LowerEntry).attrs.size;
  }

  protected override get blocks(): number {
    if (this.data) return this.data.allocatedPages * (PAGE_SIZE / 512);
    return Math.ceil(this.size / 512);
  }

  /** Copies a lower file's contents into memory before its first change. */
  private copyUp(): FileData {
    if (this.data) return this.data;
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
    this.data = pages;
    this.lower = undefined;
    this.closeLower();
    return pages;
  }

  read(buf: Uint8Array, position: number): number {
    if (this.data) return this.data.read(buf, position);
    const size = this.size;
    if (position >= size) return 0;
    const fd = this.openLower();
    return host(() => fs.readSync(fd, buf, 0, Math.min(buf.length, size - position), position));
  }

  private openLower(): number {
    if (this.lowerFd === undefined) {
      this.lowerFd = (this.lower as LowerEntry).openRead();
      if (this.openCount === 0) this.parkLower();
    }
    return this.lowerFd;
  }

  write(buf: Uint8Array, position: number): number {
    const n = this.copyUp().write(buf, position);
    this.touch();
    return n;
  }

  protected override resize(size: number): void {
    if (!this.data && size === 0) {
      // Truncating a lower file to nothing needs none of its contents.
      this.data = new SparsePages(this.fs);
      this.lower = undefined;
      this.closeLower();
      return;
    }
    this.copyUp().truncate(size);
  }

  /**
   * The host fd a shared mapping maps. A lower file nobody changed gives its read-only
   * host file, as overlayfs does (a later copy-up is not seen through such a mapping);
   * otherwise the contents move into a host memory file, once.
   */
  sharedHostFile(writable: boolean, createMemoryFile: MemoryFileFactory): number {
    if (!this.data && !writable) return this.openLower();
    const data = this.copyUp();
    if (data instanceof HostMemoryData) return data.hostFd(writable);
    const fd = createMemoryFile('tssc-shared');
    if (fd < 0) fail(-fd);
    const moved = HostMemoryData.adopt(fd, data as SparsePages, this.fs);
    this.data = moved;
    return moved.hostFd(writable);
  }

  allocate(mode: number, offset: number, length: number): void {
    const pages = this.copyUp();
    if (mode === (FALLOC.PUNCH_HOLE | FALLOC.KEEP_SIZE)) pages.punchHole(offset, offset + length);
    else if (mode === 0 || mode === FALLOC.KEEP_SIZE) pages.allocate(offset, offset + length, mode !== 0);
    else fail(E.EOPNOTSUPP);
    this.touch();
  }

  seekData(offset: number, whence: number): number {
    if (this.data) return this.data.seek(offset, whence === SEEK.DATA);
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
      sharedHostFile: (writable, createMemoryFile) => this.sharedHostFile(writable, createMemoryFile),
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
      this.data?.release();
      this.closeLower();
      this.releaseXattrs();
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
