// The contents of a memory file that a workload maps shared: a host memory file (memfd)
// whose pages the workload maps for real, so the VFS's reads and writes and the mapping
// see each other's changes at once. Only the VFS changes its size (a mapping cannot), so
// the size is kept here. Node has no fallocate: holes are punched by writing zeros.

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { host } from '../host-call.js';
import { PAGE_SIZE, type FileData, type PageBudget, type SparsePages } from './pages.js';

const ZEROS = Buffer.alloc(1 << 16);

export class HostMemoryData implements FileData {
  size = 0;
  /** Pages of the budget this file holds: every page up to its size (a mapping may fill any). */
  private reservedPages = 0;
  private readOnlyFd: number | undefined;

  private constructor(
    private readonly fd: number,
    private readonly budget: PageBudget,
  ) {}

  /** Moves pages into the empty host memory file fd (owned from now on, also on failure). */
  static adopt(fd: number, pages: SparsePages, budget: PageBudget): HostMemoryData {
    const data = new HostMemoryData(fd, budget);
    try {
      data.reservedPages = pages.allocatedPages;
      data.reserveUpTo(pages.size, E.ENOMEM);
      host(() => fs.ftruncateSync(fd, pages.size));
      for (const [position, page] of pages.dataPages()) {
        // The last page may reach past the end.
        const length = Math.min(page.length, pages.size - position);
        if (length > 0) host(() => fs.writeSync(fd, page, 0, length, position));
      }
      data.size = pages.size;
    } catch (error) {
      data.release();
      throw error;
    }
    pages.forget();
    return data;
  }

  get allocatedPages(): number {
    return this.reservedPages;
  }

  /** The host fd to map: the file itself, or a read-only open of it for read-only descriptions. */
  hostFd(writable: boolean): number {
    if (writable) return this.fd;
    this.readOnlyFd ??= host(() => fs.openSync(`/proc/self/fd/${this.fd}`, O.RDONLY | O.CLOEXEC));
    return this.readOnlyFd;
  }

  read(buf: Uint8Array, position: number): number {
    if (position >= this.size) return 0;
    const length = Math.min(buf.length, this.size - position);
    return host(() => fs.readSync(this.fd, buf, 0, length, position));
  }

  write(buf: Uint8Array, position: number): number {
    const end = position + buf.length;
    if (end > this.size) this.reserveUpTo(end, E.ENOSPC);
    const n = host(() => fs.writeSync(this.fd, buf, 0, buf.length, position));
    this.size = Math.max(this.size, position + n);
    return n;
  }

  truncate(length: number): void {
    if (length > this.size) this.reserveUpTo(length, E.ENOSPC);
    host(() => fs.ftruncateSync(this.fd, length));
    this.size = length;
    const keep = Math.ceil(length / PAGE_SIZE);
    if (keep < this.reservedPages) {
      this.budget.give(this.reservedPages - keep);
      this.reservedPages = keep;
    }
  }

  punchHole(start: number, end: number): void {
    end = Math.min(end, this.size);
    for (let at = start; at < end; ) {
      const n = Math.min(ZEROS.length, end - at);
      host(() => fs.writeSync(this.fd, ZEROS, 0, n, at));
      at += n;
    }
  }

  /** The host memory file allocates on use: only the size (and the budget) grow. */
  allocate(_start: number, end: number, keepSize: boolean): void {
    if (!keepSize && end > this.size) this.truncate(end);
  }

  seek(offset: number, data: boolean): number {
    if (offset >= this.size) fail(E.ENXIO);
    return data ? offset : this.size;
  }

  release(): void {
    this.budget.give(this.reservedPages);
    this.reservedPages = 0;
    this.size = 0;
    fs.closeSync(this.fd);
    if (this.readOnlyFd !== undefined) fs.closeSync(this.readOnlyFd);
    this.readOnlyFd = undefined;
  }

  private reserveUpTo(size: number, errno: number): void {
    const wanted = Math.ceil(size / PAGE_SIZE);
    let taken = 0;
    while (this.reservedPages + taken < wanted) {
      if (!this.budget.tryReserve()) {
        this.budget.give(taken);
        fail(errno);
      }
      taken++;
    }
    this.reservedPages += taken;
  }
}
