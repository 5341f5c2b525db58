// The mqueue filesystem: a directory of the sandbox's message queues. open(O_CREAT)
// creates a queue with the default attributes, unlink removes one, and reading a queue's
// file gives its state ("QSIZE:...") while poll reports its messages and free room.

import { E, fail } from '../../abi/errno.js';
import { S, direntTypeOfMode, type Credentials, type DirEntry, type FileImpl, type FilesystemType, type Inode, type MountRequest, type Stat } from '../api.js';
import { SynthFs, SynthNode, snapshotFile } from '../synthetic/nodes.js';
import type { MqueueEntry, MqueueNamespace } from './namespace.js';

export const MQUEUE_MAGIC = 0x19800202;

/** A queue seen as a file; the mq_* syscalls find the queue through `entry`. */
export class MqueueInode extends SynthNode {
  constructor(
    fs: SynthFs,
    readonly entry: MqueueEntry,
    private readonly namespace: MqueueNamespace,
  ) {
    super(fs, S.IFREG, () => ({ uid: entry.uid, gid: entry.gid }));
  }

  protected override mode(): number {
    return S.IFREG | this.entry.mode;
  }

  protected override size(): number {
    return this.entry.queue.size;
  }

  override stat(): Stat {
    const t = this.entry.created;
    return { ...super.stat(), atime: t, mtime: t, ctime: t };
  }

  protected override acceptsWrites(): boolean {
    return true;
  }

  open(): FileImpl {
    const entry = this.entry;
    const queue = entry.queue;
    entry.opens++;
    let released = false;
    return {
      ...snapshotFile(Buffer.from(queue.describe(), 'latin1')),
      readiness: (mask) => queue.readiness(mask),
      subscribe: (mask, callback) => queue.subscribe(mask, callback),
      release: () => {
        if (released) return;
        released = true;
        this.namespace.closed(entry);
      },
    };
  }
}

export class MqueueRoot extends SynthNode {
  readonly cacheable = false;
  private readonly inodes = new WeakMap<MqueueEntry, MqueueInode>();

  constructor(
    fs: SynthFs,
    private readonly namespace: MqueueNamespace,
  ) {
    super(fs, S.IFDIR | 0o1777);
  }

  inodeFor(entry: MqueueEntry): MqueueInode {
    let inode = this.inodes.get(entry);
    if (!inode) {
      inode = new MqueueInode(this.fs, entry, this.namespace);
      this.inodes.set(entry, inode);
    }
    return inode;
  }

  protected override acceptsWrites(): boolean {
    return true;
  }

  lookup(name: string): Inode {
    const entry = this.namespace.get(name);
    if (!entry) fail(E.ENOENT);
    return this.inodeFor(entry);
  }

  *readdir(): Iterable<DirEntry> {
    for (const entry of this.namespace.list()) {
      yield { ino: this.inodeFor(entry).ino, type: direntTypeOfMode(S.IFREG), name: entry.name, offset: entry.cookie };
    }
  }

  mknod(name: string, mode: number, _rdev: number, creds: Credentials): Inode {
    if ((mode & S.IFMT) !== S.IFREG && (mode & S.IFMT) !== 0) fail(E.EINVAL);
    return this.inodeFor(this.namespace.create(name, mode & 0o777, undefined, creds));
  }

  unlink(name: string): void {
    // The VFS has checked the sticky directory's rules already.
    this.namespace.unlink(name);
  }

  open(): FileImpl {
    return { seekable: true };
  }
}

/** namespace: the queues of the IPC namespace a new mount is made in. */
export function mqueueType(namespace: () => MqueueNamespace): FilesystemType {
  return {
    name: 'mqueue',
    mount(request: MountRequest): SynthFs {
      const queues = namespace();
      return new SynthFs('mqueue', request.dev, MQUEUE_MAGIC, (fs) => new MqueueRoot(fs, queues));
    },
  };
}
