// Mounts a sandbox process makes (mount(2), umount2(2)) in its mount namespace, with
// Linux's rules: new tmpfs, proc, sysfs, mqueue and devpts instances, bind mounts of
// sandbox paths (recursive or not), remounts of a mount's flags or its filesystem's,
// propagation types (a sandbox has no peers, so nothing ever propagates), and unmounts
// that refuse a busy mount unless detached. Every path is the sandbox's: a bind source is
// a Location the caller resolved, so no host path is ever reachable; permission
// (CAP_SYS_ADMIN) is the syscall's to check.

import type { LiveSet } from './live-set.js';
import { E, fail, isSysError } from '../abi/errno.js';
import type { MemoryCharge } from '../accounting/memory-account.js';
import { MNT, MS as MOUNT_FLAGS } from '../abi/linux-mount.js';
import { MS, S, type Filesystem, type FilesystemRegistry, type FsContext, type Location, type Mount, type SandboxProviders, type Vfs } from './api.js';
import { parseMountOptions, parseOctal, parseSize } from './options.js';
import { makeTmpfs } from './tmpfs.js';
import { crossInto, sameLocation, treeOf, type MountImpl, type MountTree } from './tree.js';
import type { MemFs } from './memfs/fs.js';

/** The flags each mount keeps (MNT_*): what remount and mount(2) set per mount. */
const PER_MOUNT = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.NOSYMFOLLOW;
const ATIME = MS.NOATIME | MS.NODIRATIME | MS.RELATIME;

/** Superblock flag words any filesystem's data takes (vfs_parse_sb_flag). */
const SB_WORDS = new Set(['ro', 'rw', 'sync', 'async', 'dirsync', 'lazytime', 'nolazytime', 'mand', 'nomand', 'silent', 'posixacl', 'noposixacl']);

/** The data keys each filesystem type a sandbox may mount takes; anything else is EINVAL. */
const DATA_KEYS: Record<string, readonly string[]> = {
  tmpfs: ['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'inode32', 'inode64', 'huge', 'noswap'],
  proc: ['hidepid', 'gid', 'subset'],
  sysfs: [],
  mqueue: [],
  devpts: ['mode', 'ptmxmode', 'gid', 'uid', 'newinstance', 'max'],
};

/** fs.mount-max: how many mounts one namespace holds (a recursive bind into itself doubles them). */
export const MOUNT_MAX = 100_000;

/** Filesystems Linux mounts from a block device (what get_tree_bdev serves). */
const BLOCK_FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'msdos', 'exfat', 'iso9660', 'squashfs', 'f2fs', 'ntfs', 'ntfs3', 'udf', 'hfsplus', 'jfs', 'erofs', 'minix']);

/** The per-mount flags mount(2)'s mountflags ask for, atime as Linux defaults it (relatime). */
export function perMountFlags(mountflags: number): number {
  let flags = mountflags & PER_MOUNT;
  if (!(mountflags & (MOUNT_FLAGS.NOATIME | MOUNT_FLAGS.STRICTATIME))) flags |= MS.RELATIME;
  if (mountflags & MOUNT_FLAGS.STRICTATIME) flags &= ~(MS.RELATIME | MS.NOATIME);
  return flags;
}

/** Parts of the VFS the mount operations use. */
export interface MountingDeps {
  readonly vfs: Vfs;
  readonly registry: FilesystemRegistry;
  readonly providers: SandboxProviders;
  /** Every namespace that exists (a dentry mounted on in any of them is busy for rename and unlink). */
  readonly namespaces: LiveSet<MountTree>;
  /** Filesystems remounted or mounted read-only as a whole (their superblock's SB_RDONLY). */
  readonly readonlyFs: WeakSet<Filesystem>;
  /** The sandbox's memory: a new tmpfs charges it as the spec's do. */
  readonly account: MemoryCharge;
  allocateDev(): number;
  pathOf(loc: Location): string;
}

export class Mounting {
  constructor(private readonly deps: MountingDeps) {}

  /** The namespace of the caller (its root's). */
  namespaceOf(ctx: FsContext): MountTree {
    return treeOf(ctx.root) ?? fail(E.EINVAL);
  }

