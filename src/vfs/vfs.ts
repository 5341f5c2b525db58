// The VFS of one sandbox: the namespace operations of the *at syscalls over the mount
// tree, with Linux's permission rules and errno order.

import { LiveSet } from './live-set.js';
import type { MemoryCharge } from '../accounting/memory-account.js';
import { E, fail } from '../abi/errno.js';
import { ACCESS, AT, O, PATH_MAX, RENAME } from '../abi/linux-fcntl.js';
import {
  CAP,
  MS,
  S,
  type AttrChange,
  type Credentials,
  type FileDescription,
  type Filesystem,
  type FilesystemRegistry,
  type FsContext,
  type Inode,
  type Location,
  type MountInfo,
  type ResolveOptions,
  type SandboxProviders,
  type Stat,
  type Statfs,
  type Timespec,
  type Vfs,
} from './api.js';
import { MAY_EXEC, MAY_READ, MAY_WRITE, checkPermission, checkSticky, hasCap, hasCapOver, inGroup, modePermits } from './creds.js';
import { chmodChange, checkXattrAccess, chownChange, dropSetidChange, requestedTimes, utimensChange, xattrValueToStore } from './attr-rules.js';
import { XATTR_NAME_CAPS } from '../abi/linux-capability.js';
import { MAX_OFFSET, OpenFile } from './file.js';
import { attrChangeEvents, FS_EVENT, FsNotifier } from './notify.js';
import { Resolver, isDir, type ParentResult } from './resolve.js';
import { beginOperation } from './epoch.js';
import { DentryImpl, sameLocation, treeOf, MountTree, type MountImpl } from './tree.js';
import { Mounting } from './mounting.js';
import type { MemFs } from './memfs/fs.js';

/** statfs f_flags (ST_*) for mount flags: the same values except ST_RELATIME. */
const ST_SAME_AS_MS = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME;
const ST_RELATIME = 4096;

/** The node types mknod makes (0 means a regular file). */
const MKNOD_TYPES = new Set<number>([S.IFREG, S.IFCHR, S.IFBLK, S.IFIFO, S.IFSOCK]);

function statfsFlags(mountFlags: number): number {
  return (mountFlags & ST_SAME_AS_MS) | (mountFlags & MS.RELATIME ? ST_RELATIME : 0);
}

/** What a VfsImpl is made of (build.ts). */
export interface VfsParts {
  tree: MountTree;
  registry: FilesystemRegistry;
  providers: SandboxProviders;
  anonymous: { mount: MountImpl; memfs: MemFs };
  /** Filesystems read-only as a whole (a superblock's SB_RDONLY). */
  readonlyFs: WeakSet<Filesystem>;
  /** The sandbox's memory, charged by every memory filesystem (the tmpfs mounts made inside too). */
  account: MemoryCharge;
  allocateDev(): number;
}

export class VfsImpl implements Vfs {
  readonly root: Location;
  readonly notifier = new FsNotifier();
  private readonly registry: FilesystemRegistry;
  private readonly anonymous: { mount: MountImpl; memfs: MemFs };
  private readonly readonlyFs: WeakSet<Filesystem>;
  /** Every mount namespace of the sandbox: the first, and the copies unshare made. */
  private readonly namespaces: LiveSet<MountTree>;
  private readonly mounting: Mounting;

  constructor(parts: VfsParts) {
    this.registry = parts.registry;
    this.anonymous = parts.anonymous;
    this.readonlyFs = parts.readonlyFs;
    this.namespaces = new LiveSet([parts.tree]);
    this.root = { mount: parts.tree.root, dentry: parts.tree.root.root };
    this.mounting = new Mounting({
      vfs: this,
      registry: parts.registry,
      providers: parts.providers,
      namespaces: this.namespaces,
      readonlyFs: parts.readonlyFs,
      account: parts.account,
      allocateDev: parts.allocateDev,
      pathOf: (loc) => this.pathOf(undefined, loc),
    });
  }

  /** Every path operation starts here, so host attributes are read afresh once per operation. */
  private resolver(ctx: FsContext): Resolver {
    beginOperation();
    return new Resolver(ctx);
  }

  /** Whether something is mounted on inode in any namespace (rename and unlink of it are EBUSY). */
  private isMountPoint(inode: Inode): boolean {
    for (const tree of this.namespaces) if (tree.isMountPoint(inode)) return true;
    return false;
  }

  // ---- lookups --------------------------------------------------------------------

  resolve(ctx: FsContext, dir: Location | undefined, path: string, opts: ResolveOptions): Location {
    const loc = this.lookupAt(ctx, dir, path, opts.follow, opts.emptyPath ?? false);
    if (opts.directory && !isDir(loc)) fail(E.ENOTDIR);
    return loc;
  }

  private lookupAt(ctx: FsContext, dir: Location | undefined, path: string, follow: boolean, emptyPath: boolean): Location {
    beginOperation();
    if (path === '' && emptyPath) return dir ?? ctx.cwd;
    return this.resolver(ctx).resolve(dir, path, follow);
  }

