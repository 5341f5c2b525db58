// Internal filesystems for files that have no name in the tree (pipefs, anon_inodefs):
// their inodes need a Filesystem for st_dev and fstatfs, and nothing else.

import { E, fail } from '../../../abi/errno.js';
import { S, makedev, type Credentials, type FileImpl, type Filesystem, type Inode, type Stat, type Statfs } from '../../../vfs/api.js';
import { now } from '../../../vfs/time.js';
import { WaitQueue } from '../../../waiter/index.js';

// Linux numbers these anonymous devices from minor 1 upwards at boot; any small unused
// minors of major 0 do, as long as each filesystem keeps its own. These filesystems and
// their inode numbers are shared by every sandbox of the Node process, as Linux's
// get_next_ino is by every container of a host: one sentry process runs one container
// (tests may run several). Another sandbox's inode numbers show how many anonymous files
// the process made, nothing more.
let nextMinor = 11;
let nextIno = 1;

/** A fresh inode number on the internal filesystems. */
export function allocateIno(): number {
  return nextIno++;
}

export function anonFilesystem(type: string, magic: number): Filesystem {
  const dev = makedev(0, nextMinor++);
  const created = now();
  const fs: Filesystem = {
    type,
    dev,
    get root(): Inode {
      return root;
    },
    statfs(): Statfs {
      return { type: magic, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: [0, 0], namelen: 255, frsize: 4096, flags: 0 };
    },
  };
  const rootStat: Stat = {
    dev,
    ino: allocateIno(),
    mode: S.IFDIR | 0o700,
    nlink: 2,
    uid: 0,
    gid: 0,
    rdev: 0,
    size: 0,
    blksize: 4096,
    blocks: 0,
    atime: created,
    mtime: created,
    ctime: created,
  };
  const root: Inode = {
    fs,
    ino: rootStat.ino,
    stat: () => rootStat,
    lookup: () => fail(E.ENOENT),
    readdir: () => [],
    open: () => fail(E.EACCES),
  };
  return fs;
}

export const PIPEFS_MAGIC = 0x50495045;
export const ANON_INODE_FS_MAGIC = 0x09041934;

/** The one filesystem of epoll, eventfd and timerfd inodes, as Linux's anon_inodefs. */
export const anonInodeFs = anonFilesystem('anon_inodefs', ANON_INODE_FS_MAGIC);

/** The attributes of an anon_inodefs file: mode 0600 and no file type, as Linux shows them. */
export function anonInodeStat(ino: number, owner: Credentials): Stat {
  const t = now();
  return { dev: anonInodeFs.dev, ino, mode: 0o600, nlink: 1, uid: owner.uid, gid: owner.gid, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
}

/**
 * An anon_inodefs file (epoll, eventfd, timerfd): a fresh inode number, the attributes
 * anonInodeStat gives, and a wait queue for the readiness changes it announces.
 */
export abstract class AnonInode implements Inode {
  readonly fs = anonInodeFs;
  readonly ino = allocateIno();
  protected readonly queue = new WaitQueue();
  private readonly attrs: Stat;

  constructor(owner: Credentials) {
    this.attrs = anonInodeStat(this.ino, owner);
  }

  stat(): Stat {
    return { ...this.attrs };
  }

  abstract open(): FileImpl;
}