  /** check_mnt: loc's mount is in the caller's namespace. */
  private ownMount(ctx: FsContext, loc: Location): MountImpl {
    const mount = loc.mount as MountImpl;
    if (mount.tree !== this.namespaceOf(ctx)) fail(E.EINVAL);
    return mount;
  }

  /** A mount's root is what remount, umount and propagation changes name (path_mounted). */
  private mountRoot(loc: Location): MountImpl {
    const mount = loc.mount as MountImpl;
    if (loc.dentry.inode !== mount.root.inode) fail(E.EINVAL);
    return mount;
  }

  /** graft_tree: a directory goes on a directory, anything else on a non-directory. */
  private checkGraft(target: Location, rootIsDir: boolean): void {
    const targetIsDir = (target.dentry.inode.stat().mode & S.IFMT) === S.IFDIR;
    if (targetIsDir !== rootIsDir) fail(E.ENOTDIR);
  }

  /** mount(2) of a new filesystem instance of type at target. */
  mountNew(ctx: FsContext, target: Location, type: string, source: string, mountflags: number, data: string): void {
    const tree = this.namespaceOf(ctx);
    this.ownMount(ctx, target);
    if (BLOCK_FILESYSTEMS.has(type)) this.blockDevice(ctx, source);
    const made = this.instantiate(type, source, data, this.deps.pathOf(target));
    this.checkGraft(target, true);
    checkRoom(tree, 1);
    if (mountflags & MOUNT_FLAGS.RDONLY) this.deps.readonlyFs.add(made.fs);
    tree.add(made.fs, perMountFlags(mountflags), target, made.fs.root, source, made.shown);
  }

  /**
   * A filesystem on a block device needs the device, which the sandbox's own path names:
   * ENOENT without it, ENOTBLK for something else, and ENXIO for a device node (the
   * sandbox has no block device driver). No host device is ever opened.
   */
  private blockDevice(ctx: FsContext, source: string): never {
    if (source === '') fail(E.ENOENT);
    const device = this.deps.vfs.resolve(ctx, undefined, source, { follow: true });
    if ((device.dentry.inode.stat().mode & S.IFMT) !== S.IFBLK) fail(E.ENOTBLK);
    return fail(E.ENXIO);
  }

  /** A filesystem instance and the options /proc shows for it; ENODEV for a type the sandbox has not. */
  private instantiate(type: string, source: string, data: string, destination: string): { fs: Filesystem; shown: string[] } {
    const keys = DATA_KEYS[type];
    const fsType = type === 'tmpfs' ? undefined : this.deps.registry.get(type);
    if (!keys || (type !== 'tmpfs' && !fsType)) fail(E.ENODEV);
    const words = data.split(',').filter((word) => word !== '');
    for (const word of words) {
      const key = word.split('=')[0] as string;
      if (!SB_WORDS.has(key) && !keys.includes(key)) fail(E.EINVAL, `${type}: unknown parameter "${key}"`);
    }
    const options = words.filter((word) => !SB_WORDS.has(word));
    const where = `mount ${destination}`;
    const dev = this.deps.allocateDev();
    try {
      if (type === 'tmpfs') return makeTmpfs(dev, parseMountOptions(options).data, where, this.deps.account);
      const fs = (fsType as NonNullable<typeof fsType>).mount({ source, options, destination, dev, providers: this.deps.providers, vfs: this.deps.vfs, account: this.deps.account });
      return { fs, shown: shownOptions(type, parseMountOptions(options).data) };
    } catch (error) {
      if (isSysError(error)) throw error;
      return fail(E.EINVAL, error instanceof Error ? error.message : String(error));
    }
  }

