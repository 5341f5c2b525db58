// A host directory (or file) mounted in the sandbox with writes going through to the
// host: bind mounts, and the root with --overlay=none or root.readonly. Every host call
// names a file by the fd of its directory and its one name, never followed, or by an
// O_PATH fd of the file itself (calls.ts, handle.ts): never by a host path.

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { AT, FALLOC, O, RENAME, SEEK } from '../../abi/linux-fcntl.js';
import {
  S,
  direntTypeOfMode,
  type AttrChange,
  type Credentials,
  type DirEntry,
  type FileImpl,
  type Filesystem,
  type Inode,
  type OpenBeneath,
  type Stat,
  type Statfs,
} from '../api.js';
// Any change we make outdates every cached lstat: a new operation starts.
import { beginOperation, currentOperation } from '../epoch.js';
import { host } from '../host-call.js';
import { chmodFd, chownFd, fileType, fstat, linkAt, mkdirAt, renameAt, reopen, statfs, symlinkAt, unlinkAt, utimensFd, type HostStat } from './calls.js';
import { HostDir, sameHostFile } from './handle.js';
import { fileCapabilities } from './file-caps.js';
import { XATTR_NAME_CAPS } from '../../abi/linux-capability.js';
import type { OwnershipMap } from './ownership.js';

export interface HostFsOptions {
  /** An O_PATH fd of the mounted host directory or file: the mount holds it for good. */
  rootFd: number;
  dev: number;
  ownership: OwnershipMap;
  openBeneath: OpenBeneath;
  /** Sandbox path of the host directory, for the side file's entries (the rootfs only). */
  sandboxPath?: string;
  /**
   * The sandbox is the only one changing this tree (runsc's --file-access=exclusive, its
   * default for the rootfs): lookups and attributes are cached and refreshed only after
   * the sandbox's own changes. Otherwise (bind mounts) every operation asks the host.
   */
  exclusive: boolean;
}

/**
 * Host file types whose attributes the sandbox never changes: a host device node, fifo or
 * socket reached through a mount (a bind of /dev/null, a host /dev) is the host's own,
 * shared with everything else on it, whatever the mount allows for regular files.
 */
const HOST_ONLY_TYPES = new Set<number>([S.IFCHR, S.IFBLK, S.IFIFO, S.IFSOCK]);

export class HostFs implements Filesystem {
  readonly type = 'hostfs';
  readonly dev: number;
  readonly root: HostInode;
  readonly ownership: OwnershipMap;
  readonly exclusive: boolean;
  /** By host device and inode: a host tree may span host filesystems whose inode numbers repeat. */
  private readonly inodes = new Map<string, HostInode>();
  /** Host devices met under the mount, in order: the mount's own is 0. */
  private readonly devices = new Map<number, number>();
  private readonly rootFd: number;

  constructor(options: HostFsOptions) {
    this.dev = options.dev;
    this.ownership = options.ownership;
    this.rootFd = options.rootFd;
    this.exclusive = options.exclusive;
    const st = fstat(options.rootFd);
    if (fileType(st) === S.IFDIR) {
      const dir = HostDir.pinned(options.rootFd, options.openBeneath);
      this.root = new HostInode(this, undefined, '', st, options.sandboxPath, dir);
    } else {
      // A bind-mounted file: held by its O_PATH fd.
      this.root = new HostInode(this, undefined, '', st, options.sandboxPath, undefined, options.rootFd);
    }
    this.inodes.set(hostKey(st), this.root);
  }

  /** The inode of a child found by lstat: the same object for the same host file. */
  inodeFor(parent: HostDir, name: string, st: HostStat, sandboxPath: string | undefined): HostInode {
    const known = this.inodes.get(hostKey(st));
    if (known && (known.mode & S.IFMT) === fileType(st)) {
      known.relocate(parent, name, st, sandboxPath);
      return known;
    }
    const inode = new HostInode(this, parent, name, st, sandboxPath);
    this.inodes.set(hostKey(st), inode);
    return inode;
  }

