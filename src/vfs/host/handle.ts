// Host directories held open, and opens beneath them that the host kernel resolves one
// component at a time without following symlinks: every path handed to the host is
// /proc/self/fd/<dirfd>/<name>, where <dirfd> pins the directory (a racing rename cannot
// move us elsewhere) and <name> has no slash and is opened O_NOFOLLOW.

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import type { OpenBeneath } from '../api.js';
import { host } from '../host-call.js';

/** Lets tests act between the decision about a component and the open of it. */
export const hostTestHooks: { beforeOpen?: (dirFd: number, name: string) => void } = {};

/** A path the host kernel resolves to name inside the directory open as dirFd. */
export function beneath(dirFd: number, name: string): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${dirFd}/`), Buffer.from(name, 'latin1')]);
}

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** The pure-Node OpenBeneath: O_NOFOLLOW per component, each directory checked with fstat. */
export const openBeneathNode: OpenBeneath = (dirFd, path, flags, mode) => {
  const names = path.split('/').filter((name) => name !== '' && name !== '.');
  if (names.length === 0 || names.includes('..')) fail(E.EXDEV);
  let current = dirFd;
  try {
    for (let i = 0; i < names.length - 1; i++) {
      const next = openOne(current, names[i] as string, O.PATH | O.DIRECTORY, 0);
      if (current !== dirFd) fs.closeSync(current);
      current = next;
      if (!host(() => fs.fstatSync(current)).isDirectory()) fail(E.ENOTDIR);
    }
    return openOne(current, names[names.length - 1] as string, flags, mode);
  } finally {
    if (current !== dirFd) fs.closeSync(current);
  }
};

function openOne(dirFd: number, name: string, flags: number, mode: number): number {
  hostTestHooks.beforeOpen?.(dirFd, name);
  return host(() => fs.openSync(beneath(dirFd, name), flags | O.NOFOLLOW | O.CLOEXEC, mode));
}

/**
 * Host directories hold at most this many fds between them; the least recently used
 * are closed and reopened (through their parent, checked by inode) when needed again,
 * so a walk over a large tree cannot exhaust the sentry's fds.
 */
const MAX_OPEN_DIRS = 512;
const openDirs = new Set<HostDir>();

/**
 * A host directory reached through an O_PATH fd. A mount's own directory keeps its fd;
 * the others are opened beneath their parent on demand.
 */
export class HostDir {
  private openFd: number | undefined;

  private constructor(
    private parent: HostDir | undefined,
    private name: string,
    readonly ino: number,
    private readonly openBeneath: OpenBeneath,
    pinnedFd?: number,
  ) {
    this.openFd = pinnedFd;
  }

  /** Opens a mount's host directory (the one path the host resolves normally: it is the user's). */
  static open(hostPath: string, openBeneath: OpenBeneath): HostDir {
    const fd = host(() => fs.openSync(hostPath, O.PATH | O.DIRECTORY | O.CLOEXEC));
    return new HostDir(undefined, '', fs.fstatSync(fd).ino, openBeneath, fd);
  }

  /** The directory's fd, reopened if it was closed to stay under MAX_OPEN_DIRS. */
  get fd(): number {
    if (!this.parent) return this.openFd as number;
    if (this.openFd === undefined) {
      this.openFd = this.parent.openDirFd(this.name, this.ino);
      if (openDirs.size >= MAX_OPEN_DIRS) {
        const oldest = openDirs.values().next().value as HostDir;
        oldest.close();
      }
    } else {
      openDirs.delete(this);
    }
    openDirs.add(this);
    return this.openFd;
  }

  /** Follows a rename made through the sandbox. */
  moveTo(parent: HostDir, name: string): void {
    if (this.parent) {
      this.parent = parent;
      this.name = name;
    }
  }

  /** A child directory, opened when first used and checked to be the one lstat saw (ino). */
  openDir(name: string, expectedIno: number): HostDir {
    return new HostDir(this, name, expectedIno, this.openBeneath);
  }

  private openDirFd(name: string, expectedIno: number): number {
    const fd = this.openChild(name, O.PATH | O.DIRECTORY);
    const st = fs.fstatSync(fd);
    if (!st.isDirectory() || st.ino !== expectedIno) {
      fs.closeSync(fd);
      fail(E.ENOENT, 'host directory changed while opening it');
    }
    return fd;
  }

  /** lstat of a child; undefined when it does not exist. */
  lstat(name: string): fs.Stats | undefined {
    return host(() => fs.lstatSync(beneath(this.fd, name), { throwIfNoEntry: false }));
  }

  /** Opens a child without following it; flags gain O_NOFOLLOW|O_CLOEXEC. */
  openChild(name: string, flags: number, mode = 0): number {
    return this.openBeneath(this.fd, name, flags | O.NOFOLLOW | O.CLOEXEC, mode);
  }

  /** Opens a child regular file, checking it is the one lstat saw (a fifo swapped in would block). */
  openFile(name: string, flags: number, expectedIno: number, mode = 0): number {
    const fd = this.openChild(name, flags | O.NONBLOCK, mode);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || (expectedIno >= 0 && st.ino !== expectedIno)) {
      fs.closeSync(fd);
      fail(E.ENOENT, 'host file changed while opening it');
    }
    return fd;
  }

  names(): string[] {
    return host(() => fs.readdirSync(fdPath(this.fd), { encoding: 'buffer' })).map((name) => name.toString('latin1'));
  }

  readlink(name: string): string {
    return host(() => fs.readlinkSync(beneath(this.fd, name), { encoding: 'buffer' })).toString('latin1');
  }

  path(name: string): Buffer {
    return beneath(this.fd, name);
  }

  /** Closes the fd of a non-pinned directory; it reopens on next use. */
  private close(): void {
    if (this.openFd === undefined || !this.parent) return;
    fs.closeSync(this.openFd);
    this.openFd = undefined;
    openDirs.delete(this);
  }
}
