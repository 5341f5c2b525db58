// The building blocks of synthesized filesystems (proc, sys, devpts, mqueue): inodes
// whose contents are generated on open, symlinks (plain and magic), and directories whose
// children are fixed or computed from sandbox state. Each node is created once and kept
// while it exists, so a name keeps its inode (mount points, `ino` stability).

import { E, fail } from '../../abi/errno.js';
import { S, direntTypeOfMode, type Credentials, type DirEntry, type FileImpl, type Filesystem, type FsContext, type Inode, type Location, type Stat, type Statfs, type Timespec } from '../api.js';
import { MAY_WRITE, modePermits } from '../creds.js';
import { now } from '../time.js';

export interface Owner {
  uid: number;
  gid: number;
}

const ROOT_OWNER: Owner = { uid: 0, gid: 0 };

/** Contents of a generated file: a latin1 byte string or bytes. */
export type Content = string | Uint8Array;

function contentBytes(content: Content): Uint8Array {
  return typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
}

export class SynthFs<Root extends Inode = Inode> implements Filesystem {
  readonly root: Root;
  readonly created: Timespec = now();
  private nextIno = 1;

  constructor(
    readonly type: string,
    readonly dev: number,
    private readonly magic: number,
    makeRoot: (fs: SynthFs) => Root,
  ) {
    this.root = makeRoot(this);
  }

  allocateIno(): number {
    return this.nextIno++;
  }

  statfs(): Statfs {
    return { type: this.magic, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
  }
}

export abstract class SynthNode implements Inode {
  readonly ino: number;

  constructor(
    readonly fs: SynthFs,
    private readonly typeAndPerm: number,
    private readonly owner: () => Owner = () => ROOT_OWNER,
  ) {
    this.ino = fs.allocateIno();
  }

  /** The mode bits now (magic fd links change theirs with the file they point at). */
  protected mode(): number {
    return this.typeAndPerm;
  }

  protected size(): number {
    return 0;
  }

  stat(): Stat {
    const mode = this.mode();
    const { uid, gid } = this.owner();
    const t = this.fs.created;
    return {
      dev: this.fs.dev,
      ino: this.ino,
      mode,
      nlink: (mode & S.IFMT) === S.IFDIR ? 2 : 1,
      uid,
      gid,
      rdev: 0,
      size: this.size(),
      blksize: 1024,
      blocks: 0,
      atime: t,
      mtime: t,
      ctime: t,
    };
  }

  /** Synthesized files take no writes unless a subclass says so, not even from root. */
  permission(creds: Credentials, mask: number): boolean {
    if (mask & MAY_WRITE && !this.acceptsWrites()) return false;
    return modePermits(creds, this.stat(), mask);
  }

  protected acceptsWrites(): boolean {
    return false;
  }

  abstract open(flags: number, ctx: FsContext): FileImpl;
}

/** A read-only snapshot of bytes, read at offsets (what seq_file gives a reader). */
export function snapshotFile(data: Uint8Array): FileImpl {
  return {
    seekable: true,
    read(buf: Uint8Array, position: number): number {
      if (position >= data.length) return 0;
      const n = Math.min(buf.length, data.length - position);
      buf.set(data.subarray(position, position + n));
      return n;
    },
  };
}

/**
 * A regular file whose contents are generated each time it is opened; with accept, a
 * write hands each buffer written to it (a tunable such as /proc/PID/comm).
 */
export class GeneratedFile extends SynthNode {
  constructor(
    fs: SynthFs,
    perm: number,
    private readonly generate: () => Content,
    owner?: () => Owner,
    private readonly accept?: (data: Uint8Array, position: number) => void,
  ) {
    super(fs, S.IFREG | perm, owner);
  }

  protected override acceptsWrites(): boolean {
    return this.accept !== undefined;
  }

  open(): FileImpl {
    const file = snapshotFile(contentBytes(this.generate()));
    const accept = this.accept;
    if (!accept) return file;
    return {
      ...file,
      write(buf: Uint8Array, position = 0): number {
        accept(buf, position);
        return buf.length;
      },
    };
  }
}

/** A symlink whose text is computed when read (/proc/self). */
export class SymlinkNode extends SynthNode {
  constructor(
    fs: SynthFs,
    private readonly target: () => string,
    owner?: () => Owner,
  ) {
    super(fs, S.IFLNK | 0o777, owner);
  }

  readlink(): string {
    return this.target();
  }

  protected override size(): number {
    return this.target().length;
  }

  open(): FileImpl {
    return fail(E.ELOOP);
  }
}

/**
 * A magic link (/proc/PID/fd/N, cwd, root, exe): following it jumps to a Location in the
 * sandbox tree instead of interpreting text, as Linux's proc links do. readlink shows
 * the path for people; resolution never reads it, so it cannot lead anywhere else.
 */
export class MagicLink extends SynthNode {
  constructor(
    fs: SynthFs,
    private readonly describe: () => string,
    private readonly jump: (ctx: FsContext) => Location,
    private readonly linkMode: () => number = () => 0o777,
    owner?: () => Owner,
  ) {
    super(fs, S.IFLNK | 0o777, owner);
  }