  /** MS_BIND: source's subtree (with the mounts below it, when recursive) mounted again at target. */
  mountBind(ctx: FsContext, source: Location, target: Location, recursive: boolean): void {
    const tree = this.namespaceOf(ctx);
    this.ownMount(ctx, target);
    const from = this.ownMount(ctx, source);
    if (from.propagation === 'unbindable') fail(E.EINVAL);
    // A non-recursive copy would show what a locked mount below source covers.
    if (!recursive && tree.childrenOf(from).some((m) => m.locked && isBelow(m.parent as Location, source))) fail(E.EINVAL);
    this.checkGraft(target, (source.dentry.inode.stat().mode & S.IFMT) === S.IFDIR);
    // The mounts below source, taken before the copy joins them (a bind of a tree into itself).
    const below = recursive ? tree.subtree(from).slice(1) : [];
    checkRoom(tree, 1 + below.length);
    const top = this.copyMount(tree, from, source, target);
    // The copy itself is the caller's to unmount (__do_loopback clears MNT_LOCKED); the
    // mounts copied below it stay locked, and every copy keeps its locked flags.
    top.locked = false;
    // Each copied onto the copy of the mount it sits on.
    const copies = new Map<MountImpl, MountImpl>([[from, top]]);
    for (const mount of below) {
      const parent = mount.parent as Location;
      const parentCopy = copies.get(parent.mount as MountImpl);
      if (!parentCopy || mount.propagation === 'unbindable') continue;
      if (parent.mount === from && !isBelow(parent, source)) continue;
      copies.set(mount, this.copyMount(tree, mount, { mount, dentry: mount.root }, { mount: parentCopy, dentry: parent.dentry }));
    }
  }

  /** A new mount of what loc (in mount) shows, attached at target: the same filesystem and flags. */
  private copyMount(tree: MountTree, mount: MountImpl, loc: Location, target: Location): MountImpl {
    const fsRoot = joinFsPath(mount.fsRootPath, pathWithin(loc));
    return tree.add(mount.fs, mount.flags, target, loc.dentry.inode, mount.source, mount.options, fsRoot).inheritLocks(mount);
  }

  /**
   * MS_REMOUNT: with bind, the mount's own flags become mountflags' (do_reconfigure_mnt);
   * without, its filesystem is reconfigured too (read-only as a whole, tmpfs size=).
   * Going read-only while a file is open for writing there is EBUSY.
   */
  remount(ctx: FsContext, target: Location, mountflags: number, data: string, bind: boolean): void {
    const mount = this.mountRoot(target);
    this.ownMount(ctx, target);
    let flags = perMountFlags(mountflags);
    // A remount that names no atime flag keeps the mount's.
    if (!(mountflags & (MOUNT_FLAGS.NOATIME | MOUNT_FLAGS.NODIRATIME | MOUNT_FLAGS.RELATIME | MOUNT_FLAGS.STRICTATIME))) flags = (flags & ~ATIME) | (mount.flags & ATIME);
    const readonly = (mountflags & MOUNT_FLAGS.RDONLY) !== 0;
    // can_change_locked_flags: what the spec made read-only, nosuid, nodev or noexec stays so.
    if (mount.lockedFlags & ~flags) fail(E.EPERM);
    if (bind) {
      if (readonly && !(mount.flags & MS.RDONLY) && mount.writers > 0) fail(E.EBUSY);
      mount.flags = flags;
      return;
    }
    const sameFs = this.mountsOf(mount.fs);
    if (readonly && !this.deps.readonlyFs.has(mount.fs) && sameFs.some((m) => m.writers > 0)) fail(E.EBUSY);
    this.reconfigure(mount, data);
    if (readonly) this.deps.readonlyFs.add(mount.fs);
    else this.deps.readonlyFs.delete(mount.fs);
    mount.flags = flags;
  }

  /** A remount's data: tmpfs takes a new size= (EINVAL below what it holds); other options are kept as they were. */
  private reconfigure(mount: MountImpl, data: string): void {
    const size = parseMountOptions(data.split(',').filter((word) => word !== '')).data.get('size');
    if (size === undefined || mount.fs.type !== 'tmpfs' || !('resize' in mount.fs)) return;
    let bytes: number;
    try {
      bytes = Math.ceil(parseSize(size, 'remount') / 4096) * 4096;
    } catch {
      return fail(E.EINVAL);
    }
    if (!(mount.fs as MemFs).resize(bytes)) fail(E.EINVAL);
    const shown = [`size=${bytes / 1024}k`, ...mount.options.filter((option) => !option.startsWith('size='))];
    for (const m of this.mountsOf(mount.fs)) m.options = shown;
  }

  /** The mounts of fs in every namespace. */
  private mountsOf(fs: Filesystem): MountImpl[] {
    return [...this.deps.namespaces].flatMap((tree) => tree.mounts.filter((m) => m.fs === fs));
  }