  private lookupFlags(ctx: FsContext, dir: Location | undefined, path: string, flags: number): Location {
    return this.lookupAt(ctx, dir, path, !(flags & AT.SYMLINK_NOFOLLOW), (flags & AT.EMPTY_PATH) !== 0);
  }

  statAt(loc: Location): Stat {
    beginOperation();
    return loc.dentry.inode.stat();
  }

  stat(ctx: FsContext, dir: Location | undefined, path: string, flags: number): Stat {
    return this.statAt(this.lookupFlags(ctx, dir, path, flags));
  }

  readlink(ctx: FsContext, dir: Location | undefined, path: string): string {
    const loc = this.lookupAt(ctx, dir, path, false, true);
    const inode = loc.dentry.inode;
    if ((inode.stat().mode & S.IFMT) !== S.IFLNK || !inode.readlink) fail(path === '' ? E.ENOENT : E.EINVAL);
    return inode.readlink();
  }

  // ---- open -----------------------------------------------------------------------

  open(ctx: FsContext, dir: Location | undefined, path: string, flags: number, mode: number): FileDescription {
    if ((flags & O.TMPFILE) === O.TMPFILE) return this.openTmpfile(ctx, dir, path, flags, mode);
    if (flags & O.PATH) {
      const loc = this.lookupAt(ctx, dir, path, !(flags & O.NOFOLLOW), false);
      if (flags & O.DIRECTORY && !isDir(loc)) fail(E.ENOTDIR);
      return new OpenFile(this, loc, flags & (O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC), undefined, ctx.creds, ctx.root);
    }
    const resolver = this.resolver(ctx);
    let loc: Location;
    let created = false;
    if (flags & O.CREAT) {
      ({ loc, created } = this.openCreate(ctx, resolver, resolver.walkParent(dir, path), flags, mode));
    } else {
      loc = resolver.resolve(dir, path, !(flags & O.NOFOLLOW));
    }
    return this.openLocation(ctx, loc, flags, created);
  }

  private openCreate(ctx: FsContext, resolver: Resolver, r: ParentResult, flags: number, mode: number): { loc: Location; created: boolean } {
    for (;;) {
      // O_CREAT with a trailing slash is EISDIR, whatever the name is.
      if (r.kind === 'normal' && r.trailingSlash) fail(E.EISDIR);
      if (r.kind !== 'normal') {
        const existing = resolver.last(r, true);
        if (flags & O.EXCL) fail(E.EEXIST);
        if (isDir(existing)) fail(E.EISDIR);
        return { loc: existing, created: false };
      }
      if (!isDir(r.parent)) fail(E.ENOTDIR);
      const existing = resolver.peek(r.parent, r.name);
      if (existing) {
        if (flags & O.EXCL) fail(E.EEXIST);
        const type = existing.dentry.inode.stat().mode & S.IFMT;
        if (type === S.IFLNK) {
          if (flags & O.NOFOLLOW) fail(E.ELOOP);
          const inode = existing.dentry.inode;
          if (inode.follow) return { loc: resolver.followLink(r.parent, existing, r.within), created: false };
          // A dangling link with O_CREAT creates its target, so walk to the target's parent.
          resolver.countLink();
          r = resolver.walkLink(r, (inode.readlink as () => string)());
          continue;
        }
        if (type === S.IFDIR) fail(E.EISDIR);
        return { loc: existing, created: false };
      }
      this.checkCreate(ctx, r.parent);
      const parentInode = r.parent.dentry.inode;
      if (!parentInode.mknod) fail(E.EPERM);
      const owner = this.newOwner(ctx, r.parent);
      const inode = parentInode.mknod(r.name, S.IFREG | this.createMode(ctx, r.parent, mode & 0o7777, owner), 0, owner);
      this.notifier.entry(parentInode, FS_EVENT.CREATE, r.name, inode);
      return { loc: { mount: r.parent.mount, dentry: new DentryImpl(r.name, r.parent.dentry, inode) }, created: true };
    }
  }

  private openLocation(ctx: FsContext, loc: Location, flags: number, created: boolean): FileDescription {
    const file = this.openContents(ctx, loc, flags, created);
    this.notifier.changed(loc, FS_EVENT.OPEN);
    return file;
  }

