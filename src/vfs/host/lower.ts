// The host rootfs as the overlay's read-only lower layer.

import { O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import type { Timespec } from '../api.js';
import type { LowerAttrs, LowerDir, LowerEntry } from '../memfs/lower.js';
import { XATTR_NAME_CAPS } from '../../abi/linux-capability.js';
import { fileType, type HostStat } from './calls.js';
import { fileCapabilities } from './file-caps.js';
import type { HostDir } from './handle.js';
import type { OwnershipMap } from './ownership.js';

export class HostLowerDir implements LowerDir {
  private handle: HostDir | undefined;

  constructor(
    private readonly open: () => HostDir,
    private readonly sandboxPath: string,
    private readonly ownership: OwnershipMap,
  ) {}

  private get dir(): HostDir {
    return (this.handle ??= this.open());
  }

  lookup(name: string): LowerEntry | undefined {
    const dir = this.dir;
    const st = dir.lstat(name);
    if (!st) return undefined;
    const childPath = this.sandboxPath === '/' ? `/${name}` : `${this.sandboxPath}/${name}`;
    const attrs = lowerAttrs(st, this.ownership, childPath);
    return {
      attrs,
      directory: () => new HostLowerDir(() => dir.openDir(name, st.ino), childPath, this.ownership),
      readlink: () => dir.readlink(name),
      openRead: () => dir.openFile(name, O.RDONLY, st.ino),
      ...(fileType(st) === S.IFREG ? { xattrs: () => capabilityXattrs(() => dir.openFile(name, O.RDONLY, st.ino)) } : {}),
    };
  }

  names(): string[] {
    return this.dir.names();
  }
}

/** A rootfs file's xattrs as the overlay shows them: its security.capability alone (file-caps.ts). */
function capabilityXattrs(open: () => number): Map<string, Uint8Array> {
  const value = fileCapabilities(open);
  return new Map(value ? [[XATTR_NAME_CAPS, value]] : []);
}

export function lowerAttrs(st: HostStat, ownership: OwnershipMap, sandboxPath: string): LowerAttrs {
  const shown = ownership.present(st, sandboxPath);
  return {
    ...shown,
    size: fileType(st) === S.IFREG && (shown.mode & S.IFMT) !== S.IFREG ? 0 : st.size,
    nlink: st.nlink,
    key: `${st.dev}:${st.ino}`,
    atimeMs: toMs(st.atime),
    mtimeMs: toMs(st.mtime),
    ctimeMs: toMs(st.ctime),
  };
}

function toMs(t: Timespec): number {
  return t.sec * 1000 + t.nsec / 1e6;
}
