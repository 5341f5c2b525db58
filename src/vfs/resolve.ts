// Path resolution, component by component, as Linux's namei does it: search permission
// on each directory, `..` stopping at the caller's root, symlinks read and interpreted
// inside the sandbox (40 in one resolution, then ELOOP), mount crossing both ways. With
// FsContext.limits, openat2's RESOLVE_* rules (and WASI's, which is RESOLVE_BENEATH's).

import { E, fail } from '../abi/errno.js';
import { PATH_MAX } from '../abi/linux-fcntl.js';
import { MS, S, type FsContext, type Location, type ResolveLimits } from './api.js';
import { MAY_EXEC, checkPermission } from './creds.js';
import { DentryImpl, crossInto, parentOf } from './tree.js';

const NAME_MAX = 255;
const MAX_SYMLINKS = 40;

/** What the walk to the last component gives: the directory, the name, its kind. */
export interface ParentResult {
  parent: Location;
  /** '' when the path names the starting directory itself ("/" or AT_EMPTY_PATH). */
  name: string;
  kind: 'normal' | 'dot' | 'dotdot' | 'root';
  trailingSlash: boolean;
  /** With FsContext.limits.beneath: the directory the walk may not leave. */
  within?: Location;
}

export class Resolver {
  private links = 0;
  private readonly limits: ResolveLimits | undefined;

  constructor(private readonly ctx: FsContext) {
    this.limits = ctx.limits;
  }

  /** Walks every component but the last. */
  walkParent(start: Location | undefined, path: string): ParentResult {
    const from = start ?? this.ctx.cwd;
    return this.walk(from, path, this.limits?.beneath ? from : undefined);
  }

  /**
   * Walks the target of a symlink found as r's last component, from the directory holding
   * it and within the bounds of the walk that found it (O_CREAT through a dangling link).
   */
  walkLink(r: ParentResult, target: string): ParentResult {
    this.checkLinkTarget(r.parent, target);
    return this.walk(r.parent, target, r.within);
  }

  /** An absolute symlink jumps to the root: a mount crossing when the root is on another mount. */
  private checkLinkTarget(dir: Location, target: string): void {
    if (this.limits?.noXdev && target.charCodeAt(0) === 47 && dir.mount !== this.ctx.root.mount) fail(E.EXDEV);
  }

  private walk(start: Location, path: string, within: Location | undefined): ParentResult {
    if (path.length === 0) fail(E.ENOENT);
    if (path.length >= PATH_MAX) fail(E.ENAMETOOLONG);
    const absolute = path.charCodeAt(0) === 47;
    if (absolute && within) this.escaped();
    let loc = absolute ? this.ctx.root : start;
    const parts = path.split('/');
    let last = parts.length - 1;
    while (last >= 0 && parts[last] === '') last--;
    const trailingSlash = last < parts.length - 1;
    if (last < 0) return { parent: loc, name: '', kind: 'root', trailingSlash, ...(within ? { within } : {}) };
    for (let i = 0; i < last; i++) {
      const part = parts[i] as string;
      if (part === '') continue;
      loc = this.step(loc, part, true, within);
      if (!isDir(loc)) fail(E.ENOTDIR);
    }
    // Linux checks search permission on the directory holding the last component too.
    if (!isDir(loc)) fail(E.ENOTDIR);
    this.checkSearch(loc);
    const name = parts[last] as string;
    if (name.length > NAME_MAX) fail(E.ENAMETOOLONG);
    const kind = name === '.' ? 'dot' : name === '..' ? 'dotdot' : 'normal';
    return { parent: loc, name, kind, trailingSlash, ...(within ? { within } : {}) };
  }

  /** Resolves a whole path; follow says whether a final symlink is followed. */
  resolve(start: Location | undefined, path: string, follow: boolean): Location {
    const r = this.walkParent(start, path);
    return this.last(r, follow);
  }

  /** Looks the last component up (ENOENT when absent). */
  last(r: ParentResult, follow: boolean): Location {
    if (r.kind === 'root') return r.parent;
    if (!isDir(r.parent)) fail(E.ENOTDIR);
    const loc = this.step(r.parent, r.name, follow || r.trailingSlash, r.within);
    if (r.trailingSlash && !isDir(loc)) fail(E.ENOTDIR);
    return loc;
  }

  /** The child of dir named name if it exists, without following it; undefined if absent. */
  peek(dir: Location, name: string): Location | undefined {
    this.checkSearch(dir);
    try {
      return this.child(dir, name);
    } catch (error) {
      if ((error as { errno?: number }).errno === E.ENOENT) return undefined;
      throw error;
    }
  }

  /** One component from dir: permission, `.`/`..`, lookup, mounts, symlinks. */
  private step(dir: Location, name: string, follow: boolean, within: Location | undefined): Location {
    if (name.length > NAME_MAX) fail(E.ENAMETOOLONG);
    this.checkSearch(dir);
    if (name === '.') return dir;
    if (name === '..') {
      if (within && sameLocation(dir, within)) this.escaped();
      const up = parentOf(dir, this.ctx.root);
      if (this.limits?.noXdev && up.mount !== dir.mount) fail(E.EXDEV);
      return up;
    }
    const loc = this.child(dir, name);
    return follow && isSymlink(loc) ? this.followLink(dir, loc, within) : loc;
  }

  /** Counts one symlink traversal against the limits (ELOOP past 40, or any with noSymlinks). */
  countLink(): void {
    if (this.limits?.noSymlinks || ++this.links > MAX_SYMLINKS) fail(E.ELOOP);
  }

  followLink(dir: Location, link: Location, within?: Location): Location {
    this.countLink();
    if (link.mount.flags & MS.NOSYMFOLLOW) fail(E.ELOOP);
    const inode = link.dentry.inode;
    if (inode.follow) {
      // A magic link (/proc/PID/fd/N) may lead anywhere: nd_jump_link's checks, in its order.
      if (this.limits?.noMagicLinks) fail(E.ELOOP);
      const target = inode.follow(this.ctx);
      if (this.limits?.noXdev && target.mount !== dir.mount) fail(E.EXDEV);
      if (within || this.limits?.inRoot) this.escaped();
      return target;
    }
    if (!inode.readlink) fail(E.EINVAL);
    const target = inode.readlink();
    if (target.length === 0) fail(E.ENOENT);
    this.checkLinkTarget(dir, target);
    return this.last(this.walk(dir, target, within), true);
  }

  private escaped(): never {
    return (this.limits as ResolveLimits).escaped();
  }

  private checkSearch(dir: Location): void {
    checkPermission(this.ctx.creds, dir.dentry.inode, MAY_EXEC);
  }

  private child(dir: Location, name: string): Location {
    const inode = dir.dentry.inode;
    if (!inode.lookup) fail(E.ENOTDIR);
    if (this.limits?.cached && inode.cacheable === false) fail(E.EAGAIN);
    const child = inode.lookup(name);
    const loc = crossInto({ mount: dir.mount, dentry: new DentryImpl(name, dir.dentry, child) });
    if (this.limits?.noXdev && loc.mount !== dir.mount) fail(E.EXDEV);
    return loc;
  }
}

function fileType(loc: Location): number {
  return loc.dentry.inode.stat().mode & S.IFMT;
}

function sameLocation(a: Location, b: Location): boolean {
  return a.mount === b.mount && a.dentry.inode === b.dentry.inode;
}

export function isDir(loc: Location): boolean {
  return fileType(loc) === S.IFDIR;
}

function isSymlink(loc: Location): boolean {
  return fileType(loc) === S.IFLNK;
}
