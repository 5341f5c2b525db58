// Directories of the memory filesystem. A directory over a lower directory fills its
// entries from it lazily (by name on lookup, all at once for readdir) and remembers the
// lower names removed since (whiteouts); a directory made by mkdir has no lower and is
// therefore opaque, which is what rmdir then mkdir of a lower directory must give.

import { E, fail } from '../../abi/errno.js';
import { S, direntTypeOfMode, type Credentials, type DirEntry, type FileImpl, type Inode } from '../api.js';
import { MemNode, MemSpecial, MemSymlink, type Owner } from './node.js';
import { MemFile } from './file.js';
import type { LowerDir, LowerEntry } from './lower.js';
import type { MemFs } from './fs.js';

interface Entry {
  node: MemNode;
  /** getdents cookie: grows with each insertion, so entries keep their place. */
  cookie: number;
}

/** Cookies 1 and 2 belong to `.` and `..`. */
const FIRST_COOKIE = 3;

export class MemDir extends MemNode {
  private readonly entries = new Map<string, Entry>();
  private nextCookie = FIRST_COOKIE;
  private readonly whiteouts = new Set<string>();
  private lowerComplete: boolean;
  /** Where this directory sits (a directory has one parent); undefined for the root. */
  private placement: { parent: MemDir; name: string } | undefined;

  constructor(fs: MemFs, mode: number, owner: Owner, private readonly lower?: LowerDir, lowerEntry?: LowerEntry) {
    super(fs, S.IFDIR | (mode & 0o7777), owner, lowerEntry?.attrs);
    this.lowerComplete = lower === undefined;
  }

  get size(): number {
    return 4096;
  }

  protected override get blocks(): number {
    return 8;
  }

  parentLink(): { parent: Inode; name: string } | undefined {
    return this.placement;
  }

  lookup(name: string): Inode {
    const node = this.child(name);
    if (!node) fail(E.ENOENT);
    return node;
  }

  /** The node named name, materializing it from the lower layer if needed. */
  child(name: string): MemNode | undefined {
    const entry = this.entries.get(name);
    if (entry) return entry.node;
    if (this.lowerComplete || this.whiteouts.has(name) || this.nlink === 0) return undefined;
    const lowerEntry = (this.lower as LowerDir).lookup(name);
    if (!lowerEntry) {
      // The lower layer does not change under a running sandbox: remember the miss.
      this.whiteouts.add(name);
      return undefined;
    }
    const node = this.fs.nodeForLower(lowerEntry);
    this.insert(name, node);
    return node;
  }

  *readdir(): Iterable<DirEntry> {
    this.loadLower();
    for (const [name, { node, cookie }] of this.entries) {
      yield { ino: node.ino, type: direntTypeOfMode(node.mode), name, offset: cookie };
    }
  }

  get isEmpty(): boolean {
    this.loadLower();
    return this.entries.size === 0;
  }

  mknod(name: string, mode: number, rdev: number, creds: Credentials): Inode {
    const node =
      (mode & S.IFMT) === S.IFREG || (mode & S.IFMT) === 0
        ? new MemFile(this.fs, mode, creds)
        : new MemSpecial(this.fs, mode, rdev, creds);
    this.add(name, node);
    return node;
  }

  mkdir(name: string, mode: number, creds: Credentials): Inode {
    const dir = new MemDir(this.fs, mode, creds);
    this.add(name, dir);
    this.nlink++;
    return dir;
  }

  symlink(name: string, target: string, creds: Credentials): Inode {
    const link = new MemSymlink(this.fs, target, creds);
    this.add(name, link);
    return link;
  }

  link(name: string, target: Inode): void {
    if (!(target instanceof MemNode) || target.fs !== this.fs) fail(E.EXDEV);
    this.add(name, target);
    target.nlink++;
    target.ctime = this.mtime;
  }

  tmpfile(mode: number, creds: Credentials): Inode {
    const file = new MemFile(this.fs, mode, creds);
    file.nlink = 0;
    return file;
  }

  unlink(name: string): void {
    const node = this.remove(name);
    node.dropLink();
  }

  rmdir(name: string): void {
    const node = this.child(name);
    if (!(node instanceof MemDir)) return fail(node ? E.ENOTDIR : E.ENOENT);
    if (!node.isEmpty) fail(E.ENOTEMPTY);
    this.remove(name);
    node.nlink = 0;
    this.nlink--;
  }

  rename(oldName: string, newDir: Inode, newName: string, exchange: boolean): void {
    if (!(newDir instanceof MemDir) || newDir.fs !== this.fs) fail(E.EXDEV);
    const node = this.child(oldName);
    if (!node) fail(E.ENOENT);
    const replaced = newDir.child(newName);
    if (node === replaced) return;
    const movingDir = node instanceof MemDir;
    if (exchange) {
      if (!replaced) fail(E.ENOENT);
      this.entries.set(oldName, { node: replaced, cookie: (this.entries.get(oldName) as Entry).cookie });
      newDir.entries.set(newName, { node, cookie: (newDir.entries.get(newName) as Entry).cookie });
      if (replaced instanceof MemDir) replaced.placement = { parent: this, name: oldName };
      if (node instanceof MemDir) node.placement = { parent: newDir, name: newName };
      const replacedIsDir = replaced instanceof MemDir;
      if (movingDir !== replacedIsDir) {
        const delta = movingDir ? 1 : -1;
        this.nlink -= delta;
        newDir.nlink += delta;
      }
      this.touch();
      newDir.touch();
      return;
    }
    if (replaced) {
      if (replaced instanceof MemDir) {
        if (!movingDir) fail(E.EISDIR);
        if (!replaced.isEmpty) fail(E.ENOTEMPTY);
        replaced.nlink = 0;
        newDir.nlink--;
      } else if (movingDir) {
        fail(E.ENOTDIR);
      }
      newDir.remove(newName);
      if (!(replaced instanceof MemDir)) replaced.dropLink();
    }
    this.remove(oldName);
    newDir.add(newName, node);
    if (movingDir) {
      this.nlink--;
      newDir.nlink++;
    }
    node.ctime = newDir.mtime;
  }

  open(): FileImpl {
    return { seekable: true };
  }

  private add(name: string, node: MemNode): void {
    if (this.nlink === 0) fail(E.ENOENT);
    if (this.child(name)) fail(E.EEXIST);
    this.insert(name, node);
    this.whiteouts.delete(name);
    this.touch();
  }

  private insert(name: string, node: MemNode): void {
    this.entries.set(name, { node, cookie: this.nextCookie++ });
    if (node instanceof MemDir) node.placement = { parent: this, name };
  }

  private remove(name: string): MemNode {
    const node = this.child(name);
    if (!node) fail(E.ENOENT);
    this.entries.delete(name);
    if (this.lower) this.whiteouts.add(name);
    this.touch();
    return node;
  }

  private loadLower(): void {
    if (this.lowerComplete) return;
    for (const name of (this.lower as LowerDir).names()) this.child(name);
    this.lowerComplete = true;
  }
}
