// The mount tree: mounts, the dentries walked through them, and the moves across mount
// boundaries that path resolution makes (into a mount on lookup, out of it on `..`).

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

export class MountImpl implements Mount {
  readonly root: Dentry;

  constructor(
    readonly id: number,
    readonly fs: Filesystem,
    public flags: number,
    readonly parent: Location | undefined,
    rootInode: Inode,
    readonly source: string,
    readonly options: readonly string[],
    /** Path of rootInode inside fs (a bind of a subdirectory), for mountinfo. */
    readonly fsRootPath = '/',
  ) {
    this.root = new DentryImpl('/', undefined, rootInode);
  }
}

export function sameLocation(a: Location, b: Location): boolean {
  return a.mount === b.mount && a.dentry.inode === b.dentry.inode;
}

export class MountTree {
  readonly mounts: MountImpl[] = [];
  private readonly mountedOn = new Map<Inode, MountImpl[]>();
  private nextId = 1;

  add(fs: Filesystem, flags: number, parent: Location | undefined, rootInode: Inode, source: string, options: readonly string[]): MountImpl {
    const mount = new MountImpl(this.nextId++, fs, flags, parent, rootInode, source, options);
    this.mounts.push(mount);
    if (parent) {
      const list = this.mountedOn.get(parent.dentry.inode) ?? [];
      list.push(mount);
      this.mountedOn.set(parent.dentry.inode, list);
    }
    return mount;
  }

  /** The mount on top of loc, if any (the last one mounted there wins). */
  mountAt(loc: Location): MountImpl | undefined {
    const list = this.mountedOn.get(loc.dentry.inode);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const mount = list[i] as MountImpl;
      if ((mount.parent as Location).mount === loc.mount) return mount;
    }
    return undefined;
  }

  /** Whether something is mounted on inode in any mount (rename/unlink of it is EBUSY). */
  isMountPoint(inode: Inode): boolean {
    return this.mountedOn.has(inode);
  }

  /** Steps onto the topmost mount stacked at loc. */
  crossInto(loc: Location): Location {
    let mount = this.mountAt(loc);
    while (mount) {
      loc = { mount, dentry: mount.root };
      mount = this.mountAt(loc);
    }
    return loc;
  }

  /** The parent of loc for `..`, stopping at root. */
  parentOf(loc: Location, root: Location): Location {
    for (;;) {
      if (sameLocation(loc, root)) return loc;
      if (loc.dentry.inode !== loc.mount.root.inode || !loc.mount.parent) break;
      loc = loc.mount.parent;
    }
    const parent = loc.dentry.parent;
    return parent ? { mount: loc.mount, dentry: parent } : loc;
  }
}