  protected override mode(): number {
    return S.IFLNK | this.linkMode();
  }

  readlink(): string {
    return this.describe();
  }

  follow(ctx: FsContext): Location {
    return this.jump(ctx);
  }

  open(): FileImpl {
    return fail(E.ELOOP);
  }
}

/** A directory's children: looked up by name, listed with their getdents cookies. */
export interface Children {
  lookup(name: string): SynthNode | undefined;
  /** [name, node, cookie] with cookies >= 3, increasing along the iteration. */
  list(): Iterable<readonly [string, SynthNode, number]>;
}

export class DirNode extends SynthNode {
  constructor(
    fs: SynthFs,
    perm: number,
    private readonly children: Children,
    owner?: () => Owner,
    /** Directories whose contents change on their own (/proc) must not be cached. */
    readonly cacheable = true,
  ) {
    super(fs, S.IFDIR | perm, owner);
  }

  lookup(name: string): Inode {
    const node = this.children.lookup(name);
    if (!node) fail(E.ENOENT);
    return node;
  }

  *readdir(): Iterable<DirEntry> {
    for (const [name, node, cookie] of this.children.list()) {
      yield { ino: node.ino, type: direntTypeOfMode(node.stat().mode), name, offset: cookie };
    }
  }

  open(): FileImpl {
    return { seekable: true };
  }
}

/** Cookies 1 and 2 are `.` and `..`. */
const FIRST_COOKIE = 3;

/** A fixed set of children in a given order. */
export class FixedChildren implements Children {
  private readonly byName: Map<string, SynthNode>;

  constructor(entries: Iterable<readonly [string, SynthNode]>) {
    this.byName = new Map(entries);
  }

  lookup(name: string): SynthNode | undefined {
    return this.byName.get(name);
  }

  *list(): Iterable<readonly [string, SynthNode, number]> {
    let cookie = FIRST_COOKIE;
    for (const [name, node] of this.byName) yield [name, node, cookie++];
  }
}

/**
 * Children named by numbers that come and go (pids, tids, fds). Each number keeps its
 * node while it is listed; its cookie is base + number, so listings resume correctly
 * whatever appeared or vanished in between.
 */
export class NumberedChildren implements Children {
  private readonly nodes = new Map<number, SynthNode>();

  constructor(
    private readonly current: () => Iterable<number>,
    private readonly make: (n: number) => SynthNode,
    private readonly cookieBase = FIRST_COOKIE,
    /** Numbers that resolve by name without being listed (/proc/TID). */
    private readonly hidden: (n: number) => boolean = () => false,
  ) {}

  lookup(name: string): SynthNode | undefined {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(name)) return undefined;
    const n = Number(name);
    const live = new Set(this.current());
    this.prune(live);
    if (!live.has(n) && !this.hidden(n)) return undefined;
    return this.nodeFor(n);
  }

  *list(): Iterable<readonly [string, SynthNode, number]> {
    const live = [...this.current()].sort((a, b) => a - b);
    this.prune(new Set(live));
    for (const n of live) yield [String(n), this.nodeFor(n), this.cookieBase + n];
  }

  private nodeFor(n: number): SynthNode {
    let node = this.nodes.get(n);
    if (!node) {
      node = this.make(n);
      this.nodes.set(n, node);
    }
    return node;
  }

  private prune(live: Set<number>): void {
    for (const n of this.nodes.keys()) if (!live.has(n) && !this.hidden(n)) this.nodes.delete(n);
  }
}

/** Fixed children first, then numbered ones (whose cookies start above the fixed ones). */
export class MergedChildren implements Children {
  constructor(private readonly parts: readonly Children[]) {}

  lookup(name: string): SynthNode | undefined {
    for (const part of this.parts) {
      const node = part.lookup(name);
      if (node) return node;
    }
    return undefined;
  }

  *list(): Iterable<readonly [string, SynthNode, number]> {
    for (const part of this.parts) yield* part.list();
  }
}

/** A tree of fixed directories and generated files, written as nested objects. */
export type TreeSpec = { readonly [name: string]: TreeSpec | (() => Content) | SynthNode };

export function buildTree(fs: SynthFs, spec: TreeSpec, perm = 0o555): DirNode {
  const entries: [string, SynthNode][] = [];
  for (const [name, value] of Object.entries(spec)) {
    if (value instanceof SynthNode) entries.push([name, value]);
    else if (typeof value === 'function') entries.push([name, new GeneratedFile(fs, 0o444, value as () => Content)]);
    else entries.push([name, buildTree(fs, value as TreeSpec, perm)]);
  }
  return new DirNode(fs, perm, new FixedChildren(entries));
}
