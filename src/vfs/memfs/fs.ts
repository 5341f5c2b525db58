// A memory filesystem: tmpfs, and the overlay root whose lower layer is the host rootfs.

import { E, fail } from '../../abi/errno.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import { S, type Filesystem, type Statfs } from '../api.js';
import { MemDir } from './dir.js';
import { MemFile } from './file.js';
import { MemNode, MemSpecial, MemSymlink } from './node.js';
import { PAGE_SIZE, type PageBudget } from './pages.js';
import type { LowerDir, LowerEntry } from './lower.js';

export const TMPFS_MAGIC = 0x01021994;
export const OVERLAYFS_SUPER_MAGIC = 0x794c7630;

export interface MemFsOptions {
  type: string;
  magic: number;
  dev: number;
  /** Byte limit of file contents (tmpfs size=); Infinity for none. */
  sizeLimit: number;
  rootMode: number;
  rootOwner: { uid: number; gid: number };
  /** The read-only layer below (the overlay root). */
  lower?: { root: LowerDir; rootEntry: LowerEntry };
  /** The sandbox's memory: every page, name and attribute the workload adds is charged to it. */
  account: MemoryCharge;
}

/**
 * What a name the workload adds costs the sentry, charged as Linux charges a memory cgroup
 * for a shmem inode and its dentry (about 1 KiB), so a workload creating millions of
 * empty files runs into its memory limit, not the sentry's heap.
 */
export const NAME_BYTES = 1024;

export class MemFs implements Filesystem, PageBudget {
  readonly type: string;
  readonly dev: number;
  readonly root: MemDir;
  private readonly magic: number;
  private pageLimit: number;
  private readonly account: MemoryCharge;
  private usedPages = 0;
  private nextIno = 1;
  /** Lower non-directories already shown, by identity: hard links stay one inode. */
  private readonly lowerNodes = new Map<string, MemNode>();

  constructor(options: MemFsOptions) {
    this.type = options.type;
    this.magic = options.magic;
    this.dev = options.dev;
    this.pageLimit = Math.floor(options.sizeLimit / PAGE_SIZE);
    this.account = options.account;
    const lower = options.lower;
    this.root = new MemDir(this, S.IFDIR | options.rootMode, options.rootOwner, lower?.root, lower?.rootEntry);
    if (lower) {
      this.root.uid = lower.rootEntry.attrs.uid;
      this.root.gid = lower.rootEntry.attrs.gid;
    }
  }

  allocateIno(): number {
    return this.nextIno++;
  }

  /** A remount's new size= (tmpfs): false when the contents already take more. */
  resize(sizeLimit: number): boolean {
    const pages = Math.floor(sizeLimit / PAGE_SIZE);
    if (pages < this.usedPages) return false;
    this.pageLimit = pages;
    return true;
  }

  tryReserve(): boolean {
    if (this.usedPages >= this.pageLimit || !this.account.tryCharge(PAGE_SIZE)) return false;
    this.usedPages++;
    return true;
  }

  give(pages: number): void {
    this.usedPages -= pages;
    this.account.uncharge(pages * PAGE_SIZE);
  }

  /** Charges bytes of names or attributes the workload adds; ENOSPC, as a full tmpfs gives, past the limit. */
  chargeMetadata(bytes: number): void {
    if (!this.account.tryCharge(bytes)) fail(E.ENOSPC);
  }

  releaseMetadata(bytes: number): void {
    this.account.uncharge(bytes);
  }

  nodeForLower(entry: LowerEntry): MemNode {
    const attrs = entry.attrs;
    const type = attrs.mode & S.IFMT;
    if (type === S.IFDIR) return new MemDir(this, attrs.mode, attrs, entry.directory(), entry);
    const known = this.lowerNodes.get(attrs.key);
    if (known) return known;
    let node: MemNode;
    if (type === S.IFREG) node = new MemFile(this, attrs.mode, attrs, entry);
    else if (type === S.IFLNK) node = new MemSymlink(this, entry.readlink(), attrs, attrs);
    else node = new MemSpecial(this, attrs.mode, attrs.rdev, attrs, attrs);
    if (attrs.nlink > 1) this.lowerNodes.set(attrs.key, node);
    return node;
  }

  statfs(): Statfs {
    const total = Number.isFinite(this.pageLimit) ? this.pageLimit : Math.max(this.usedPages, 1 << 20);
    const free = Math.max(0, total - this.usedPages);
    return {
      type: this.magic,
      bsize: PAGE_SIZE,
      blocks: total,
      bfree: free,
      bavail: free,
      files: 1 << 20,
      ffree: (1 << 20) - Math.min(this.nextIno, 1 << 20),
      fsid: [0, 0],
      namelen: 255,
      frsize: PAGE_SIZE,
      flags: 0,
    };
  }
}
