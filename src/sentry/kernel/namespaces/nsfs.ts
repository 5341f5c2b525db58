// nsfs: the files /proc/PID/ns/* lead to, one inode per namespace. Its inode number is the
// namespace's identity (readlink shows `uts:[INODE]`; two tasks in one namespace see one
// number), allocated by the sandbox below every number Linux gives a namespace (its initial
// ones sit at 0xEFFFFFF8 and up, the rest from 0xF0000000), so a number the sandbox shows is
// never a host namespace's. An open one is what setns(2) takes.

import { E, fail } from '../../../abi/errno.js';
import { CLONE } from '../../../abi/linux-clone.js';
import { S, type FileImpl, type Inode, type Stat } from '../../../vfs/api.js';
import { now } from '../../../vfs/time.js';
import { anonFilesystem } from '../files/anon-fs.js';

const NSFS_MAGIC = 0x6e736673;
/** The sandbox's first namespace number: below Linux's (PROC_*_INIT_INO, PROC_DYNAMIC_FIRST). */
const FIRST_INO = 0xef000000;

const nsfs = anonFilesystem('nsfs', NSFS_MAGIC);

/** A namespace type as readlink shows it, with its CLONE_NEW* flag (setns's nstype). */
export const NAMESPACE_TYPES = {
  cgroup: CLONE.NEWCGROUP,
  ipc: CLONE.NEWIPC,
  mnt: CLONE.NEWNS,
  net: CLONE.NEWNET,
  pid: CLONE.NEWPID,
  time: CLONE.NEWTIME,
  user: CLONE.NEWUSER,
  uts: CLONE.NEWUTS,
} as const;
export type NamespaceType = keyof typeof NAMESPACE_TYPES;

/** A cgroup namespace: nothing to hold (the sandbox's cgroup mounts show one root), an identity. */
export class CgroupNamespace {}

export class NamespaceInode implements Inode {
  readonly fs = nsfs;
  private readonly attrs: Stat;

  constructor(
    readonly ino: number,
    readonly type: NamespaceType,
    /** The namespace itself (UtsNamespace, IpcNamespace, a mount namespace, ...). */
    readonly namespace: object,
  ) {
    const t = now();
    this.attrs = { dev: nsfs.dev, ino, mode: S.IFREG | 0o444, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }

  stat(): Stat {
    return { ...this.attrs };
  }

  open(): FileImpl {
    return { seekable: false, read: () => fail(E.EINVAL), write: () => fail(E.EINVAL) };
  }

  /** What readlink of a /proc/PID/ns link to it shows. */
  get name(): string {
    return `${this.type}:[${this.ino}]`;
  }
}

/**
 * The sandbox's namespace files: the one time namespace it has, and the inode
 * of every namespace once a /proc/PID/ns link names it (held weakly: it goes with the namespace).
 */
export class NamespaceFiles {
  readonly time = {};
  private readonly inodes = new WeakMap<object, NamespaceInode>();
  private next = FIRST_INO;

  inodeOf(type: NamespaceType, namespace: object): NamespaceInode {
    let inode = this.inodes.get(namespace);
    if (!inode) {
      inode = new NamespaceInode(this.next++, type, namespace);
      this.inodes.set(namespace, inode);
    }
    return inode;
  }
}
