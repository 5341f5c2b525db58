// The sandbox's IPC namespace (ipc_namespaces(7)): its POSIX message queues (the same
// ones every mqueue mount shows) and its System V objects. One per sandbox, reached by
// handlers through KernelServices.ipc.

import type { Inode } from '../../vfs/api.js';
import type { MqueueEntry, MqueueNamespace } from '../../vfs/mqueue/namespace.js';

/** The sandbox's message queues as the VFS's mqueue filesystem keeps them. */
export interface PosixQueues {
  readonly mqueues: MqueueNamespace;
  /** The inode of a queue on the internal mqueue mount mq_open reaches it through. */
  mqueueInode(entry: MqueueEntry): Inode;
}

export class IpcNamespace {
  constructor(readonly posix: PosixQueues) {}
}
