// The mount tree: mounts, the dentries walked through them, and the moves across mount
// boundaries that path resolution makes (into a mount on lookup, out of it on `..`). A
// MountTree is one mount namespace; clone() copies it for a process that unshares it.

import type { Dentry, Filesystem, Inode, Location, Mount } from './api.js';

/**
 * A name bound to an inode, as the lookup found it. Directories that know where they sit
 * now (Inode.parentLink) answer with their current name and parent instead, so a
 * location kept across a rename (a cwd) still leads to the right `..` and path.
 */
export class DentryImpl implements Dentry {
  constructor(
    private readonly foundName: string,
    private readonly foundParent: Dentry | undefined,
    readonly inode: Inode,
  ) {}

  get name(): string {
    return this.inode.parentLink?.()?.name ?? this.foundName;
  }

  get parent(): Dentry | undefined {
    const link = this.inode.parentLink?.();
    if (!link || this.foundParent?.inode === link.parent) return this.foundParent;
    return new DentryImpl(link.name, undefined, link.parent);
  }
}

/** A mount's propagation type (mount(2)'s MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE). */
export type Propagation = 'private' | 'shared' | 'unbindable';

export class MountImpl implements Mount {
  readonly root: Dentry;
  /** The namespace it is attached in; undefined for the VFS's internal mounts and once unmounted. */
  tree: MountTree | undefined;
  /** A sandbox without peers never propagates: a shared mount is alone in its peer group. */
  propagation: Propagation = 'private';
  peerGroup = 0;
  /** Open descriptions on it, and those open for writing (a busy mount; one that cannot go read-only). */
  opens = 0;
  writers = 0;
  /** MNT_EXPIRE's mark: set by the first umount2 with it, cleared by any use. */
  expiring = false;
  /**
   * A mount the spec made (MNT_LOCKED, as in a container's user namespace): it cannot be
   * unmounted nor seen past by a non-recursive bind, and lockedFlags (ro, nosuid, nodev,
   * noexec) cannot be cleared from it or from a copy of it.
   */
  locked = false;
  lockedFlags = 0;

  constructor(
    readonly id: number,
    readonly fs: Filesystem,
    public flags: number,
    /** Where it is attached; undefined for a namespace's root and once detached. */
    public parent: Location | undefined,
    rootInode: Inode,
    readonly source: string,
    public options: readonly string[],
    /** Path of rootInode inside fs (a bind of a subdirectory), for mountinfo. */
    readonly fsRootPath = '/',
  ) {
    this.root = new DentryImpl('/', undefined, rootInode);
  }

  /** An open description on the mount (OpenFile's lifetime). */
  hold(writing: boolean): void {
    this.opens++;
    if (writing) this.writers++;
    this.expiring = false;
  }

  release(writing: boolean): void {
    this.opens--;
    if (writing) this.writers--;
  }

  /** What the spec mounted is the sandbox's boundary (MNT_LOCKED and MNT_LOCK_*). */
  lock(): this {
    this.locked = true;
    this.lockedFlags = this.flags & LOCKABLE_FLAGS;
    return this;
  }

  /** A copy (bind, namespace clone) keeps the original's locks. */
  inheritLocks(from: MountImpl): this {
    this.locked = from.locked;
    this.lockedFlags = from.lockedFlags;
    return this;
  }
}

/** The flags a locked mount keeps (MNT_LOCK_READONLY, _NOSUID, _NODEV, _NOEXEC). */
const LOCKABLE_FLAGS = 0b1111;

export function sameLocation(a: Location, b: Location): boolean {
  return a.mount === b.mount && a.dentry.inode === b.dentry.inode;
}

/** The mount ids of a VFS, shared by its namespaces (mnt_id is unique system-wide). */
export class MountIds {
  private next = 1;

  allocate(): number {
    return this.next++;
  }
}

/**
 * One mount namespace: its mounts in mount order, one of them its root. Lookups,
 * children and membership are indexed: a sandbox may hold fs.mount-max mounts.
 */
export class MountTree {
  private readonly members = new Set<MountImpl>();
  /** The mounts on each mount, by the inode they sit on, in mount order (the last one on top). */
  private readonly mountedOn = new Map<MountImpl, Map<Inode, MountImpl[]>>();
  /** How many mounts sit on each inode, through any mount. */
  private readonly pointCounts = new Map<Inode, number>();
  /** Each mount's place in mount order (a moved mount goes to the end, as it is attached anew). */
  private readonly attachedAt = new Map<MountImpl, number>();
  private attachments = 0;
  private first: MountImpl | undefined;

  constructor(readonly ids: MountIds) {}

  /** The namespace's root mount. */
  get root(): MountImpl {
    return this.first as MountImpl;
  }

  /** Its mounts in mount order. */
  get mounts(): MountImpl[] {
    return [...this.members];
  }

  get size(): number {
    return this.members.size;
  }

  add(fs: Filesystem, flags: number, parent: Location | undefined, rootInode: Inode, source: string, options: readonly string[], fsRootPath = '/'): MountImpl {
    const mount = new MountImpl(this.ids.allocate(), fs, flags, parent, rootInode, source, options, fsRootPath);
    this.attach(mount);
    return mount;
  }

