// Change notification (Linux's fsnotify): every change the VFS makes, whoever makes it
// (any process of the sandbox, Linux or wasm), is told to the watchers of the inode it
// changes and, for the events a directory reports about its entries, to the watchers of
// the directory holding it, with the entry's name. inotify (src/syscalls/linux) watches
// through this; nothing here knows of it.

import { S, type AttrChange, type Inode, type Location } from './api.js';

/** Event bits, with inotify's values (linux/inotify.h). */
export const FS_EVENT = {
  ACCESS: 0x1,
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  CLOSE_NOWRITE: 0x10,
  OPEN: 0x20,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  ISDIR: 0x40000000,
} as const;

/** What a directory's watchers hear of an entry's own changes (with the entry's name). */
const CHILD_EVENTS = FS_EVENT.ACCESS | FS_EVENT.MODIFY | FS_EVENT.ATTRIB | FS_EVENT.CLOSE_WRITE | FS_EVENT.CLOSE_NOWRITE | FS_EVENT.OPEN;

export interface FsEvent {
  /** One event bit, with ISDIR when the subject is a directory. */
  readonly mask: number;
  /** For an event a directory reports about one of its entries. */
  readonly name?: string;
  /** Pairs a MOVED_FROM with its MOVED_TO (0 otherwise). */
  readonly cookie: number;
  /** The entry the event is about has no link left (for IN_EXCL_UNLINK). */
  readonly unlinked: boolean;
}

export type FsWatcher = (event: FsEvent) => void;

export class FsNotifier {
  private readonly watchers = new WeakMap<Inode, Set<FsWatcher>>();
  private watching = 0;
  private lastCookie = 0;

  /** Calls watcher with every event about inode (or about its entries, for a directory). */
  watch(inode: Inode, watcher: FsWatcher): () => void {
    let set = this.watchers.get(inode);
    if (!set) this.watchers.set(inode, (set = new Set()));
    set.add(watcher);
    this.watching++;
    return () => {
      if (set.delete(watcher)) this.watching--;
    };
  }

  /** A fresh cookie for a rename's MOVED_FROM/MOVED_TO pair. */
  nextCookie(): number {
    this.lastCookie = (this.lastCookie + 1) >>> 0 || 1;
    return this.lastCookie;
  }

  /**
   * mask happened to the file at loc: its watchers hear it, and its directory's watchers
   * too (with its name) for the events a directory reports about its entries.
   */
  changed(loc: Location, mask: number): void {
    if (this.watching === 0) return;
    const inode = loc.dentry.inode;
    const st = inode.stat();
    const isDir = (st.mode & S.IFMT) === S.IFDIR ? FS_EVENT.ISDIR : 0;
    const parent = loc.dentry.parent;
    for (let bit = 1; bit <= FS_EVENT.MOVE_SELF; bit <<= 1) {
      if (!(mask & bit)) continue;
      if (parent && bit & CHILD_EVENTS) this.tell(parent.inode, { mask: bit | isDir, name: loc.dentry.name, cookie: 0, unlinked: st.nlink === 0 });
      this.tell(inode, { mask: bit | isDir, cookie: 0, unlinked: st.nlink === 0 });
    }
  }

  /** An entry of dir appeared or went (CREATE, DELETE, MOVED_FROM, MOVED_TO). */
  entry(dir: Inode, mask: number, name: string, child: Inode, cookie = 0): void {
    if (this.watching === 0) return;
    const isDir = (child.stat().mode & S.IFMT) === S.IFDIR ? FS_EVENT.ISDIR : 0;
    this.tell(dir, { mask: mask | isDir, name, cookie, unlinked: false });
  }

  /** An event about inode alone (DELETE_SELF, MOVE_SELF, ATTRIB of a link count): Linux marks none with ISDIR. */
  self(inode: Inode, mask: number): void {
    if (this.watching === 0) return;
    this.tell(inode, { mask, cookie: 0, unlinked: inode.stat().nlink === 0 });
  }

  private tell(inode: Inode, event: FsEvent): void {
    const set = this.watchers.get(inode);
    if (set) for (const watcher of [...set]) watcher(event);
  }
}

/** The events an attribute change makes (fsnotify_change). */
export function attrChangeEvents(change: AttrChange): number {
  let mask = 0;
  if (change.uid !== undefined || change.gid !== undefined || change.mode !== undefined) mask |= FS_EVENT.ATTRIB;
  if (change.size !== undefined) mask |= FS_EVENT.MODIFY;
  if (change.atime && change.mtime) mask |= FS_EVENT.ATTRIB;
  else if (change.atime) mask |= FS_EVENT.ACCESS;
  else if (change.mtime) mask |= FS_EVENT.MODIFY;
  return mask;
}