  private openContents(ctx: FsContext, loc: Location, flags: number, created: boolean): FileDescription {
    const inode = loc.dentry.inode;
    const st = inode.stat();
    const type = st.mode & S.IFMT;
    const access = flags & O.ACCMODE;
    const wantsWrite = access !== O.RDONLY || (flags & O.TRUNC) !== 0;
    if (type === S.IFLNK) fail(E.ELOOP);
    if (flags & O.DIRECTORY && type !== S.IFDIR) fail(E.ENOTDIR);
    if (type === S.IFDIR && (access !== O.RDONLY || flags & O.CREAT)) fail(E.EISDIR);
    if (!created) {
      const mask = (access !== O.WRONLY ? MAY_READ : 0) | (wantsWrite ? MAY_WRITE : 0);
      checkPermission(ctx.creds, inode, mask, st);
    }
    if (flags & O.NOATIME && ctx.creds.uid !== st.uid && !hasCapOver(ctx.creds, CAP.FOWNER, st)) fail(E.EPERM);
    if (type === S.IFREG || type === S.IFDIR) {
      if (wantsWrite) this.checkWritableMount(loc);
      const impl = inode.open(flags, ctx);
      const file = new OpenFile(this, loc, flags, impl, ctx.creds, ctx.root);
      if (flags & O.TRUNC && type === S.IFREG && !created) {
        try {
          this.dropSetid(loc, ctx.creds);
          if (st.size !== 0) this.setattr(loc, { size: 0 });
        } catch (error) {
          file.unref();
          throw error;
        }
      }
      return file;
    }
    if (type === S.IFCHR || type === S.IFBLK) {
      if (loc.mount.flags & MS.NODEV) fail(E.EACCES);
      const device = type === S.IFCHR ? this.registry.charDevice(st.rdev) : undefined;
      if (!device) fail(E.ENXIO);
      return new OpenFile(this, loc, flags, device(flags, ctx), ctx.creds, ctx.root);
    }
    if (type === S.IFIFO) {
      const fifo = this.registry.fifo();
      if (!fifo) fail(E.ENXIO);
      return new OpenFile(this, loc, flags, fifo(inode, flags, ctx), ctx.creds, ctx.root);
    }
    return fail(E.ENXIO);
  }

  private openTmpfile(ctx: FsContext, dir: Location | undefined, path: string, flags: number, mode: number): FileDescription {
    const access = flags & O.ACCMODE;
    if (access === O.RDONLY) fail(E.EINVAL);
    const loc = this.lookupAt(ctx, dir, path, true, false);
    if (!isDir(loc)) fail(E.ENOTDIR);
    this.checkCreate(ctx, loc);
    const inode = loc.dentry.inode;
    if (!inode.tmpfile) fail(E.EOPNOTSUPP);
    const owner = this.newOwner(ctx, loc);
    const file = inode.tmpfile(this.createMode(ctx, loc, mode & 0o7777, owner), owner);
    // The dentry name marks whether linkat may give the file a name (not with O_EXCL).
    const marker = flags & O.EXCL ? '!' : '#';
    const fileLoc = { mount: loc.mount, dentry: new DentryImpl(`${marker}${file.ino}`, loc.dentry, file) };
    return new OpenFile(this, fileLoc, flags & ~O.TMPFILE, file.open(flags, ctx), ctx.creds, ctx.root);
  }

  openExecutable(ctx: FsContext, dir: Location | undefined, path: string, flags: number): FileDescription {
    const loc = this.lookupAt(ctx, dir, path, true, (flags & AT.EMPTY_PATH) !== 0);
    const inode = loc.dentry.inode;
    const st = inode.stat();
    if ((st.mode & S.IFMT) !== S.IFREG) fail(E.EACCES);
    if (loc.mount.flags & MS.NOEXEC) fail(E.EACCES);
    checkPermission(ctx.creds, inode, MAY_EXEC, st);
    return new OpenFile(this, loc, O.RDONLY, inode.open(O.RDONLY, ctx), ctx.creds, ctx.root);
  }

  anonymousLocation(inode: Inode, name: string): Location {
    return { mount: this.anonymous.mount, dentry: new DentryImpl(name, undefined, inode) };
  }

  openAnonymous(inode: Inode, name: string, flags: number, ctx: FsContext): FileDescription {
    const loc = this.anonymousLocation(inode, name);
    return new OpenFile(this, loc, flags, inode.open(flags, ctx), ctx.creds, ctx.root);
  }

  memfd(ctx: FsContext, name: string, flags: number): FileDescription {
    const root = this.anonymous.memfs.root;
    const file = root.tmpfile(0o777, { uid: ctx.creds.uid, gid: ctx.creds.gid, groups: [], caps: 0n });
    const loc = { mount: this.anonymous.mount, dentry: new DentryImpl(`/memfd:${name} (deleted)`, undefined, file) };
    return new OpenFile(this, loc, O.RDWR | (flags & O.CLOEXEC), file.open(O.RDWR, ctx), ctx.creds, ctx.root);
  }

  // ---- creation -------------------------------------------------------------------

  /** Parent must be a writable directory we may write and search (EROFS before EACCES). */
  private checkCreate(ctx: FsContext, parent: Location): void {
    const inode = parent.dentry.inode;
    const st = inode.stat();
    if ((st.mode & S.IFMT) !== S.IFDIR) fail(E.ENOTDIR);
    if (st.nlink === 0) fail(E.ENOENT);
    this.checkWritableMount(parent);
    checkPermission(ctx.creds, inode, MAY_WRITE | MAY_EXEC, st);
  }