  /** Puts a mount (with its parent set) in the namespace, on top of whatever is mounted there. */
  attach(mount: MountImpl): void {
    mount.tree = this;
    this.first ??= mount;
    this.members.add(mount);
    this.attachedAt.set(mount, this.attachments++);
    if (!mount.parent) return;
    const inode = mount.parent.dentry.inode;
    const byInode = this.mountedOn.get(mount.parent.mount as MountImpl) ?? new Map<Inode, MountImpl[]>();
    this.mountedOn.set(mount.parent.mount as MountImpl, byInode);
    const stack = byInode.get(inode) ?? [];
    stack.push(mount);
    byInode.set(inode, stack);
    this.pointCounts.set(inode, (this.pointCounts.get(inode) ?? 0) + 1);
  }

  /** Takes a mount out of the namespace (its own children are the caller's to take). */
  detach(mount: MountImpl): void {
    mount.tree = undefined;
    this.members.delete(mount);
    this.attachedAt.delete(mount);
    if (!mount.parent) return;
    const inode = mount.parent.dentry.inode;
    const byInode = this.mountedOn.get(mount.parent.mount as MountImpl);
    const stack = byInode?.get(inode) ?? [];
    // Usually the top of the stack; a detached subtree may take one from below.
    const at = stack.lastIndexOf(mount);
    if (at >= 0) stack.splice(at, 1);
    if (stack.length === 0) byInode?.delete(inode);
    if (byInode?.size === 0) this.mountedOn.delete(mount.parent.mount as MountImpl);
    const count = (this.pointCounts.get(inode) ?? 1) - 1;
    if (count > 0) this.pointCounts.set(inode, count);
    else this.pointCounts.delete(inode);
  }

  /**
   * Attaches a mount of the namespace somewhere else (pivot_root's attach_mnt), on top of
   * what is mounted there; undefined makes it the namespace's root. Mount order (what
   * /proc lists) is kept: Linux lists by mount id.
   */
  reattach(mount: MountImpl, parent: Location | undefined): void {
    const order = [...this.members];
    this.detach(mount);
    mount.parent = parent;
    this.attach(mount);
    this.members.clear();
    for (const m of order) this.members.add(m);
    if (!parent) this.first = mount;
  }

  /** The mounts attached on mount (at any of its dentries), in mount order. */
  childrenOf(mount: MountImpl): MountImpl[] {
    const byInode = this.mountedOn.get(mount);
    if (!byInode) return [];
    return [...byInode.values()].flat().sort((a, b) => (this.attachedAt.get(a) as number) - (this.attachedAt.get(b) as number));
  }

  /** mount and every mount below it, parents before children. */
  subtree(mount: MountImpl): MountImpl[] {
    const all = [mount];
    for (let i = 0; i < all.length; i++) all.push(...this.childrenOf(all[i] as MountImpl));
    return all;
  }

  /** The mount on top of loc, if any (the last one mounted there wins). */
  mountAt(loc: Location): MountImpl | undefined {
    return this.mountedOn.get(loc.mount as MountImpl)?.get(loc.dentry.inode)?.at(-1);
  }

  /** Whether something is mounted on inode in this namespace (rename/unlink of it is EBUSY). */
  isMountPoint(inode: Inode): boolean {
    return this.pointCounts.has(inode);
  }

  /**
   * unshare(CLONE_NEWNS)'s copy: the same filesystems mounted at the same places, as new
   * mounts of a new namespace (private: nothing propagates between the two). copies maps
   * each mount to its copy, so a process's root and cwd move into the new namespace.
   */
  clone(): { tree: MountTree; copies: Map<MountImpl, MountImpl> } {
    const tree = new MountTree(this.ids);
    const copies = new Map<MountImpl, MountImpl>();
    for (const mount of this.subtree(this.root)) {
      const parent = mount.parent && { mount: copies.get(mount.parent.mount as MountImpl) as MountImpl, dentry: mount.parent.dentry };
      const copy = new MountImpl(this.ids.allocate(), mount.fs, mount.flags, parent, mount.root.inode, mount.source, mount.options, mount.fsRootPath);
      copy.propagation = mount.propagation === 'unbindable' ? 'unbindable' : 'private';
      tree.attach(copy.inheritLocks(mount));
      copies.set(mount, copy);
    }
    return { tree, copies };
  }
}

/** The namespace loc's mount is in (undefined for an internal or unmounted one). */
export function treeOf(loc: Location): MountTree | undefined {
  return (loc.mount as MountImpl).tree;
}

/** Steps onto the topmost mount stacked at loc. */
export function crossInto(loc: Location): Location {
  const tree = treeOf(loc);
  let mount = tree?.mountAt(loc);
  while (mount) {
    loc = { mount, dentry: mount.root };
    mount = tree?.mountAt(loc);
  }
  return loc;
}

/** The parent of loc for `..`, stopping at root. */
export function parentOf(loc: Location, root: Location): Location {
  for (;;) {
    if (sameLocation(loc, root)) return loc;
    if (loc.dentry.inode !== loc.mount.root.inode || !loc.mount.parent) break;
    loc = loc.mount.parent;
  }
  const parent = loc.dentry.parent;
  return parent ? { mount: loc.mount, dentry: parent } : loc;
}
