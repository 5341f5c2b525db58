// Host directories held open, and the files beneath them: every host call names a file by
// the fd of the directory holding it and one name, never followed (calls.ts), so a
// racing rename on the host cannot move a lookup outside and no symlink the host plants
// is ever followed by the host kernel.

import * as fs from 'node:fs';
import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import type { OpenBeneath } from '../api.js';
import { fileType, fstat, lstatAt, openAt, readDir, readlinkAt, type HostStat } from './calls.js';

/** Lets tests act between the decision about a component and the open of it. */
export const hostTestHooks: { beforeOpen?: (dirFd: number, name: string) => void } = {};

/** The default OpenBeneath: one openat per component, each with O_NOFOLLOW, from dirFd down. */
export const openBeneathHost: OpenBeneath = (dirFd, path, flags, mode) => {
  const names = path.split('/').filter((name) => name !== '' && name !== '.');
  if (names.length === 0 || names.includes('..')) fail(E.EXDEV);
  let current = dirFd;
  try {
    for (let i = 0; i < names.length - 1; i++) {
      const next = openOne(current, names[i] as string, O.PATH | O.DIRECTORY, 0);
      if (current !== dirFd) fs.closeSync(current);
      current = next;
    }
    return openOne(current, names[names.length - 1] as string, flags, mode);
  } finally {
    if (current !== dirFd) fs.closeSync(current);
  }
};

function openOne(dirFd: number, name: string, flags: number, mode: number): number {
  hostTestHooks.beforeOpen?.(dirFd, name);
  return openAt(dirFd, name, flags | O.NOFOLLOW | O.CLOEXEC, mode);
}

/** Whether st is the host file known by (dev, ino). */
export function sameHostFile(st: HostStat, dev: number, ino: number): boolean {
  return st.ino === ino && st.dev === dev;
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

  /** A mount's host directory, by the O_PATH fd the mount holds for good. */
  static pinned(fd: number, openBeneath: OpenBeneath): HostDir {
    return new HostDir(undefined, '', fstat(fd).ino, openBeneath, fd);
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
    const st = fstat(fd);
    if (fileType(st) !== S.IFDIR || st.ino !== expectedIno) {
      fs.closeSync(fd);
      fail(E.ENOENT, 'host directory changed while opening it');
    }
    return fd;
  }

  /** lstat of a child; undefined when it does not exist. */
  lstat(name: string): HostStat | undefined {
    return lstatAt(this.fd, name);
  }

  /** Opens a child without following it; flags gain O_NOFOLLOW|O_CLOEXEC. */
  openChild(name: string, flags: number, mode = 0): number {
    return this.openBeneath(this.fd, name, flags | O.NOFOLLOW | O.CLOEXEC, mode);
  }

  /**
   * An O_PATH fd of the child that is the host file (dev, ino), never followed: what
   * attribute changes act on, so they reach that file and nothing a rename put there.
   */
  openSelf(name: string, dev: number, ino: number): number {
    const fd = this.openChild(name, O.PATH);
    if (!sameHostFile(fstat(fd), dev, ino)) {
      fs.closeSync(fd);
      fail(E.ENOENT, 'host file changed while opening it');
    }
    return fd;
  }

  /** Opens a child regular file, checking it is the one lstat saw (a fifo swapped in would block). */
  openFile(name: string, flags: number, expectedIno: number, mode = 0): number {
    const fd = this.openChild(name, flags | O.NONBLOCK, mode);
    const st = fstat(fd);
    if (fileType(st) !== S.IFREG || (expectedIno >= 0 && st.ino !== expectedIno)) {
      fs.closeSync(fd);
      fail(E.ENOENT, 'host file changed while opening it');
    }
    return fd;
  }

  names(): string[] {
    return readDir(this.fd);
  }

  readlink(name: string): string {
    return readlinkAt(this.fd, name);
  }

  /** Closes the fd of a non-pinned directory; it reopens on next use. */
  private close(): void {
    if (this.openFd === undefined || !this.parent) return;
    fs.closeSync(this.openFd);
    this.openFd = undefined;
    openDirs.delete(this);
  }
}