  /** The owner of a new file: fsuid, and the directory's group when it is setgid. */
  private newOwner(ctx: FsContext, parent: Location): Credentials {
    const dir = parent.dentry.inode.stat();
    return dir.mode & S.ISGID ? { ...ctx.creds, gid: dir.gid } : ctx.creds;
  }

  /** umask, and the setgid rules of inode_init_owner. */
  private createMode(ctx: FsContext, parent: Location, mode: number, owner: Credentials, isDirectory = false): number {
    let result = mode & ~ctx.umask;
    const dir = parent.dentry.inode.stat();
    if (dir.mode & S.ISGID && isDirectory) result |= S.ISGID;
    else if (result & S.ISGID && !isDirectory && !inGroup(owner, owner.gid) && !hasCapOver(ctx.creds, CAP.FSETID, dir)) result &= ~S.ISGID;
    return result;
  }

  /** The parent and name for a create-type call (mkdir, mknod, symlink, link target). */
  private createTarget(ctx: FsContext, dir: Location | undefined, path: string, allowTrailingSlash: boolean): { parent: Location; name: string } {
    const resolver = this.resolver(ctx);
    const r = resolver.walkParent(dir, path);
    if (r.kind !== 'normal') fail(E.EEXIST);
    if (!isDir(r.parent)) fail(E.ENOTDIR);
    if (resolver.peek(r.parent, r.name)) fail(E.EEXIST);
    if (r.trailingSlash && !allowTrailingSlash) fail(E.ENOENT);
    this.checkCreate(ctx, r.parent);
    return { parent: r.parent, name: r.name };
  }

  mkdir(ctx: FsContext, dir: Location | undefined, path: string, mode: number): void {
    const { parent, name } = this.createTarget(ctx, dir, path, true);
    const inode = parent.dentry.inode;
    if (!inode.mkdir) fail(E.EPERM);
    const owner = this.newOwner(ctx, parent);
    const made = inode.mkdir(name, S.IFDIR | this.createMode(ctx, parent, mode & 0o1777, owner, true), owner);
    this.notifier.entry(inode, FS_EVENT.CREATE, name, made);
  }

  mknod(ctx: FsContext, dir: Location | undefined, path: string, mode: number, rdev: number): void {
    const type = mode & S.IFMT;
    if (type !== 0 && !MKNOD_TYPES.has(type)) fail(E.EINVAL);
    if ((type === S.IFCHR || type === S.IFBLK) && !hasCap(ctx.creds, CAP.MKNOD)) fail(E.EPERM);
    const { parent, name } = this.createTarget(ctx, dir, path, false);
    const inode = parent.dentry.inode;
    if (!inode.mknod) fail(E.EPERM);
    const owner = this.newOwner(ctx, parent);
    const made = inode.mknod(name, (type || S.IFREG) | this.createMode(ctx, parent, mode & 0o7777, owner), type === S.IFCHR || type === S.IFBLK ? rdev : 0, owner);
    this.notifier.entry(inode, FS_EVENT.CREATE, name, made);
  }

  symlink(ctx: FsContext, target: string, dir: Location | undefined, path: string): void {
    if (target.length === 0) fail(E.ENOENT);
    if (target.length >= PATH_MAX) fail(E.ENAMETOOLONG);
    const { parent, name } = this.createTarget(ctx, dir, path, false);
    const inode = parent.dentry.inode;
    if (!inode.symlink) fail(E.EPERM);
    const made = inode.symlink(name, target, this.newOwner(ctx, parent));
    this.notifier.entry(inode, FS_EVENT.CREATE, name, made);
  }