  /**
   * The inode number the sandbox sees: the host's, made distinct for files on other host
   * filesystems below the mount (the mount shows one device), so tar, cp -a and find do
   * not take two files for hard links of one.
   */
  presentedIno(st: HostStat): number {
    let index = this.devices.get(st.dev);
    if (index === undefined) {
      index = this.devices.size;
      this.devices.set(st.dev, index);
    }
    return index === 0 ? st.ino : index * FOREIGN_INO_SPAN + st.ino;
  }

  statfs(): Statfs {
    const s = statfs(this.rootFd);
    return {
      type: s.type,
      bsize: s.bsize,
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      fsid: [0, 0],
      namelen: s.namelen,
      frsize: s.bsize,
      flags: 0,
    };
  }
}

const FOREIGN_INO_SPAN = 2 ** 32;

function hostKey(st: HostStat): string {
  return `${st.dev}:${st.ino}`;
}

export class HostInode implements Inode {
  readonly ino: number;
  /** The host file's own device and inode, what every reopen is checked against. */
  private readonly hostDev: number;
  private readonly hostIno: number;
  mode: number;
  private last: HostStat;
  private lastOperation: number;
  /** The sandbox's view of last, built once per change (resolution asks many times). */
  private shown: Stat | undefined;
  /** Attributes known to be outdated by a change the sandbox made. */
  private stale = false;
  /** Host fds of this file's open descriptions: fstat still works once it is unlinked. */
  private readonly openFds = new Set<number>();
  /** The read-only host fd O_RDONLY descriptions share, and how many use it. */
  private readFd: number | undefined;
  private readers = 0;
  /** Exclusive mode: children by name (null: known absent). */
  private children: Map<string, HostInode | null> | undefined;
  private cookies: Map<string, number> | undefined;
  private nextCookie = 3;

  constructor(
    readonly fs: HostFs,
    private parent: HostDir | undefined,
    private name: string,
    st: HostStat,
    private sandboxPath: string | undefined,
    private dirHandle?: HostDir,
    private readonly selfFd?: number,
  ) {
    this.hostDev = st.dev;
    this.hostIno = st.ino;
    this.ino = this.fs.presentedIno(st);
    this.last = st;
    this.lastOperation = currentOperation();
    this.mode = this.present(st).mode;
  }

  relocate(parent: HostDir, name: string, st: HostStat, sandboxPath: string | undefined): void {
    this.moveTo(parent, name, sandboxPath);
    this.remember(st);
  }

  private moveTo(parent: HostDir, name: string, sandboxPath: string | undefined): void {
    if (sandboxPath !== this.sandboxPath) this.shown = undefined;
    this.parent = parent;
    this.name = name;
    this.sandboxPath = sandboxPath;
    this.dirHandle?.moveTo(parent, name);
  }

  private remember(st: HostStat): void {
    this.last = st;
    this.shown = undefined;
    this.lastOperation = currentOperation();
    this.stale = false;
  }

  /** A change through the sandbox: cached attributes of this file are outdated. */
  private touched(): void {
    beginOperation();
    this.stale = true;
  }

  /** A change of the entry name in this directory: forget it and its file's attributes. */
  private entryChanged(name: string): void {
    this.touched();
    const child = this.children?.get(name);
    if (child) child.stale = true;
    this.children?.delete(name);
  }

  private present(st: HostStat) {
    return this.fs.ownership.present(st, this.sandboxPath);
  }

  private refresh(): HostStat {
    if (!this.stale && (this.fs.exclusive || this.lastOperation === currentOperation())) return this.last;
    try {
      const ownFd = this.selfFd ?? (this.parent ? undefined : this.dirHandle?.fd);
      const st = ownFd !== undefined ? fstat(ownFd) : this.parent?.lstat(this.name);
      if (st && sameHostFile(st, this.hostDev, this.hostIno)) {
        this.remember(st);
        return st;
      }
    } catch {
      // Our name for it is gone: an open fd may still tell.
    }
    const [openFd] = this.openFds;
    if (openFd !== undefined) this.remember(fstat(openFd));
    // Otherwise unlinked or moved on the host: keep the last attributes we saw.
    return this.last;
  }

