// Directories of the memory filesystem. A directory over a lower directory fills its
// entries from it lazily (by name on lookup, all at once for readdir) and remembers the
// lower names removed since (whiteouts); a directory made by mkdir has no lower and is
// therefore opaque, which is what rmdir then mkdir of a lower directory must give. Names
// the workload adds are charged to the sandbox's memory (NAME_BYTES each).

import { E, fail } from '../../abi/errno.js';
import { S, direntTypeOfMode, type Credentials, type DirEntry, type FileImpl, type Inode } from '../api.js';
import { MemNode, MemSpecial, MemSymlink, type Owner } from './node.js';
import { MemFile } from './file.js';
import type { LowerDir, LowerEntry } from './lower.js';
import { NAME_BYTES, type MemFs } from './fs.js';

interface Entry {
  node: MemNode;
  /** getdents cookie: grows with each insertion, so entries keep their place. */
  cookie: number;
  /** Bytes of the sandbox's memory this name holds (none for a name of the lower layer). */
  charged: number;
  /** The lower layer has this name too: removing it leaves a whiteout. */
  shadowsLower: boolean;
}

/** Cookies 1 and 2 belong to `.` and `..`. */
const FIRST_COOKIE = 3;
/**
 * Lower lookups that found nothing are remembered so a repeated miss does not ask the host
 * again; only a cache, so it is bounded (a workload probing random names must not grow it).
 */
const MAX_REMEMBERED_MISSES = 1024;

export class MemDir extends MemNode {
  private readonly entries = new Map<string, Entry>();
  private nextCookie = FIRST_COOKIE;
  /** Lower names removed: hidden for good. */
  private readonly whiteouts = new Set<string>();
  private readonly misses = new Set<string>();
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
    if (this.lowerComplete || this.whiteouts.has(name) || this.misses.has(name) || this.nlink === 0) return undefined;
    const lowerEntry = (this.lower as LowerDir).lookup(name);
    if (!lowerEntry) {
      // The lower layer does not change under a running sandbox: remember the miss.
      if (this.misses.size >= MAX_REMEMBERED_MISSES) this.misses.clear();
      this.misses.add(name);
      return undefined;
    }
    const node = this.fs.nodeForLower(lowerEntry);
    this.insert(name, node, 0, true);
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
    this.add(name, node, NAME_BYTES);
    return node;
  }

  mkdir(name: string, mode: number, creds: Credentials): Inode {
    const dir = new MemDir(this.fs, mode, creds);
    this.add(name, dir, NAME_BYTES);
    this.nlink++;
    return dir;
  }

  symlink(name: string, target: string, creds: Credentials): Inode {
    const link = new MemSymlink(this.fs, target, creds);
    this.add(name, link, NAME_BYTES + target.length);
    return link;
  }

  link(name: string, target: Inode): void {
    if (!(target instanceof MemNode) || target.fs !== this.fs) fail(E.EXDEV);
    this.add(name, target, NAME_BYTES);
    target.nlink++;
    target.ctime = this.mtime;
  }

  tmpfile(mode: number, creds: Credentials): Inode {
    const file = new MemFile(this.fs, mode, creds);
    file.nlink = 0;
    return file;
  }

  unlink(name: string): void {
    this.drop(name).dropLink();
  }

  rmdir(name: string): void {
    const node = this.child(name);
    if (!(node instanceof MemDir)) return fail(node ? E.ENOTDIR : E.ENOENT);
    if (!node.isEmpty) fail(E.ENOTEMPTY);
    this.drop(name);
    node.removed();
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
      const here = this.entries.get(oldName) as Entry;
      const there = newDir.entries.get(newName) as Entry;
      this.entries.set(oldName, { ...here, node: replaced, charged: there.charged });
      newDir.entries.set(newName, { ...there, node, charged: here.charged });
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
        replaced.removed();
        newDir.nlink--;
      } else if (movingDir) {
        fail(E.ENOTDIR);
      }
      newDir.drop(newName);
      if (!(replaced instanceof MemDir)) replaced.dropLink();
    }
    // The name moves with what it holds of the sandbox's memory.
    const moved = this.remove(oldName);
    newDir.place(newName, node, moved.charged);
    if (movingDir) {
      this.nlink--;
      newDir.nlink++;
    }
    node.ctime = newDir.mtime;
  }

  open(): FileImpl {
    return { seekable: true };
  }

  /** A directory removed (rmdir, or replaced by a rename): it has no name left. */
  private removed(): void {
    this.nlink = 0;
    this.maybeFree();
  }

  /** A new name the workload adds, charging charged bytes of the sandbox's memory for it. */
  private add(name: string, node: MemNode, charged: number): void {
    if (this.nlink === 0) fail(E.ENOENT);
    if (this.child(name)) fail(E.EEXIST);
    this.fs.chargeMetadata(charged);
    this.place(name, node, charged);
  }

  /** Puts node at name (known to be free), with the bytes it already holds. */
  private place(name: string, node: MemNode, charged: number): void {
    // A whiteout of the name means the lower layer has it: removing it again hides it again.
    this.insert(name, node, charged, this.whiteouts.delete(name));
    this.touch();
  }

  private insert(name: string, node: MemNode, charged: number, shadowsLower: boolean): void {
    this.entries.set(name, { node, cookie: this.nextCookie++, charged, shadowsLower });
    if (node instanceof MemDir) node.placement = { parent: this, name };
  }

  private remove(name: string): Entry {
    const node = this.child(name);
    if (!node) fail(E.ENOENT);
    const entry = this.entries.get(name) as Entry;
    this.entries.delete(name);
    if (entry.shadowsLower) this.whiteouts.add(name);
    this.touch();
    return entry;
  }

  /** Removes a name for good: what it held of the sandbox's memory goes back. */
  private drop(name: string): MemNode {
    const entry = this.remove(name);
    this.fs.releaseMetadata(entry.charged);
    return entry.node;
  }

  private loadLower(): void {
    if (this.lowerComplete) return;
    for (const name of (this.lower as LowerDir).names()) this.child(name);
    this.lowerComplete = true;
    this.misses.clear();
  }
}
