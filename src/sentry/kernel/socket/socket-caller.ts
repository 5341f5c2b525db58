// A task as the netstack sees the maker of a socket call: its pid and effective ids (what
// SO_PEERCRED and SCM_CREDENTIALS show a peer, in the sandbox's namespaces) and its view
// of the filesystem, where AF_UNIX path names live as socket inodes.

import { E, SysError, fail } from '../../../abi/errno.js';
import { ACCESS } from '../../../abi/linux-fcntl.js';
import type { SocketCaller, UnixPathNames } from '../../../netstack/socket.js';
import { S, type FsContext, type Vfs } from '../../../vfs/api.js';
import { capsOver, hasCapability } from '../credentials.js';
import { ownerOf } from '../namespaces/user-namespace.js';
import type { SyscallTask } from '../syscall.js';

/** AF_UNIX names in a task's filesystem view: socket inodes made and found through the VFS. */
export function vfsUnixNames(vfs: Vfs, ctx: FsContext): UnixPathNames {
  return {
    create(path) {
      try {
        // Linux's unix_bind_bsd: S_IFSOCK with the socket inode's 0777, less the umask.
        vfs.mknod(ctx, undefined, path, S.IFSOCK | 0o777, 0);
      } catch (e) {
        if (e instanceof SysError && e.errno === E.EEXIST) fail(E.EADDRINUSE);
        throw e;
      }
      return vfs.resolve(ctx, undefined, path, { follow: false }).dentry.inode;
    },
    remove(path, node) {
      try {
        if (vfs.resolve(ctx, undefined, path, { follow: false }).dentry.inode === node) vfs.unlink(ctx, undefined, path, 0);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
      }
    },
    find(path) {
      const inode = vfs.resolve(ctx, undefined, path, { follow: true }).dentry.inode;
      vfs.access(ctx, undefined, path, ACCESS.W_OK, 0);
      if ((inode.stat().mode & S.IFMT) !== S.IFSOCK) fail(E.ECONNREFUSED);
      return inode;
    },
  };
}

const RLIMIT_NOFILE = 7;
const CAP_SYS_ADMIN = 21;
const CAP_SYS_RESOURCE = 24;

export function socketCaller(task: SyscallTask): SocketCaller {
  const creds = task.creds;
  const exempt = hasCapability(creds, CAP_SYS_ADMIN) || hasCapability(creds, CAP_SYS_RESOURCE);
  const nofile = task.rlimits.get(RLIMIT_NOFILE).cur;
  return {
    cred: { pid: task.pid, uid: creds.euid, gid: creds.egid },
    messageCred: { pid: task.pid, uid: creds.ruid, gid: creds.rgid },
    maxFilesInFlight: exempt ? Infinity : Number(nofile > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : nofile),
    // Over the network namespace the task is in: the sandbox's for a task of a user
    // namespace of its own has none; one its namespace made, every one it has there.
    capabilities: capsOver(creds, ownerOf(task.kernel.net)),
    names: vfsUnixNames(task.kernel.vfs, task.fs),
  };
}