  /** MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE on the mount at target (and below it, recursive). */
  setPropagation(ctx: FsContext, target: Location, flag: number, recursive: boolean): void {
    const mount = this.mountRoot(target);
    const tree = this.namespaceOf(ctx);
    for (const m of recursive ? tree.subtree(mount) : [mount]) {
      if (flag === MOUNT_FLAGS.SHARED) {
        if (m.propagation !== 'shared') m.peerGroup = nextPeerGroup++;
        m.propagation = 'shared';
      } else {
        // With no peer and no master, a slave is a private mount.
        m.propagation = flag === MOUNT_FLAGS.UNBINDABLE ? 'unbindable' : 'private';
        m.peerGroup = 0;
      }
    }
  }

  /** MS_MOVE: the mount whose root source is, with the mounts below it, attached at target instead. */
  moveMount(ctx: FsContext, source: Location, target: Location): void {
    const tree = this.namespaceOf(ctx);
    this.ownMount(ctx, target);
    const mount = this.ownMount(ctx, source);
    if (mount.locked || mount === tree.root || source.dentry.inode !== mount.root.inode) fail(E.EINVAL);
    const isDir = (loc: Location) => (loc.dentry.inode.stat().mode & S.IFMT) === S.IFDIR;
    if (isDir(source) !== isDir(target)) fail(E.EINVAL);
    // Not into itself: no mount on the way up from target may be the one moved.
    for (let m: MountImpl | undefined = target.mount as MountImpl; m; m = m.parent?.mount as MountImpl | undefined) {
      if (m === mount) fail(E.ELOOP);
    }
    const moved = tree.subtree(mount);
    for (const m of [...moved].reverse()) tree.detach(m);
    mount.parent = target;
    for (const m of moved) tree.attach(m);
  }

  /**
   * pivot_root(2): the mount at newRoot becomes the namespace's root where the caller's
   * root mount was, and that old root is mounted at putOld (at or below newRoot); every
   * context in holders whose root or cwd was the old root now has the new one
   * (chroot_fs_refs). The sandbox's root mount sits, as a container's does, on a
   * namespace root nobody reaches, so the sandbox's own root may be pivoted.
   */
  pivotRoot(ctx: FsContext, newRoot: Location, putOld: Location, holders: Iterable<FsContext>): void {
    const tree = this.namespaceOf(ctx);
    const root = ctx.root;
    // lock_mount: put_old is the topmost mount there.
    const old = crossInto(putOld);
    const newMount = newRoot.mount as MountImpl;
    const rootMount = root.mount as MountImpl;
    const oldMount = old.mount as MountImpl;
    const isShared = (m: Mount | undefined) => (m as MountImpl | undefined)?.propagation === 'shared';
    if (isShared(oldMount) || isShared(newMount.parent?.mount) || isShared(rootMount.parent?.mount)) fail(E.EINVAL);
    if (rootMount.tree !== tree || newMount.tree !== tree || newMount.locked) fail(E.EINVAL);
    if (newRoot.dentry.inode.stat().nlink === 0) fail(E.ENOENT);
    if (newMount === rootMount || oldMount === rootMount) fail(E.EBUSY);
    // The caller's root and new_root must each be the root of a mount, new_root's attached.
    if (root.dentry.inode !== rootMount.root.inode) fail(E.EINVAL);
    if (newRoot.dentry.inode !== newMount.root.inode || !newMount.parent) fail(E.EINVAL);
    if (!isReachable(old, newRoot) || !isReachable(newRoot, root)) fail(E.EINVAL);
    const rootParent = rootMount.parent;
    tree.reattach(newMount, rootParent);
    // The old root is no longer the sandbox's boundary; the new one is (MNT_LOCKED moves).
    if (rootMount.locked) {
      newMount.locked = true;
      rootMount.locked = false;
    }
    tree.reattach(rootMount, old);
    const top = { mount: newMount, dentry: newMount.root };
    for (const holder of holders) {
      if (sameLocation(holder.root, root)) holder.root = top;
      if (sameLocation(holder.cwd, root)) holder.cwd = top;
    }
  }

