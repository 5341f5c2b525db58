// inotify_init1, inotify_add_watch, inotify_rm_watch: watches on the sandbox's files,
// told of every process's changes by the VFS, read from an fd as struct inotify_event.
// The limits are /proc/sys/fs/inotify's, per user of the sandbox.

import { E, fail } from '../../abi/errno.js';
import { ACCESS, AT, O } from '../../abi/linux-fcntl.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FsNotifier } from '../../vfs/index.js';
import { int32, pointer, uint32 } from './decode.js';
import { IN, INOTIFY_LIMITS } from '../../abi/linux-inotify.js';
import { InotifyInstance } from './inotify-instance.js';
import { fdLimit, readPath } from './task-files.js';

const ALL_BITS = IN.ALL_EVENTS | IN.ONLYDIR | IN.DONT_FOLLOW | IN.EXCL_UNLINK | IN.MASK_CREATE | IN.MASK_ADD | IN.ISDIR | IN.ONESHOT;

/** Instances and watches per uid, for each sandbox (its VFS's notifier). */
const usage = new WeakMap<FsNotifier, { instances: Map<number, number>; watches: Map<number, number> }>();

function add(counts: Map<number, number>, uid: number, delta: number): number {
  const total = (counts.get(uid) ?? 0) + delta;
  counts.set(uid, total);
  return total;
}

function inotify_init1(task: SyscallTask, args: SyscallArgs): number {
  const flags = uint32(args[0]);
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) return -E.EINVAL;
  const uid = task.creds.ruid;
  const notifier = task.kernel.vfs.notifier;
  let counts = usage.get(notifier);
  if (!counts) usage.set(notifier, (counts = { instances: new Map(), watches: new Map() }));
  const { instances, watches } = counts;
  if ((instances.get(uid) ?? 0) >= INOTIFY_LIMITS.maxUserInstances) return -E.EMFILE;
  const instance = new InotifyInstance(task.fs.creds, notifier, INOTIFY_LIMITS.maxQueuedEvents, {
    watchAdded: () => {
      if ((watches.get(uid) ?? 0) >= INOTIFY_LIMITS.maxUserWatches) fail(E.ENOSPC);
      add(watches, uid, 1);
    },
    watchRemoved: () => add(watches, uid, -1),
    closed: () => add(instances, uid, -1),
  });
  add(instances, uid, 1);
  const file = task.kernel.vfs.openAnonymous(instance, 'anon_inode:inotify', O.RDONLY | (flags & O.NONBLOCK), task.fs);
  return task.fds.install(file, { cloexec: (flags & O.CLOEXEC) !== 0, limit: fdLimit(task) });
}

function inotify_init(task: SyscallTask): number {
  return inotify_init1(task, [0n, 0n, 0n, 0n, 0n, 0n]);
}

function instanceOf(task: SyscallTask, fd: number): InotifyInstance {
  const file = task.fds.get(fd);
  if (!(file.inode instanceof InotifyInstance)) fail(E.EINVAL);
  return file.inode;
}

function inotify_add_watch(task: SyscallTask, args: SyscallArgs): number {
  const mask = uint32(args[2]);
  if (mask & IN.MASK_ADD && mask & IN.MASK_CREATE) return -E.EINVAL;
  if (!(mask & ALL_BITS)) return -E.EINVAL;
  const instance = instanceOf(task, int32(args[0]));
  const path = readPath(task, pointer(args[1]));
  const follow = (mask & IN.DONT_FOLLOW) === 0;
  const vfs = task.kernel.vfs;
  const loc = vfs.resolve(task.fs, undefined, path, { follow, directory: (mask & IN.ONLYDIR) !== 0 });
  vfs.access(task.fs, undefined, path, ACCESS.R_OK, follow ? 0 : AT.SYMLINK_NOFOLLOW);
  return instance.addWatch(loc.dentry.inode, mask);
}

function inotify_rm_watch(task: SyscallTask, args: SyscallArgs): number {
  instanceOf(task, int32(args[0])).removeWatch(int32(args[1]));
  return 0;
}

export const inotifySyscalls = { inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch } satisfies Record<string, SyscallHandler>;
