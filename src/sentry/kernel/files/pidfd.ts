// A pidfd (pidfd_open(2), CLONE_PIDFD): a file that names one process of the sandbox, the
// ThreadGroup itself and never its pid number, so a pid reused after the process is reaped
// is never reached through it. It is readable (POLLIN) once the process has ended, and
// hangs up (POLLHUP) once it is reaped; read and write are EINVAL, as on Linux.

import { E, fail } from '../../../abi/errno.js';
import { O } from '../../../abi/linux-fcntl.js';
import { POLL } from '../../../abi/linux-poll.js';
import type { Credentials, FileDescription, FileImpl, FsContext, Vfs } from '../../../vfs/api.js';
import type { ThreadGroup } from '../thread-group.js';
import { AnonInode } from './anon-fs.js';

export class PidFd extends AnonInode {
  constructor(
    readonly group: ThreadGroup,
    owner: Credentials,
  ) {
    super(owner);
  }

  open(): FileImpl {
    return {
      seekable: false,
      read: () => fail(E.EINVAL),
      write: () => fail(E.EINVAL),
      readiness: (mask) => this.readiness() & (mask | POLL.ERR | POLL.HUP),
      subscribe: (mask, callback) => this.group.endEvents.subscribe(mask | POLL.HUP, callback),
    };
  }

  private readiness(): number {
    if (this.group.reaped) return POLL.IN | POLL.RDNORM | POLL.HUP;
    return this.group.zombie ? POLL.IN | POLL.RDNORM : 0;
  }
}

/** The process a pidfd names; undefined for any other file. */
export function pidfdGroup(file: FileDescription): ThreadGroup | undefined {
  return file.inode instanceof PidFd ? file.inode.group : undefined;
}

/** A new pidfd of group, O_RDWR (and O_NONBLOCK when nonblock asks), as pidfd_open and CLONE_PIDFD make it. */
export function openPidfd(vfs: Vfs, ctx: FsContext, group: ThreadGroup, nonblock: boolean): FileDescription {
  return vfs.openAnonymous(new PidFd(group, ctx.creds), 'anon_inode:[pidfd]', O.RDWR | (nonblock ? O.NONBLOCK : 0), ctx);
}
