// The rootfs side file (BUNDLE/tssc-rootfs-meta.json): what the extracting user could not
// put on disk, for the VFS to present instead. Format, version 1:
//   {"version":1,"entries":{"/abs/path/in/rootfs":{"type":"c"|"b"|"p","mode":n,"uid":n,"gid":n,
//    "major":n,"minor":n}}}
// Keys are byte strings (one char per byte, latin1) like every sandbox path. Every field
// is optional: type marks a device or fifo whose host file is an empty 0600 placeholder
// (major/minor for devices); mode holds the 12 permission bits when the host file's differ;
// uid/gid the owner when it differs from what the VFS presents (the sentry's own euid
// shows as 0:0, other host owners as they are).
import { writeFileSync } from 'node:fs';
import type { MetaEntry as RootfsMetaEntry } from '../../vfs/host/ownership.js';

// One entry's fields are what the VFS reads back (vfs/host/ownership.ts), declared once there.
export type { RootfsMetaEntry };
export type SpecialFileType = NonNullable<RootfsMetaEntry['type']>;

export interface RootfsMetaFile {
  version: 1;
  entries: Record<string, RootfsMetaEntry>;
}

export class RootfsMeta {
  private readonly entries = new Map<string, RootfsMetaEntry>();

  /** Merges `fields` into the entry of `path` (an absolute sandbox path). */
  merge(path: string, fields: RootfsMetaEntry): void {
    this.entries.set(path, { ...this.entries.get(path), ...fields });
  }

  get(path: string): RootfsMetaEntry | undefined {
    return this.entries.get(path);
  }

  /** Forgets what was said about `path` itself, keeping what lies below it. */
  forget(path: string): void {
    this.entries.delete(path);
  }

  /** Forgets `path` and, when it was a directory, everything below it. */
  forgetTree(path: string): void {
    const below = path === '/' ? '/' : path + '/';
    for (const key of this.entries.keys()) {
      if (key === path || key.startsWith(below)) this.entries.delete(key);
    }
  }

  toFile(): RootfsMetaFile {
    const entries: Record<string, RootfsMetaEntry> = {};
    for (const key of [...this.entries.keys()].sort()) {
      const entry = this.entries.get(key);
      if (entry !== undefined && Object.keys(entry).length > 0) entries[key] = entry;
    }
    return { version: 1, entries };
  }

  write(file: string): void {
    writeFileSync(file, JSON.stringify(this.toFile(), null, 1) + '\n', { mode: 0o644 });
  }
}