  stat(): Stat {
    const st = this.refresh();
    if (this.shown) return this.shown;
    const shown = this.present(st);
    this.mode = shown.mode;
    const isPlaceholder = (shown.mode & S.IFMT) !== fileType(st);
    this.shown = Object.freeze({
      dev: this.fs.dev,
      ino: this.ino,
      mode: shown.mode,
      nlink: st.nlink,
      uid: shown.uid,
      gid: shown.gid,
      rdev: shown.rdev,
      size: isPlaceholder ? 0 : st.size,
      blksize: st.blksize,
      blocks: st.blocks,
      atime: st.atime,
      mtime: st.mtime,
      ctime: st.ctime,
      ...(st.btime ? { btime: st.btime } : {}),
    });
    return this.shown;
  }

  private dir(): HostDir {
    if (!this.dirHandle) {
      if (!this.parent) fail(E.ENOTDIR);
      this.dirHandle = this.parent.openDir(this.name, this.hostIno);
    }
    return this.dirHandle;
  }

  private childPath(name: string): string | undefined {
    if (this.sandboxPath === undefined) return undefined;
    return this.sandboxPath === '/' ? `/${name}` : `${this.sandboxPath}/${name}`;
  }

  /** Only the sandbox's own tree (exclusive) answers lookups from what it holds; a bind asks the host. */
  get cacheable(): boolean {
    return this.fs.exclusive;
  }

  lookup(name: string): Inode {
    return this.child(name) ?? fail(E.ENOENT);
  }

  private child(name: string): HostInode | undefined {
    const cached = this.children?.get(name);
    if (cached === null) return undefined;
    if (cached) {
      // A hard-linked file is reached through the name it was last looked up by.
      cached.moveTo(this.dir(), name, this.childPath(name));
      return cached;
    }
    const dir = this.dir();
    const st = dir.lstat(name);
    const child = st ? this.fs.inodeFor(dir, name, st, this.childPath(name)) : undefined;
    if (this.fs.exclusive) (this.children ??= new Map()).set(name, child ?? null);
    return child;
  }

  *readdir(): Iterable<DirEntry> {
    const dir = this.dir();
    const cookies = (this.cookies ??= new Map());
    const listed: DirEntry[] = [];
    for (const name of dir.names()) {
      const child = this.child(name);
      if (!child) continue;
      let cookie = cookies.get(name);
      if (cookie === undefined) cookies.set(name, (cookie = this.nextCookie++));
      listed.push({ ino: child.ino, type: direntTypeOfMode(child.mode), name, offset: cookie });
    }
    listed.sort((a, b) => a.offset - b.offset);
    yield* listed;
  }

  /**
   * A file the sandbox just made, held by fd (its own open fd or an O_PATH one): it gets
   * the creator's ids on the host when the host lets us, and the mode asked for.
   */
  private created(name: string, fd: number, type: number, mode: number, creds: Credentials): Inode {
    this.entryChanged(name);
    const st = fstat(fd);
    // Whatever the host put at the name meanwhile, only a file of the type made is changed.
    if (fileType(st) !== type) fail(E.ENOENT, 'host file changed while creating it');
    // Owner first: a host chown clears setuid bits, which the chmod then restores.
    const chowned = this.tryHostChown(fd, st, creds.uid, creds.gid);
    const wanted = mode & 0o7777;
    if (type !== S.IFLNK && (chowned || (st.mode & 0o7777) !== wanted)) chmodFd(fd, wanted);
    const dir = this.dir();
    return this.fs.inodeFor(dir, name, fstat(fd), this.childPath(name));
  }

  /** Gives a new file the creator's ids on the host when the host lets us; else it stays ours. */
  private tryHostChown(fd: number, st: HostStat, uid: number, gid: number): boolean {
    const ids = this.fs.ownership.toHost(uid, gid);
    if (st.uid === ids.uid && st.gid === ids.gid) return false;
    try {
      chownFd(fd, ids.uid, ids.gid);
      return true;
    } catch {
      // An unprivileged sentry cannot give files away: they stay the sentry's (shown as root).
      return false;
    }
  }