  /** umount2 of the mount whose root target is: EBUSY while in use, unless MNT_DETACH. */
  unmount(ctx: FsContext, target: Location, flags: number): void {
    // LOOKUP_MOUNTPOINT: the topmost mount at target (the old root stacked by pivot_root(".", ".")).
    const mount = this.mountRoot(crossInto(target));
    const tree = this.namespaceOf(ctx);
    if (mount.tree !== tree || mount === tree.root || mount.locked) fail(E.EINVAL);
    if (flags & MNT.EXPIRE) {
      if (flags & (MNT.FORCE | MNT.DETACH)) fail(E.EINVAL);
      if (this.isBusy(tree, mount)) fail(E.EBUSY);
      if (!mount.expiring) {
        mount.expiring = true;
        fail(E.EAGAIN);
      }
    }
    if (!(flags & MNT.DETACH) && this.isBusy(tree, mount)) fail(E.EBUSY);
    for (const m of tree.subtree(mount).reverse()) tree.detach(m);
    mount.parent = undefined;
  }

  /** Open files on it, a mount on it, or a process's root, cwd or program there. */
  private isBusy(tree: MountTree, mount: MountImpl): boolean {
    if (mount.opens > 0 || tree.childrenOf(mount).length > 0) return true;
    const { providers } = this.deps;
    return providers.processes().some((pid) => {
      const view = providers.process(pid);
      if (!view) return false;
      return [view.fsContext.root, view.fsContext.cwd, view.exe].some((loc) => loc?.mount === mount);
    });
  }

  /** unshare(CLONE_NEWNS): ctx's namespace copied, and ctx's root and cwd in the copy. */
  unshare(ctx: FsContext, lock: boolean): FsContext {
    const { tree, copies } = this.namespaceOf(ctx).clone();
    // Made for a less privileged user namespace, every mount it inherits is locked: none can
    // be unmounted to show what it covers, nor its ro/nosuid/nodev/noexec cleared.
    if (lock) for (const mount of tree.mounts) mount.lock();
    this.deps.namespaces.add(tree);
    const moved = (loc: Location): Location => ({ mount: copies.get(loc.mount as MountImpl) ?? loc.mount, dentry: loc.dentry });
    return { ...ctx, root: moved(ctx.root), cwd: moved(ctx.cwd) };
  }
}

let nextPeerGroup = 1;

/** count_mounts: ENOSPC when adding more would pass fs.mount-max. */
function checkRoom(tree: MountTree, adding: number): void {
  if (tree.size + adding > MOUNT_MAX) fail(E.ENOSPC);
}

/** The data options /proc shows for a proc, sysfs, mqueue or devpts mount made by mount(2). */
function shownOptions(type: string, data: ReadonlyMap<string, string>): string[] {
  if (type === 'devpts') {
    const mode = (key: string, fallback: number) => `${key}=${(data.has(key) ? parseOctal(data.get(key) as string, type) : fallback).toString(8).padStart(3, '0')}`;
    const ids = ['uid', 'gid'].filter((key) => data.has(key)).map((key) => `${key}=${data.get(key)}`);
    return [...ids, mode('mode', 0o600), mode('ptmxmode', 0)];
  }
  if (type === 'proc') return ['hidepid', 'gid', 'subset'].filter((key) => data.has(key)).map((key) => `${key}=${data.get(key)}`);
  return [];
}

/** is_path_reachable: loc is at or below dir, climbing through the mounts loc sits on. */
function isReachable(loc: Location, dir: Location): boolean {
  let at = loc;
  while (at.mount !== dir.mount && at.mount.parent) at = at.mount.parent;
  return at.mount === dir.mount && isBelow(at, dir);
}

/** Whether loc is dir itself or below it, within dir's mount. */
function isBelow(loc: Location, dir: Location): boolean {
  for (let d: Location['dentry'] | undefined = loc.dentry; d; d = d.parent) {
    if (d.inode === dir.dentry.inode) return true;
    if (d.inode === loc.mount.root.inode) break;
  }
  return false;
}

/** The path of loc below its mount's root ('' at the root). */
function pathWithin(loc: Location): string {
  const names: string[] = [];
  for (let d = loc.dentry; d.inode !== loc.mount.root.inode && d.parent; d = d.parent) names.push(d.name);
  return names.reverse().join('/');
}

function joinFsPath(base: string, rest: string): string {
  if (rest === '') return base;
  return base === '/' ? `/${rest}` : `${base}/${rest}`;
}

