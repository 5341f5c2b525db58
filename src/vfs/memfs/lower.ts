// A read-only tree under a memory filesystem (the overlay's lower layer). The memory
// filesystem copies a lower file into memory the first time it is changed and hides
// removed lower names behind whiteouts; it never writes to the lower layer.

/** Attributes of a lower file as the sandbox should see them (ownership already mapped). */
export interface LowerAttrs {
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  nlink: number;
  /** Identity of the lower file, to keep hard links one inode. */
  key: string;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface LowerEntry {
  readonly attrs: LowerAttrs;
  /** The directory, for S_IFDIR entries. */
  directory(): LowerDir;
  /** The link target, for S_IFLNK entries. */
  readlink(): string;
  /** A host fd for reading the contents (caller closes it), for S_IFREG entries. */
  openRead(): number;
  /** The extended attributes the lower file brings (read when first asked for). */
  xattrs?(): ReadonlyMap<string, Uint8Array>;
}

export interface LowerDir {
  lookup(name: string): LowerEntry | undefined;
  names(): string[];
}
