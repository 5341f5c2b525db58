// How host files' owners, modes and node types appear in the sandbox: files of the
// sentry's own host user appear as root's (the rootless convention), and the bundle's
// side file tssc-rootfs-meta.json overrides what a tar extraction without privileges
// could not record (owners, setuid bits, device nodes and fifos).

import { S, makedev } from '../api.js';
import { fileType, type HostStat } from './calls.js';

export const ROOTFS_META_FILE = 'tssc-rootfs-meta.json';

export interface MetaEntry {
  type?: 'c' | 'b' | 'p';
  mode?: number;
  uid?: number;
  gid?: number;
  major?: number;
  minor?: number;
}

export interface Presentation {
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
}

export class OwnershipMap {
  private readonly hostUid = process.geteuid?.() ?? -1;
  private readonly hostGid = process.getegid?.() ?? -1;

  constructor(private readonly meta: ReadonlyMap<string, MetaEntry> = new Map()) {}

  /** The side file's text (file names it in errors); a malformed one is an error. */
  static parse(file: string, text: string): OwnershipMap {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const meta = (parsed ?? {}) as { version?: unknown; entries?: unknown };
    if (meta.version !== 1 || typeof meta.entries !== 'object' || meta.entries === null) {
      throw new Error(`${file}: expected {"version":1,"entries":{...}}`);
    }
    const map = new Map<string, MetaEntry>();
    for (const [key, value] of Object.entries(meta.entries)) {
      // Keys are already byte strings (one char per byte), as src/oci/image/rootfs-meta.ts writes them.
      map.set(key, checkEntry(file, key, value));
    }
    return new OwnershipMap(map);
  }

  /** The sandbox's view of a host file at sandboxPath (undefined: outside the rootfs). */
  present(st: HostStat, sandboxPath: string | undefined): Presentation {
    let mode = st.mode;
    let uid = st.uid === this.hostUid ? 0 : st.uid;
    let gid = st.gid === this.hostGid ? 0 : st.gid;
    let rdev = st.rdev;
    const entry = sandboxPath === undefined ? undefined : this.meta.get(sandboxPath);
    if (entry) {
      if (entry.uid !== undefined) uid = entry.uid;
      if (entry.gid !== undefined) gid = entry.gid;
      if (entry.mode !== undefined) mode = (mode & S.IFMT) | (entry.mode & 0o7777);
      if (entry.type && fileType(st) === S.IFREG) {
        const type = entry.type === 'c' ? S.IFCHR : entry.type === 'b' ? S.IFBLK : S.IFIFO;
        mode = type | (mode & 0o7777);
        rdev = entry.type === 'p' ? 0 : makedev(entry.major ?? 0, entry.minor ?? 0);
      }
    }
    return { mode, uid, gid, rdev };
  }

  /** The host uid/gid to give a file the sandbox assigns to uid/gid (-1: unchanged). */
  toHost(uid: number, gid: number): { uid: number; gid: number } {
    return { uid: uid === 0 ? this.hostUid : uid, gid: gid === 0 ? this.hostGid : gid };
  }
}

const ID_FIELDS = ['mode', 'uid', 'gid', 'major', 'minor'] as const;

function checkEntry(file: string, key: string, value: unknown): MetaEntry {
  const entry = value as Record<string, unknown>;
  const bad = (what: string) => new Error(`${file}: entry ${JSON.stringify(key)}: ${what}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  if (entry.type !== undefined && entry.type !== 'c' && entry.type !== 'b' && entry.type !== 'p') throw bad('type must be "c", "b" or "p"');
  for (const field of ID_FIELDS) {
    const v = entry[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw bad(`${field} must be a non-negative integer`);
  }
  return value as MetaEntry;
}