  link(ctx: FsContext, oldDir: Location | undefined, oldPath: string, newDir: Location | undefined, newPath: string, flags: number): void {
    if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) fail(E.EINVAL);
    if (flags & AT.EMPTY_PATH && oldPath === '' && !hasCap(ctx.creds, CAP.DAC_READ_SEARCH)) fail(E.ENOENT);
    const old = this.lookupAt(ctx, oldDir, oldPath, (flags & AT.SYMLINK_FOLLOW) !== 0, (flags & AT.EMPTY_PATH) !== 0);
    const target = old.dentry.inode;
    const st = target.stat();
    // do_linkat's order: the new name (EEXIST, ENOENT), EXDEV, EROFS, protected_hardlinks,
    // then vfs_link's permission and type checks.
    const resolver = this.resolver(ctx);
    const r = resolver.walkParent(newDir, newPath);
    if (r.kind !== 'normal') fail(E.EEXIST);
    if (resolver.peek(r.parent, r.name)) fail(E.EEXIST);
    if (r.trailingSlash) fail(E.ENOENT);
    if (r.parent.mount !== old.mount) fail(E.EXDEV);
    this.checkWritableMount(r.parent);
    this.checkHardlinkAllowed(ctx.creds, target, st);
    this.checkCreate(ctx, r.parent);
    if ((st.mode & S.IFMT) === S.IFDIR) fail(E.EPERM);
    if (st.nlink === 0 && !isLinkableTmpfile(old)) fail(E.ENOENT);
    const inode = r.parent.dentry.inode;
    if (!inode.link) fail(E.EPERM);
    inode.link(r.name, target);
    this.notifier.self(target, FS_EVENT.ATTRIB);
    this.notifier.entry(inode, FS_EVENT.CREATE, r.name, target);
  }

  /** fs.protected_hardlinks=1, Linux's default: only linking what one owns or could write. */
  private checkHardlinkAllowed(creds: Credentials, inode: Inode, st: Stat): void {
    if (creds.uid === st.uid || hasCapOver(creds, CAP.FOWNER, st)) return;
    const type = st.mode & S.IFMT;
    const setid = st.mode & S.ISUID || (st.mode & (S.ISGID | 0o010)) === (S.ISGID | 0o010);
    const ok = type === S.IFREG && !setid && (inode.permission ? inode.permission(creds, MAY_READ | MAY_WRITE) : modePermits(creds, st, MAY_READ | MAY_WRITE));
    if (!ok) fail(E.EPERM);
  }

  // ---- removal and renaming -------------------------------------------------------

  unlink(ctx: FsContext, dir: Location | undefined, path: string, flags: number): void {
    if (flags & ~AT.REMOVEDIR) fail(E.EINVAL);
    const rmdir = (flags & AT.REMOVEDIR) !== 0;
    const resolver = this.resolver(ctx);
    const r = resolver.walkParent(dir, path);
    if (rmdir) {
      if (r.kind === 'dot') fail(E.EINVAL);
      if (r.kind === 'dotdot') fail(E.ENOTEMPTY);
      if (r.kind === 'root') fail(E.EBUSY);
    } else if (r.kind !== 'normal') {
      fail(E.EISDIR);
    }
    if (!isDir(r.parent)) fail(E.ENOTDIR);
    this.checkWritableMount(r.parent);
    const victim = resolver.peek(r.parent, r.name);
    if (!victim) fail(E.ENOENT);
    const victimIsDir = isDir(victim);
    if (!rmdir && r.trailingSlash) fail(victimIsDir ? E.EISDIR : E.ENOTDIR);
    this.checkDelete(ctx, r.parent, victim);
    if (rmdir && !victimIsDir) fail(E.ENOTDIR);
    if (!rmdir && victimIsDir) fail(E.EISDIR);
    if (victim.mount !== r.parent.mount || this.isMountPoint(victim.dentry.inode)) fail(E.EBUSY);
    const parentInode = r.parent.dentry.inode;
    const remove = rmdir ? parentInode.rmdir : parentInode.unlink;
    if (!remove) fail(E.EPERM);
    remove.call(parentInode, r.name);
    this.removed(parentInode, r.name, victim.dentry.inode);
  }

  /** The events of a name gone from dir, in Linux's order: the file's link count, the file once it has no link, the entry. */
  private removed(dir: Inode, name: string, inode: Inode): void {
    const isDir = (inode.stat().mode & S.IFMT) === S.IFDIR;
    if (!isDir) this.notifier.self(inode, FS_EVENT.ATTRIB);
    if (isDir || inode.stat().nlink === 0) this.notifier.self(inode, FS_EVENT.DELETE_SELF);
    this.notifier.entry(dir, FS_EVENT.DELETE, name, inode);
  }

  /** may_delete: write+search on the directory, then the sticky bit. */
  private checkDelete(ctx: FsContext, parent: Location, victim: Location): void {
    const dirInode = parent.dentry.inode;
    const dirStat = dirInode.stat();
    checkPermission(ctx.creds, dirInode, MAY_WRITE | MAY_EXEC, dirStat);
    checkSticky(ctx.creds, dirStat, victim.dentry.inode.stat());
  }

  rename(ctx: FsContext, oldDir: Location | undefined, oldPath: string, newDir: Location | undefined, newPath: string, flags: number): void {
    if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) fail(E.EINVAL);
    if (flags & RENAME.NOREPLACE && flags & RENAME.EXCHANGE) fail(E.EINVAL);
    if (flags & RENAME.WHITEOUT) fail(E.EINVAL);
    const exchange = (flags & RENAME.EXCHANGE) !== 0;
    const resolver = this.resolver(ctx);
    const from = resolver.walkParent(oldDir, oldPath);
    const to = resolver.walkParent(newDir, newPath);
    if (from.parent.mount !== to.parent.mount) fail(E.EXDEV);
    if (from.kind !== 'normal') fail(E.EBUSY);
    if (to.kind !== 'normal') fail(flags & RENAME.NOREPLACE ? E.EEXIST : E.EBUSY);
    this.checkWritableMount(from.parent);
    const source = resolver.peek(from.parent, from.name);
    if (!source) fail(E.ENOENT);
    const target = resolver.peek(to.parent, to.name);
    if (exchange && !target) fail(E.ENOENT);
    if (flags & RENAME.NOREPLACE && target) fail(E.EEXIST);
    const sourceIsDir = isDir(source);
    const targetIsDir = target ? isDir(target) : false;
    if (!sourceIsDir && (from.trailingSlash || (to.trailingSlash && !exchange))) fail(E.ENOTDIR);
    if (exchange && !targetIsDir && to.trailingSlash) fail(E.ENOTDIR);
    // lock_rename's trap: neither name may be an ancestor of the other's directory.
    if (sourceIsDir && this.isAncestor(source, to.parent)) fail(E.EINVAL);
    if (target && targetIsDir && this.isAncestor(target, from.parent)) fail(exchange ? E.EINVAL : E.ENOTEMPTY);
    if (target && source.dentry.inode === target.dentry.inode) return;
    this.checkDelete(ctx, from.parent, source);
    if (target) this.checkDelete(ctx, to.parent, target);
    else checkPermission(ctx.creds, to.parent.dentry.inode, MAY_WRITE | MAY_EXEC);
    if (!exchange && target) {
      if (sourceIsDir && !targetIsDir) fail(E.ENOTDIR);
      if (!sourceIsDir && targetIsDir) fail(E.EISDIR);
    }
    if (from.parent.dentry.inode !== to.parent.dentry.inode) {
      if (sourceIsDir) checkPermission(ctx.creds, source.dentry.inode, MAY_WRITE);
      if (exchange && target && targetIsDir) checkPermission(ctx.creds, target.dentry.inode, MAY_WRITE);
    }
    for (const loc of [source, target]) {
      if (loc && (loc.mount !== from.parent.mount || this.isMountPoint(loc.dentry.inode))) fail(E.EBUSY);
    }
    const fromInode = from.parent.dentry.inode;
    if (!fromInode.rename) fail(E.EPERM);
    fromInode.rename(from.name, to.parent.dentry.inode, to.name, exchange);
    this.moved(fromInode, from.name, to.parent.dentry.inode, to.name, source.dentry.inode);
    if (exchange && target) this.moved(to.parent.dentry.inode, to.name, fromInode, from.name, target.dentry.inode);
    else if (target && isDir(target)) this.notifier.self(target.dentry.inode, FS_EVENT.DELETE_SELF);
    else if (target) this.removedByRename(target.dentry.inode);
  }

  /** A rename's events: MOVED_FROM and MOVED_TO with one cookie, then MOVE_SELF. */
  private moved(fromDir: Inode, fromName: string, toDir: Inode, toName: string, inode: Inode): void {
    const cookie = this.notifier.nextCookie();
    this.notifier.entry(fromDir, FS_EVENT.MOVED_FROM, fromName, inode, cookie);
    this.notifier.entry(toDir, FS_EVENT.MOVED_TO, toName, inode, cookie);
    this.notifier.self(inode, FS_EVENT.MOVE_SELF);
  }

  /** A file a rename replaced lost a link; with none left, it is gone. */
  private removedByRename(inode: Inode): void {
    this.notifier.self(inode, FS_EVENT.ATTRIB);
    if (inode.stat().nlink === 0) this.notifier.self(inode, FS_EVENT.DELETE_SELF);
  }

  /** Whether ancestor's inode is loc or one of loc's parents within loc's mount. */
  private isAncestor(ancestor: Location, loc: Location): boolean {
    for (let d: Location['dentry'] | undefined = loc.dentry; d; d = d.parent) {
      if (d.inode === ancestor.dentry.inode) return true;
    }
    return false;
  }

  // ---- attributes -----------------------------------------------------------------

  /**
   * Before a write or truncate (file_remove_privs): drops setuid, and setgid-with-group-exec,
   * unless CAP_FSETID, and the file's capabilities whoever writes.
   */
  dropSetid(loc: Location, creds: Credentials): void {
    const change = dropSetidChange(creds, loc.dentry.inode.stat());
    if (change) this.setattr(loc, change);
    this.dropFileCapabilities(loc);
  }

  /** A changed program is no longer the one its capabilities were given to (ATTR_KILL_PRIV). */
  private dropFileCapabilities(loc: Location): void {
    const inode = loc.dentry.inode;
    if (inode.dropxattr) inode.dropxattr(XATTR_NAME_CAPS);
    else if (inode.listxattr?.().includes(XATTR_NAME_CAPS)) inode.removexattr?.(XATTR_NAME_CAPS);
  }

  checkWritableMount(loc: Location): void {
    if (loc.mount.flags & MS.RDONLY || this.readonlyFs.has(loc.mount.fs)) fail(E.EROFS);
  }

  setattr(loc: Location, change: AttrChange): void {
    const inode = loc.dentry.inode;
    if (!inode.setattr) fail(E.EPERM);
    inode.setattr(change);
    this.notifier.changed(loc, attrChangeEvents(change));
  }

  chmod(ctx: FsContext, dir: Location | undefined, path: string, mode: number, flags: number): void {
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) fail(E.EINVAL);
    this.chmodAt(ctx, this.lookupFlags(ctx, dir, path, flags), mode);
  }

  chmodAt(ctx: FsContext, loc: Location, mode: number): void {
    const change = chmodChange(ctx.creds, loc.dentry.inode.stat(), mode);
    this.checkWritableMount(loc);
    this.setattr(loc, change);
  }

  chown(ctx: FsContext, dir: Location | undefined, path: string, uid: number, gid: number, flags: number): void {
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) fail(E.EINVAL);
    this.chownAt(ctx, this.lookupFlags(ctx, dir, path, flags), uid, gid);
  }

  chownAt(ctx: FsContext, loc: Location, uid: number, gid: number): void {
    const st = loc.dentry.inode.stat();
    this.checkWritableMount(loc);
    this.setattr(loc, chownChange(ctx.creds, st, uid, gid));
    if ((st.mode & S.IFMT) !== S.IFDIR) this.dropFileCapabilities(loc);
  }

  utimens(ctx: FsContext, dir: Location | undefined, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, flags: number): void {
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) fail(E.EINVAL);
    this.utimensAt(ctx, this.lookupFlags(ctx, dir, path, flags), atime, mtime, false);
  }

  utimensAt(ctx: FsContext, loc: Location, atime: Timespec | undefined, mtime: Timespec | undefined, openForWrite: boolean): void {
    const times = requestedTimes(atime, mtime);
    if (!times) return;
    const inode = loc.dentry.inode;
    const st = inode.stat();
    this.checkWritableMount(loc);
    this.setattr(loc, utimensChange(ctx.creds, inode, st, times, openForWrite));
  }

  access(ctx: FsContext, dir: Location | undefined, path: string, mode: number, flags: number): void {
    if (mode & ~(ACCESS.R_OK | ACCESS.W_OK | ACCESS.X_OK)) fail(E.EINVAL);
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EACCESS | AT.EMPTY_PATH)) fail(E.EINVAL);
    const loc = this.lookupFlags(ctx, dir, path, flags);
    if (mode === ACCESS.F_OK) return;
    const inode = loc.dentry.inode;
    const st = inode.stat();
    const type = st.mode & S.IFMT;
    if (mode & ACCESS.W_OK && (type === S.IFREG || type === S.IFDIR || type === S.IFLNK)) this.checkWritableMount(loc);
    if (mode & ACCESS.X_OK && type === S.IFREG && loc.mount.flags & MS.NOEXEC) fail(E.EACCES);
    checkPermission(ctx.creds, inode, mode, st);
  }

  truncate(ctx: FsContext, dir: Location | undefined, path: string, length: number): void {
    if (length < 0) fail(E.EINVAL);
    const loc = this.lookupAt(ctx, dir, path, true, false);
    const inode = loc.dentry.inode;
    const st = inode.stat();
    const type = st.mode & S.IFMT;
    if (type === S.IFDIR) fail(E.EISDIR);
    if (type !== S.IFREG) fail(E.EINVAL);
    checkPermission(ctx.creds, inode, MAY_WRITE, st);
    if (length > MAX_OFFSET) fail(E.EFBIG);
    this.checkWritableMount(loc);
    this.dropSetid(loc, ctx.creds);
    this.setattr(loc, { size: length });
  }

  statfs(ctx: FsContext, dir: Location | undefined, path: string): Statfs {
    return this.statfsAt(this.lookupAt(ctx, dir, path, true, false));
  }

  statfsAt(loc: Location): Statfs {
    const result = loc.mount.fs.statfs();
    return { ...result, flags: result.flags | statfsFlags(loc.mount.flags) };
  }

  // ---- extended attributes --------------------------------------------------------

  private checkXattr(ctx: FsContext, loc: Location, name: string, mask: number): Inode {
    const inode = loc.dentry.inode;
    checkXattrAccess(ctx.creds, inode, inode.stat(), name, mask);
    if (mask & MAY_WRITE) this.checkWritableMount(loc);
    return inode;
  }

  getxattr(ctx: FsContext, dir: Location | undefined, path: string, name: string, flags: number): Uint8Array {
    return this.getxattrAt(ctx, this.lookupFlags(ctx, dir, path, flags), name);
  }

  getxattrAt(ctx: FsContext, loc: Location, name: string): Uint8Array {
    const inode = this.checkXattr(ctx, loc, name, MAY_READ);
    if (!inode.getxattr) fail(E.EOPNOTSUPP);
    return inode.getxattr(name);
  }

  setxattr(ctx: FsContext, dir: Location | undefined, path: string, name: string, value: Uint8Array, xflags: number, flags: number): void {
    this.setxattrAt(ctx, this.lookupFlags(ctx, dir, path, flags), name, value, xflags);
  }

  setxattrAt(ctx: FsContext, loc: Location, name: string, value: Uint8Array, xflags: number): void {
    if (xflags & ~3) fail(E.EINVAL);
    const stored = xattrValueToStore(name, value);
    const inode = this.checkXattr(ctx, loc, name, MAY_WRITE);
    if (!inode.setxattr) fail(E.EOPNOTSUPP);
    inode.setxattr(name, stored, xflags);
    this.notifier.changed(loc, FS_EVENT.ATTRIB);
  }

  listxattr(ctx: FsContext, dir: Location | undefined, path: string, flags: number): string[] {
    return this.listxattrAt(ctx, this.lookupFlags(ctx, dir, path, flags));
  }

  listxattrAt(ctx: FsContext, loc: Location): string[] {
    const inode = loc.dentry.inode;
    const names = inode.listxattr?.() ?? [];
    return hasCap(ctx.creds, CAP.SYS_ADMIN) ? names : names.filter((name) => !name.startsWith('trusted.'));
  }

  removexattr(ctx: FsContext, dir: Location | undefined, path: string, name: string, flags: number): void {
    this.removexattrAt(ctx, this.lookupFlags(ctx, dir, path, flags), name);
  }

  removexattrAt(ctx: FsContext, loc: Location, name: string): void {
    const inode = this.checkXattr(ctx, loc, name, MAY_WRITE);
    if (!inode.removexattr) fail(E.EOPNOTSUPP);
    inode.removexattr(name);
    this.notifier.changed(loc, FS_EVENT.ATTRIB);
  }

  // ---- paths and the mount table ---------------------------------------------------

  pathOf(ctx: FsContext | undefined, loc: Location): string {
    if (loc.mount === this.anonymous.mount) return loc.dentry.name;
    const path = pathFrom(ctx?.root ?? this.root, loc);
    return loc.dentry.inode.stat().nlink === 0 ? `${path} (deleted)` : path;
  }

  mounts(ctx?: FsContext): MountInfo[] {
    const tree = (ctx && treeOf(ctx.root)) ?? (this.root.mount as MountImpl).tree;
    if (!tree) return [];
    const root = { mount: tree.root, dentry: tree.root.root };
    return tree.mounts.map((mount) => ({
      id: mount.id,
      parentId: mount.parent ? mount.parent.mount.id : mount.id,
      dev: mount.fs.dev,
      root: mount.fsRootPath,
      mountPoint: mount.parent ? pathFrom(root, mount.parent) : '/',
      fsType: mount.fs.type,
      source: mount.source,
      flags: mount.flags,
      options: mount.options,
      superReadonly: this.readonlyFs.has(mount.fs),
      propagation: mount.propagation === 'shared' ? `shared:${mount.peerGroup}` : mount.propagation === 'unbindable' ? 'unbindable' : '',
    }));
  }

  // ---- mounts made inside (mounting.ts) ---------------------------------------------

  mountNew(ctx: FsContext, target: Location, type: string, source: string, mountflags: number, data: string): void {
    this.mounting.mountNew(ctx, target, type, source, mountflags, data);
  }

  mountBind(ctx: FsContext, source: Location, target: Location, recursive: boolean): void {
    this.mounting.mountBind(ctx, source, target, recursive);
  }

  remount(ctx: FsContext, target: Location, mountflags: number, data: string, bind: boolean): void {
    this.mounting.remount(ctx, target, mountflags, data, bind);
  }

  moveMount(ctx: FsContext, source: Location, target: Location): void {
    this.mounting.moveMount(ctx, source, target);
  }

  setPropagation(ctx: FsContext, target: Location, flag: number, recursive: boolean): void {
    this.mounting.setPropagation(ctx, target, flag, recursive);
  }

  pivotRoot(ctx: FsContext, newRoot: Location, putOld: Location, holders: Iterable<FsContext>): void {
    this.mounting.pivotRoot(ctx, newRoot, putOld, holders);
  }

  unmount(ctx: FsContext, target: Location, flags: number): void {
    this.mounting.unmount(ctx, target, flags);
  }

  unshareMounts(ctx: FsContext, lock = false): FsContext {
    return this.mounting.unshare(ctx, lock);
  }

  mountNamespace(ctx: FsContext): object {
    return this.mounting.namespaceOf(ctx);
  }

  enterMounts(ctx: FsContext, namespace: object): FsContext {
    if (!(namespace instanceof MountTree) || ![...this.namespaces].includes(namespace)) fail(E.EINVAL);
    const root = { mount: namespace.root, dentry: namespace.root.root };
    return { ...ctx, root, cwd: root };
  }
}

/** The path of loc as seen from root (a location outside it shows from its namespace's root). */
function pathFrom(root: Location, loc: Location): string {
  const names: string[] = [];
  let current = loc;
  for (;;) {
    if (sameLocation(current, root)) break;
    if (current.dentry.inode === current.mount.root.inode) {
      if (!current.mount.parent) break;
      current = current.mount.parent;
      continue;
    }
    const parent = current.dentry.parent;
    if (!parent) break;
    names.push(current.dentry.name);
    current = { mount: current.mount, dentry: parent };
  }
  return '/' + names.reverse().join('/');
}

function isLinkableTmpfile(loc: Location): boolean {
  return loc.dentry.name.startsWith('#');
}
