// A pidfd (pidfd_open(2), CLONE_PIDFD): a file that names one process of the sandbox, the
// ThreadGroup itself and never its pid number, so a pid reused after the process is reaped
// is never reached through it. It is readable (POLLIN) once the process has ended, and
// hangs up (POLLHUP) once it is reaped; read and write are EINVAL, as on Linux. A pidfd
// of one thread (PIDFD_THREAD, Linux 6.9) names the Task: readable once that thread has
// ended, hung up once it is gone (a thread other than the leader is gone as it ends).

import { E, fail } from '../../../abi/errno.js';
import { O } from '../../../abi/linux-fcntl.js';
import { POLL } from '../../../abi/linux-poll.js';
import type { Credentials, FileDescription, FileImpl, FsContext, Vfs } from '../../../vfs/api.js';
import type { Task } from '../task.js';
import type { ThreadGroup } from '../thread-group.js';
import { AnonInode } from './anon-fs.js';

export class PidFd extends AnonInode {
  constructor(
    readonly group: ThreadGroup,
    owner: Credentials,
    /** The thread a PIDFD_THREAD pidfd names; undefined: the process. */
    readonly thread?: Task,
  ) {
    super(owner);
  }

  open(): FileImpl {
    return {
      seekable: false,
      read: () => fail(E.EINVAL),
      write: () => fail(E.EINVAL),
      readiness: (mask) => this.readiness() & (mask | POLL.ERR | POLL.HUP),
      subscribe: (mask, callback) => {
        const fromGroup = this.group.endEvents.subscribe(mask | POLL.HUP, callback);
        const fromThread = this.thread?.endEvents.subscribe(mask | POLL.HUP, callback);
        return () => {
          fromGroup();
          fromThread?.();
        };
      },
    };
  }

  private readiness(): number {
    const thread = this.thread;
    if (this.group.reaped || (thread?.exited && thread.tid !== this.group.pid)) return POLL.IN | POLL.RDNORM | POLL.HUP;
    return (thread ? thread.exited : this.group.zombie) ? POLL.IN | POLL.RDNORM : 0;
  }
}

/** The process a pidfd names (a thread's pidfd: the thread's); undefined for any other file. */
export function pidfdGroup(file: FileDescription): ThreadGroup | undefined {
  return file.inode instanceof PidFd ? file.inode.group : undefined;
}

/** The thread a PIDFD_THREAD pidfd names; undefined for a process's pidfd or any other file. */
export function pidfdThread(file: FileDescription): Task | undefined {
  return file.inode instanceof PidFd ? file.inode.thread : undefined;
}

/**
 * A new pidfd of group (or of one of its threads), O_RDWR (and O_NONBLOCK when nonblock
 * asks; a thread's also O_EXCL, PIDFD_THREAD's bit), as pidfd_open and CLONE_PIDFD make it.
 */
export function openPidfd(vfs: Vfs, ctx: FsContext, group: ThreadGroup, nonblock: boolean, thread?: Task): FileDescription {
  const flags = O.RDWR | (nonblock ? O.NONBLOCK : 0) | (thread ? O.EXCL : 0);
  return vfs.openAnonymous(new PidFd(group, ctx.creds, thread), 'anon_inode:[pidfd]', flags, ctx);
}
