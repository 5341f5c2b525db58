// Inodes of the memory filesystem (tmpfs, the overlay's upper layer): the attributes
// every kind shares, plus symlinks and device/fifo/socket nodes.

import { E, fail } from '../../abi/errno.js';
import { S, type AttrChange, type Credentials, type FileImpl, type Inode, type Stat, type Timespec } from '../api.js';
import { now, fromMs } from '../time.js';
import type { LowerAttrs } from './lower.js';
import type { MemFs } from './fs.js';

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
/** Linux's limit on one xattr value (XATTR_SIZE_MAX). */
const XATTR_SIZE_MAX = 65536;

export abstract class MemNode implements Inode {
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  rdev = 0;
  nlink: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  private attrMap: Map<string, Uint8Array> | undefined;
  /** The lower file's xattrs, taken (and charged) when first asked for. */
  private lowerXattrs: (() => ReadonlyMap<string, Uint8Array>) | undefined;
  /** Names dropped before the lower file's xattrs were read: they stay out. */
  private droppedLower: Set<string> | undefined;

  constructor(readonly fs: MemFs, mode: number, owner: { uid: number; gid: number }, lower?: LowerAttrs) {
    this.ino = fs.allocateIno();
    this.mode = mode;
    this.uid = owner.uid;
    this.gid = owner.gid;
    this.nlink = (mode & S.IFMT) === S.IFDIR ? 2 : 1;
    if (lower) {
      this.nlink = lower.nlink;
      this.rdev = lower.rdev;
      this.atime = fromMs(lower.atimeMs);
      this.mtime = fromMs(lower.mtimeMs);
      this.ctime = fromMs(lower.ctimeMs);
      this.btime = this.ctime;
    } else {
      const t = now();
      this.atime = this.mtime = this.ctime = this.btime = t;
    }
  }

  abstract get size(): number;
  protected get blocks(): number {
    return 0;
  }

  stat(): Stat {
    return {
      dev: this.fs.dev,
      ino: this.ino,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size: this.size,
      blksize: 4096,
      blocks: this.blocks,
      atime: this.atime,
      mtime: this.mtime,
      ctime: this.ctime,
      btime: this.btime,
    };
  }

  setattr(change: AttrChange): void {
    // Attributes live in this node even for a lower file: only contents ever need a copy.
    if (change.mode !== undefined) this.mode = (this.mode & S.IFMT) | (change.mode & 0o7777);
    if (change.uid !== undefined) this.uid = change.uid;
    if (change.gid !== undefined) this.gid = change.gid;
    if (change.size !== undefined) this.resize(change.size);
    if (change.atime) this.atime = change.atime;
    if (change.mtime) this.mtime = change.mtime;
    this.ctime = change.ctime ?? now();
  }

  protected resize(_size: number): void {
    fail(E.EINVAL);
  }

  /** Marks a content change (mtime and ctime). */
  touch(): void {
    this.mtime = this.ctime = now();
  }

  /** A node over a lower file starts with that file's xattrs. */
  protected startXattrsFrom(read: () => ReadonlyMap<string, Uint8Array>): void {
    this.lowerXattrs = read;
  }

  /**
   * Its xattrs, the lower file's taken in (and charged) first; a name set here since stays
   * as set. A plain setxattr needs no lower file read (lowerToo false).
   */
  private xattrs(lowerToo = true): Map<string, Uint8Array> {
    const map = (this.attrMap ??= new Map());
    const read = this.lowerXattrs;
    if (read && lowerToo) {
      this.lowerXattrs = undefined;
      for (const [name, value] of read()) {
        if (map.has(name) || this.droppedLower?.has(name)) continue;
        this.fs.chargeMetadata(name.length + value.length);
        map.set(name, Uint8Array.from(value));
      }
    }
    return map;
  }

  getxattr(name: string): Uint8Array {
    return this.xattrs().get(name) ?? fail(E.ENODATA);
  }

  setxattr(name: string, value: Uint8Array, xflags: number): void {
    if (value.length > XATTR_SIZE_MAX) fail(E.E2BIG);
    const map = this.xattrs(xflags !== 0);
    const old = map.get(name);
    if (xflags & XATTR_CREATE && old) fail(E.EEXIST);
    if (xflags & XATTR_REPLACE && !old) fail(E.ENODATA);
    this.fs.chargeMetadata(name.length + value.length);
    if (old) this.fs.releaseMetadata(name.length + old.length);
    map.set(name, Uint8Array.from(value));
    this.ctime = now();
  }

  listxattr(): string[] {
    return [...this.xattrs().keys()];
  }

  dropxattr(name: string): void {
    if (this.lowerXattrs) (this.droppedLower ??= new Set()).add(name);
    const old = this.attrMap?.get(name);
    if (!old) return;
    this.attrMap!.delete(name);
    this.fs.releaseMetadata(name.length + old.length);
    this.ctime = now();
  }

  removexattr(name: string): void {
    const map = this.xattrs();
    const old = map.get(name) ?? fail(E.ENODATA);
    map.delete(name);
    this.fs.releaseMetadata(name.length + old.length);
    this.ctime = now();
  }

  /** One name of this inode went away; frees the contents once nothing refers to it. */
  dropLink(): void {
    this.nlink = Math.max(0, this.nlink - 1);
    this.ctime = now();
    this.maybeFree();
  }

  /** Frees what a node with no name left holds (a file also waits for its last close). */
  protected maybeFree(): void {
    if (this.nlink === 0) this.releaseXattrs();
  }

  /** Gives the attributes' bytes back to the sandbox's memory. */
  protected releaseXattrs(): void {
    for (const [name, value] of this.attrMap ?? []) this.fs.releaseMetadata(name.length + value.length);
    this.attrMap = undefined;
    this.lowerXattrs = undefined;
  }

  abstract open(flags: number): FileImpl;
}

export class MemSymlink extends MemNode {
  constructor(fs: MemFs, readonly target: string, owner: { uid: number; gid: number }, lower?: LowerAttrs) {
    super(fs, S.IFLNK | 0o777, owner, lower);
  }

  get size(): number {
    return this.target.length;
  }

  readlink(): string {
    return this.target;
  }

  open(): FileImpl {
    return fail(E.ELOOP);
  }
}

/** Character and block devices, fifos and sockets: the VFS opens them through its registry. */
export class MemSpecial extends MemNode {
  constructor(fs: MemFs, mode: number, rdev: number, owner: { uid: number; gid: number }, lower?: LowerAttrs) {
    super(fs, mode, owner, lower);
    this.rdev = rdev;
  }

  get size(): number {
    return 0;
  }

  open(): FileImpl {
    return fail(E.ENXIO);
  }
}

export type Owner = Pick<Credentials, 'uid' | 'gid'>;