  /** Runs call with an O_PATH fd of the child name just made (closed afterwards). */
  private withNewChild<T>(name: string, call: (fd: number) => T): T {
    const fd = this.dir().openChild(name, O.PATH);
    try {
      return call(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  mknod(name: string, mode: number, _rdev: number, creds: Credentials): Inode {
    const type = mode & S.IFMT;
    if (type !== S.IFREG && type !== 0) fail(E.EPERM, 'device, fifo and socket nodes cannot be created on a host mount');
    const fd = this.dir().openChild(name, O.CREAT | O.EXCL | O.WRONLY, mode & 0o7777);
    try {
      return this.created(name, fd, S.IFREG, mode, creds);
    } finally {
      fs.closeSync(fd);
    }
  }

  mkdir(name: string, mode: number, creds: Credentials): Inode {
    mkdirAt(this.dir().fd, name, mode & 0o7777);
    return this.withNewChild(name, (fd) => this.created(name, fd, S.IFDIR, mode, creds));
  }

  symlink(name: string, target: string, creds: Credentials): Inode {
    symlinkAt(target, this.dir().fd, name);
    return this.withNewChild(name, (fd) => this.created(name, fd, S.IFLNK, 0, creds));
  }

  link(name: string, target: Inode): void {
    if (!(target instanceof HostInode) || target.fs !== this.fs) fail(E.EXDEV);
    if (!target.parent) fail(E.EXDEV);
    this.entryChanged(name);
    target.touched();
    target.linkAs(this.dir(), name);
  }

  /** Gives this file a new name (linkat without following, from the name it was found by). */
  private linkAs(dir: HostDir, name: string): void {
    const from = this.parent as HostDir;
    const st = from.lstat(this.name);
    if (!st || !sameHostFile(st, this.hostDev, this.hostIno)) fail(E.ENOENT, 'host file changed while linking it');
    linkAt(from.fd, this.name, dir.fd, name);
  }

  unlink(name: string): void {
    this.entryChanged(name);
    unlinkAt(this.dir().fd, name, 0);
  }

  rmdir(name: string): void {
    this.entryChanged(name);
    unlinkAt(this.dir().fd, name, AT.REMOVEDIR);
  }

  rename(oldName: string, newDir: Inode, newName: string, exchange: boolean): void {
    if (!(newDir instanceof HostInode) || newDir.fs !== this.fs) fail(E.EXDEV);
    this.entryChanged(oldName);
    newDir.entryChanged(newName);
    renameAt(this.dir().fd, oldName, newDir.dir().fd, newName, exchange ? RENAME.EXCHANGE : 0);
    if (exchange) this.track(oldName);
    newDir.track(newName);
  }

  /** Points the inode now named name at its new place (its directory fd reopens from there). */
  private track(name: string): void {
    this.child(name);
  }

  readlink(): string {
    if (!this.parent) fail(E.EINVAL);
    return this.parent.readlink(this.name);
  }

  setattr(change: AttrChange): void {
    this.touched();
    const hostType = fileType(this.last);
    if (HOST_ONLY_TYPES.has(hostType) && (change.mode !== undefined || change.uid !== undefined || change.gid !== undefined || change.atime || change.mtime)) {
      fail(E.EPERM, 'a host device node, fifo or socket is never changed from the sandbox');
    }
    if (change.mode !== undefined) {
      if (hostType === S.IFLNK) fail(E.EOPNOTSUPP);
      const mode = change.mode;
      this.withOwnFd((fd) => chmodFd(fd, mode));
    }
    if (change.uid !== undefined || change.gid !== undefined) {
      const st = this.stat();
      const ids = this.fs.ownership.toHost(change.uid ?? st.uid, change.gid ?? st.gid);
      this.withOwnFd((fd) => chownFd(fd, ids.uid, ids.gid));
    }
    if (change.size !== undefined) {
      const size = change.size;
      const fd = this.openHost(O.WRONLY);
      try {
        host(() => fs.ftruncateSync(fd, size));
      } finally {
        fs.closeSync(fd);
      }
    }
    if (change.atime || change.mtime) {
      const { atime, mtime } = change;
      this.withOwnFd((fd) => utimensFd(fd, atime, mtime));
    }
  }

  /**
   * Runs call on an O_PATH fd of this very host file (a directory's own, the mount's, or
   * one opened beneath the parent and checked by device and inode), never on a name.
   */
  private withOwnFd(call: (fd: number) => void): void {
    const own = this.selfFd ?? this.dirHandle?.fd;
    if (own !== undefined) {
      call(own);
      return;
    }
    if (!this.parent) fail(E.ENOENT);
    const fd = this.parent.openSelf(this.name, this.hostDev, this.hostIno);
    try {
      call(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A host mount shows one xattr, a regular file's security.capability (file-caps.ts); others are EOPNOTSUPP. */
  getxattr(name: string): Uint8Array {
    if (name !== XATTR_NAME_CAPS || fileType(this.last) !== S.IFREG) fail(E.EOPNOTSUPP);
    return fileCapabilities(() => this.openHost(O.RDONLY)) ?? fail(E.ENODATA);
  }

  listxattr(): string[] {
    return fileType(this.last) === S.IFREG && fileCapabilities(() => this.openHost(O.RDONLY)) ? [XATTR_NAME_CAPS] : [];
  }

  /** Opens this regular file's contents on the host (O_NOFOLLOW, checked by inode). */
  private openHost(flags: number): number {
    if (this.parent) return this.parent.openFile(this.name, flags, this.hostIno);
    if (this.selfFd === undefined || fileType(this.last) !== S.IFREG) fail(E.ENXIO);
    return reopen(this.selfFd, flags);
  }

  open(flags: number): FileImpl {
    const type = this.mode & S.IFMT;
    if (type === S.IFDIR) return { seekable: true };
    if (type !== S.IFREG) fail(E.ENXIO);
    const hostFlags = flags & (O.ACCMODE | O.DIRECT | O.SYNC | O.DSYNC);
    const shared = hostFlags === O.RDONLY;
    const fd = shared ? this.acquireReadFd() : this.openHost(hostFlags);
    if (!shared) this.openFds.add(fd);
    let released = false;
    return {
      seekable: true,
      read: (buf, position) => host(() => fs.readSync(fd, buf, 0, buf.length, position)),
      write: (buf, position) => {
        this.touched();
        return host(() => fs.writeSync(fd, buf, 0, buf.length, position));
      },
      truncate: (length) => {
        this.touched();
        host(() => fs.ftruncateSync(fd, length));
      },
      fsync: () => host(() => fs.fsyncSync(fd)),
      // Opened with the description's access mode: a shared mapping of it changes the host file as runc's would.
      sharedHostFile: () => fd,
      seekData: (offset, whence) => {
        const size = fstat(fd).size;
        if (offset >= size) fail(E.ENXIO);
        return whence === SEEK.DATA ? offset : size;
      },
      allocate: (mode, offset, length) => {
        if (mode !== 0 && mode !== FALLOC.KEEP_SIZE) fail(E.EOPNOTSUPP);
        const size = fstat(fd).size;
        if (mode === 0 && offset + length > size) {
          this.touched();
          host(() => fs.ftruncateSync(fd, offset + length));
        }
      },
      release: () => {
        if (released) return;
        released = true;
        if (shared) {
          this.releaseReadFd();
          return;
        }
        this.openFds.delete(fd);
        fs.closeSync(fd);
      },
    };
  }

  /**
   * One read-only host fd serves every O_RDONLY description of the file (reads are
   * positional), and stays open a while after the last one closes: opening a rootfs file
   * again costs no host open.
   */
  private acquireReadFd(): number {
    if (this.readFd === undefined) {
      this.readFd = this.openHost(O.RDONLY);
      this.openFds.add(this.readFd);
    }
    idleReadFds.delete(this);
    this.readers++;
    return this.readFd;
  }

  private releaseReadFd(): void {
    if (--this.readers > 0) return;
    idleReadFds.add(this);
    if (idleReadFds.size > MAX_IDLE_READ_FDS) (idleReadFds.values().next().value as HostInode).closeReadFd();
  }

  private closeReadFd(): void {
    idleReadFds.delete(this);
    if (this.readFd === undefined) return;
    this.openFds.delete(this.readFd);
    fs.closeSync(this.readFd);
    this.readFd = undefined;
  }
}

/** Host files whose shared read fd no description uses, least recently used first. */
const MAX_IDLE_READ_FDS = 128;
const idleReadFds = new Set<HostInode>();
