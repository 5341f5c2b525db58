// A host directory (or file) mounted in the sandbox with writes going through to the
// host: bind mounts, and the root with --overlay=none or root.readonly. Every host call
// names a file as /proc/self/fd/<dirfd>/<name> (see handle.ts), never by a host path.

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { FALLOC, O, SEEK } from '../../abi/linux-fcntl.js';
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
  type Timespec,
} from '../api.js';
// Any change we make outdates every cached lstat: a new operation starts.
import { beginOperation, currentOperation } from '../epoch.js';
import { fromMs } from '../time.js';
import { host } from '../host-call.js';
import { HostDir, fdPath } from './handle.js';
import type { OwnershipMap } from './ownership.js';

export interface HostFsOptions {
  hostPath: string;
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
  private readonly hostPath: string;

  constructor(options: HostFsOptions) {
    this.dev = options.dev;
    this.ownership = options.ownership;
    this.hostPath = options.hostPath;
    this.exclusive = options.exclusive;
    const st = host(() => fs.statSync(options.hostPath));
    if (st.isDirectory()) {
      const dir = HostDir.open(options.hostPath, options.openBeneath);
      this.root = new HostInode(this, undefined, '', st, options.sandboxPath, dir);
    } else {
      // A bind-mounted file: held by an O_PATH fd, reached through its magic link.
      const fd = host(() => fs.openSync(options.hostPath, O.PATH | O.CLOEXEC));
      this.root = new HostInode(this, undefined, '', st, options.sandboxPath, undefined, fd);
    }
    this.inodes.set(hostKey(st), this.root);
  }

