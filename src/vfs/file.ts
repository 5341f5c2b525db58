// Open file descriptions: the offset, status flags and access mode shared by the fds
// that refer to one open (dup, fork, SCM_RIGHTS), and the reference count whose last
// drop releases the file (an unlinked file keeps its data until then).

import { E, fail } from '../abi/errno.js';
import { O, SEEK, SETFL_MUTABLE } from '../abi/linux-fcntl.js';
import {
  POLL,
  S,
  direntTypeOfMode,
  type Credentials,
  type DirEntry,
  type FileDescription,
  type FileImpl,
  type FsContext,
  type Inode,
  type Location,
  type MemoryFileFactory,
  type Stat,
  type Statfs,
  type Timespec,
  type Unsubscribe,
  type UserMemory,
} from './api.js';
import { beginOperation } from './epoch.js';
import { FS_EVENT } from './notify.js';
import { parentOf, type MountImpl } from './tree.js';
import type { VfsImpl } from './vfs.js';

/**
 * Largest file offset and size (Linux's s_maxbytes, bounded by what a double holds
 * exactly): a truncate or fallocate past it is EFBIG, as Linux's inode_newsize_ok says.
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export class OpenFile implements FileDescription {
  private refs = 1;
  private position = 0;
  private flags: number;

  constructor(
    private readonly vfs: VfsImpl,
    readonly location: Location,
    flags: number,
    readonly impl: FileImpl | undefined,
    /** The opener's credentials: Linux drops setuid bits on write unless the writer has CAP_FSETID. */
    private readonly creds: Credentials,
    /** The opener's root: `..` of a directory there is itself (a chroot's getdents). */
    private readonly openerRoot: Location,
  ) {
    this.flags = flags & ~(O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.CLOEXEC);
    // An open file keeps its mount busy (umount2 says EBUSY) and, open for writing, writable.
    (location.mount as MountImpl).hold(this.writable);
  }

  get inode(): Inode {
    return this.location.dentry.inode;
  }

  get accessMode(): number {
    return this.flags & O.ACCMODE;
  }

  get statusFlags(): number {
    return this.flags;
  }

  get isPath(): boolean {
    return (this.flags & O.PATH) !== 0;
  }

  get offset(): number {
    return this.position;
  }

  setStatusFlags(flags: number): void {
    this.flags = (this.flags & ~SETFL_MUTABLE) | (flags & SETFL_MUTABLE);
  }

  ref(): void {
    this.refs++;
  }

  unref(): void {
    if (--this.refs > 0) return;
    (this.location.mount as MountImpl).release(this.writable);
    this.impl?.release?.();
    if (!this.isPath) this.vfs.notifier.changed(this.location, this.writable ? FS_EVENT.CLOSE_WRITE : FS_EVENT.CLOSE_NOWRITE);
  }

  private contents(): FileImpl {
    if (!this.impl) fail(E.EBADF);
    return this.impl;
  }

  private get readable(): boolean {
    return !this.isPath && this.accessMode !== O.WRONLY;
  }

  private get writable(): boolean {
    return !this.isPath && this.accessMode !== O.RDONLY;
  }

  private isDirectory(): boolean {
    return (this.inode.stat().mode & S.IFMT) === S.IFDIR;
  }

  read(buf: Uint8Array, position?: number): number {
    if (!this.readable) fail(E.EBADF);
    const impl = this.contents();
    if (this.isDirectory()) fail(E.EISDIR);
    if (!impl.read) fail(E.EINVAL);
    let n: number;
    if (!impl.seekable) {
      if (position !== undefined) fail(E.ESPIPE);
      n = impl.read(buf, -1, this.flags);
    } else {
      if (position !== undefined && position < 0) fail(E.EINVAL);
      n = impl.read(buf, position ?? this.position, this.flags);
      if (position === undefined) this.position += n;
    }
    if (n > 0) this.vfs.notifier.changed(this.location, FS_EVENT.ACCESS);
    return n;
  }

  write(buf: Uint8Array, position?: number): number {
    if (!this.writable) fail(E.EBADF);
    const impl = this.contents();
    if (!impl.write) fail(E.EINVAL);
    let n: number;
    if (!impl.seekable) {
      if (position !== undefined) fail(E.ESPIPE);
      n = impl.write(buf, -1, this.flags);
    } else {
      if (position !== undefined && position < 0) fail(E.EINVAL);
      // Linux appends even for pwrite on an O_APPEND file.
      const at = this.flags & O.APPEND ? this.inode.stat().size : (position ?? this.position);
      if (buf.length > 0 && at >= MAX_OFFSET) fail(E.EFBIG);
      if (buf.length > 0) this.vfs.dropSetid(this.location, this.creds);
      n = impl.write(buf, at, this.flags);
      if (position === undefined) this.position = at + n;
    }
    if (n > 0) this.vfs.notifier.changed(this.location, FS_EVENT.MODIFY);
    return n;
  }

  seek(offset: number, whence: number): number {
    if (this.isPath) fail(E.EBADF);
    const impl = this.contents();
    if (!impl.seekable) fail(E.ESPIPE);
    let base: number;
    switch (whence) {
      case SEEK.SET:
        base = 0;
        break;
      case SEEK.CUR:
        base = this.position;
        break;
      case SEEK.END:
        base = this.inode.stat().size;
        break;
      case SEEK.DATA:
      case SEEK.HOLE: {
        if (offset < 0) fail(E.ENXIO);
        const size = this.inode.stat().size;
        const found = impl.seekData ? impl.seekData(offset, whence) : offset >= size ? fail(E.ENXIO) : whence === SEEK.DATA ? offset : size;
        return (this.position = found);
      }
      default:
        return fail(E.EINVAL);
    }
    const target = base + offset;
    if (target < 0 || target > MAX_OFFSET) fail(E.EINVAL);
    return (this.position = target);
  }

  getdents(emit: (entry: DirEntry) => boolean): void {
    if (this.isPath) fail(E.EBADF);
    const inode = this.inode;
    if (!this.isDirectory() || !inode.readdir) fail(E.ENOTDIR);
    if (inode.stat().nlink === 0) return;
    const parent = parentOf(this.location, this.openerRoot).dentry.inode;
    const own: DirEntry[] = [
      { ino: inode.ino, type: direntTypeOfMode(S.IFDIR), name: '.', offset: 1 },
      { ino: parent.ino, type: direntTypeOfMode(S.IFDIR), name: '..', offset: 2 },
    ];
    const entries = [own, inode.readdir()];
    this.vfs.notifier.changed(this.location, FS_EVENT.ACCESS);
    for (const list of entries) {
      for (const entry of list) {
        if (entry.offset < this.position) continue;
        const next = entry.offset + 1;
        if (!emit({ ino: entry.ino, type: entry.type, name: entry.name, offset: next })) return;
        this.position = next;
      }
    }
  }

  stat(): Stat {
    beginOperation();
    return this.inode.stat();
  }

  truncate(length: number): void {
    if (!this.writable) fail(E.EINVAL);
    if (length < 0) fail(E.EINVAL);
    if ((this.inode.stat().mode & S.IFMT) !== S.IFREG) fail(E.EINVAL);
    if (length > MAX_OFFSET) fail(E.EFBIG);
    this.vfs.checkWritableMount(this.location);
    this.vfs.dropSetid(this.location, this.creds);
    const impl = this.contents();
    if (!impl.truncate) return this.vfs.setattr(this.location, { size: length });
    impl.truncate(length);
    this.vfs.notifier.changed(this.location, FS_EVENT.MODIFY);
  }

  fsync(): void {
    if (this.isPath) fail(E.EBADF);
    this.contents().fsync?.();
  }

  allocate(mode: number, offset: number, length: number): void {
    if (!this.writable) fail(E.EBADF);
    if (offset < 0 || length <= 0) fail(E.EINVAL);
    const type = this.inode.stat().mode & S.IFMT;
    if (type === S.IFDIR) fail(E.EISDIR);
    if (type !== S.IFREG) fail(E.ENODEV);
    if (offset + length > MAX_OFFSET) fail(E.EFBIG);
    this.vfs.checkWritableMount(this.location);
    const impl = this.contents();
    if (!impl.allocate) fail(E.EOPNOTSUPP);
    impl.allocate(mode, offset, length);
  }

  chmod(ctx: FsContext, mode: number): void {
    this.vfs.chmodAt(ctx, this.location, mode);
  }

  chown(ctx: FsContext, uid: number, gid: number): void {
    this.vfs.chownAt(ctx, this.location, uid, gid);
  }

  utimens(ctx: FsContext, atime: Timespec | undefined, mtime: Timespec | undefined): void {
    this.vfs.utimensAt(ctx, this.location, atime, mtime, this.writable);
  }

  getxattr(ctx: FsContext, name: string): Uint8Array {
    return this.vfs.getxattrAt(ctx, this.location, name);
  }

  setxattr(ctx: FsContext, name: string, value: Uint8Array, xflags: number): void {
    this.vfs.setxattrAt(ctx, this.location, name, value, xflags);
  }

  listxattr(ctx: FsContext): string[] {
    return this.vfs.listxattrAt(ctx, this.location);
  }

  removexattr(ctx: FsContext, name: string): void {
    this.vfs.removexattrAt(ctx, this.location, name);
  }

  statfs(): Statfs {
    return this.vfs.statfsAt(this.location);
  }

  ioctl(request: number, arg: bigint, memory: UserMemory): number {
    if (this.isPath) fail(E.EBADF);
    const impl = this.contents();
    if (!impl.ioctl) fail(E.ENOTTY);
    return impl.ioctl(request, arg, memory);
  }

  sharedHostFile(createMemoryFile: MemoryFileFactory): number {
    if (this.isPath) fail(E.EBADF);
    if (!this.readable) fail(E.EACCES);
    const impl = this.contents();
    if (!impl.sharedHostFile) fail(E.ENODEV);
    return impl.sharedHostFile(this.accessMode === O.RDWR, createMemoryFile);
  }

  readiness(mask: number): number {
    if (!this.impl) return POLL.NVAL & mask;
    const ready = this.impl.readiness ? this.impl.readiness(mask) : POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    return this.impl?.subscribe ? this.impl.subscribe(mask, callback) : () => {};
  }
}