  /** The inode of a child found by lstat: the same object for the same host file. */
  inodeFor(parent: HostDir, name: string, st: fs.Stats, sandboxPath: string | undefined): HostInode {
    const known = this.inodes.get(hostKey(st));
    if (known && (known.mode & S.IFMT) === (st.mode & S.IFMT)) {
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
  presentedIno(st: fs.Stats): number {
    let index = this.devices.get(st.dev);
    if (index === undefined) {
      index = this.devices.size;
      this.devices.set(st.dev, index);
    }
    return index === 0 ? st.ino : index * FOREIGN_INO_SPAN + st.ino;
  }

  statfs(): Statfs {
    const s = host(() => fs.statfsSync(this.hostPath));
    return {
      type: s.type,
      bsize: s.bsize,
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      fsid: [0, 0],
      namelen: 255,
      frsize: s.bsize,
      flags: 0,
    };
  }
}

const FOREIGN_INO_SPAN = 2 ** 32;

function hostKey(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
}

export class HostInode implements Inode {
  readonly ino: number;
  /** The host file's own device and inode, what every reopen is checked against. */
  private readonly hostDev: number;
  private readonly hostIno: number;
  mode: number;
  private last: fs.Stats;
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
    st: fs.Stats,
    private sandboxPath: string | undefined,
    private dirHandle?: HostDir,
    private readonly selfFd?: number,
  ) {
    this.hostDev = st.dev;
    this.hostIno = st.ino;
    this.ino = fs.presentedIno(st);
    this.last = st;
    this.lastOperation = currentOperation();
    this.mode = this.present(st).mode;
  }

  relocate(parent: HostDir, name: string, st: fs.Stats, sandboxPath: string | undefined): void {
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

  private remember(st: fs.Stats): void {
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

  /** The host path naming this file without following it. */
  private get where(): Buffer | string {
    return this.parent ? this.parent.path(this.name) : fdPath(this.selfFd ?? (this.dirHandle as HostDir).fd);
  }

  private present(st: fs.Stats) {
    return this.fs.ownership.present(st, this.sandboxPath);
  }

  private refresh(): fs.Stats {
    if (!this.stale && (this.fs.exclusive || this.lastOperation === currentOperation())) return this.last;
    try {
      const st = fs.lstatSync(this.where, { throwIfNoEntry: false });
      if (st && st.ino === this.hostIno && st.dev === this.hostDev) {
        this.remember(st);
        return st;
      }
    } catch {
      // Our name for it is gone: an open fd may still tell.
    }
    const [openFd] = this.openFds;
    if (openFd !== undefined) this.remember(fs.fstatSync(openFd));
    // Otherwise unlinked or moved on the host: keep the last attributes we saw.
    return this.last;
  }

  stat(): Stat {
    const st = this.refresh();
    if (this.shown) return this.shown;
    const shown = this.present(st);
    this.mode = shown.mode;
    const isPlaceholder = (shown.mode & S.IFMT) !== (st.mode & S.IFMT);
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
      atime: fromMs(st.atimeMs),
      mtime: fromMs(st.mtimeMs),
      ctime: fromMs(st.ctimeMs),
      btime: fromMs(st.birthtimeMs),
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

  private created(name: string, mode: number, creds: Credentials): Inode {
    this.entryChanged(name);
    const dir = this.dir();
    const st = dir.lstat(name);
    if (!st) fail(E.ENOENT);
    const path = dir.path(name);
    // Owner first: a host chown clears setuid bits, which the chmod then restores.
    const chowned = this.tryHostChown(path, st, creds.uid, creds.gid);
    const wanted = mode & 0o7777;
    const inode = this.fs.inodeFor(dir, name, dir.lstat(name) ?? st, this.childPath(name));
    if (!st.isSymbolicLink() && (chowned || (st.mode & 0o7777) !== wanted)) inode.setattr({ mode: wanted });
    return inode;
  }

  /** Gives a new file the creator's ids on the host when the host lets us; else it stays ours. */
  private tryHostChown(path: Buffer, st: fs.Stats, uid: number, gid: number): boolean {
    const ids = this.fs.ownership.toHost(uid, gid);
    if (st.uid === ids.uid && st.gid === ids.gid) return false;
    try {
      fs.lchownSync(path, ids.uid, ids.gid);
      return true;
    } catch {
      // An unprivileged sentry cannot give files away: they stay the sentry's (shown as root).
      return false;
    }
  }

  mknod(name: string, mode: number, _rdev: number, creds: Credentials): Inode {
    const type = mode & S.IFMT;
    if (type !== S.IFREG && type !== 0) fail(E.EPERM, 'device, fifo and socket nodes cannot be created on a host mount');
    const fd = this.dir().openChild(name, O.CREAT | O.EXCL | O.WRONLY, mode & 0o7777);
    fs.closeSync(fd);
    return this.created(name, mode, creds);
  }

  mkdir(name: string, mode: number, creds: Credentials): Inode {
    host(() => fs.mkdirSync(this.dir().path(name), mode & 0o7777));
    return this.created(name, mode, creds);
  }

  symlink(name: string, target: string, creds: Credentials): Inode {
    host(() => fs.symlinkSync(Buffer.from(target, 'latin1'), this.dir().path(name)));
    return this.created(name, 0, creds);
  }

  link(name: string, target: Inode): void {
    if (!(target instanceof HostInode) || target.fs !== this.fs) fail(E.EXDEV);
    if (!target.parent) fail(E.EXDEV);
    this.entryChanged(name);
    target.touched();
    const from = target.parent.path(target.name);
    host(() => fs.linkSync(from, this.dir().path(name)));
  }

  unlink(name: string): void {
    this.entryChanged(name);
    host(() => fs.unlinkSync(this.dir().path(name)));
  }

  rmdir(name: string): void {
    this.entryChanged(name);
    host(() => fs.rmdirSync(this.dir().path(name)));
  }

  rename(oldName: string, newDir: Inode, newName: string, exchange: boolean): void {
    if (!(newDir instanceof HostInode) || newDir.fs !== this.fs) fail(E.EXDEV);
    const from = this.dir().path(oldName);
    const to = newDir.dir().path(newName);
    this.entryChanged(oldName);
    newDir.entryChanged(newName);
    if (exchange) {
      // Node has no renameat2: exchange through a temporary name in the source directory.
      const temporary = this.dir().path(`.tssc-exchange-${process.pid}-${this.nextCookie++}`);
      host(() => fs.renameSync(from, temporary));
      try {
        host(() => fs.renameSync(to, from));
      } catch (error) {
        fs.renameSync(temporary, from);
        throw error;
      }
      host(() => fs.renameSync(temporary, to));
      this.track(oldName);
    } else {
      host(() => fs.renameSync(from, to));
    }
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
    const where = this.where;
    const isLink = (this.mode & S.IFMT) === S.IFLNK;
    if (change.mode !== undefined) {
      if (isLink) fail(E.EOPNOTSUPP);
      this.withPathFd((path) => fs.chmodSync(path, change.mode as number));
    }
    if (change.uid !== undefined || change.gid !== undefined) {
      const st = this.stat();
      const ids = this.fs.ownership.toHost(change.uid ?? st.uid, change.gid ?? st.gid);
      host(() => fs.lchownSync(where, ids.uid, ids.gid));
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
      const st = this.refresh();
      const seconds = (t: Timespec | undefined, fallbackMs: number) => (t ? t.sec + t.nsec / 1e9 : fallbackMs / 1000);
      host(() => fs.lutimesSync(where, seconds(change.atime, st.atimeMs), seconds(change.mtime, st.mtimeMs)));
    }
  }

  /** Runs a call on /proc/self/fd/N of an O_PATH fd of this file (chmod follows the magic link to it). */
  private withPathFd(call: (path: string) => void): void {
    const fd = this.openHost(O.PATH);
    try {
      host(() => call(fdPath(fd)));
    } finally {
      fs.closeSync(fd);
    }
  }

  private openHost(flags: number): number {
    if (this.parent) {
      if ((flags & O.PATH) === 0 && (this.mode & S.IFMT) === S.IFREG) return this.parent.openFile(this.name, flags, this.hostIno);
      return this.parent.openChild(this.name, flags);
    }
    return host(() => fs.openSync(this.where, flags | O.CLOEXEC));
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
        const size = host(() => fs.fstatSync(fd)).size;
        if (offset >= size) fail(E.ENXIO);
        return whence === SEEK.DATA ? offset : size;
      },
      allocate: (mode, offset, length) => {
        if (mode !== 0 && mode !== FALLOC.KEEP_SIZE) fail(E.EOPNOTSUPP);
        const size = host(() => fs.fstatSync(fd)).size;
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
   * again costs no host open (one through /proc/self/fd/N is ~20 us).
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
