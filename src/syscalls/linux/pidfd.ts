// pidfd_open(2) and pidfd_send_signal(2): file descriptors that name a process of the
// sandbox (by its virtual pid, never a host process), signalled as kill(2) signals it.
// waitid(P_PIDFD) and CLONE_PIDFD are process.ts's and the clone path's.

import { E } from '../../abi/errno.js';
import { PIDFD, PIDFD_SIGNAL } from '../../abi/linux-pidfd.js';
import { sendingQueued } from '../../sentry/kernel/signal-senders.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { callerSiginfo } from './signal.js';
import { fdLimit } from './task-files.js';

function pidfd_open(task: SyscallTask, args: SyscallArgs): number {
  const pid = int32(args[0]);
  const flags = uint32(args[1]);
  // PIDFD_THREAD: pidfds of single threads are not the sandbox's.
  if (flags & ~PIDFD.NONBLOCK) return -E.EINVAL;
  const file = task.process.openPidfd(pid, (flags & PIDFD.NONBLOCK) !== 0);
  return task.fds.install(file, { cloexec: true, limit: fdLimit(task) });
}

function pidfd_send_signal(task: SyscallTask, args: SyscallArgs): number {
  const sig = int32(args[1]);
  const infoAddr = pointer(args[2]);
  const flags = uint32(args[3]);
  const known = PIDFD_SIGNAL.THREAD | PIDFD_SIGNAL.THREAD_GROUP | PIDFD_SIGNAL.PROCESS_GROUP;
  // At most one of the three.
  if (flags & ~known || (flags & (flags - 1)) !== 0) return -E.EINVAL;
  const pid = task.process.pidfdProcess(task.fds.get(int32(args[0])));
  if (pid === undefined) return -E.ESRCH;
  const send =
    flags === PIDFD_SIGNAL.PROCESS_GROUP
      ? () => task.process.kill(-task.process.getpgid(pid), sig)
      : flags === PIDFD_SIGNAL.THREAD
        ? () => task.process.tgkill(pid, pid, sig)
        : () => task.process.kill(pid, sig);
  if (infoAddr === 0n) send();
  else sendingQueued(callerSiginfo(task, infoAddr, sig, task.process.tid === pid && flags !== PIDFD_SIGNAL.PROCESS_GROUP, true), send);
  return 0;
}

export const pidfdSyscalls = { pidfd_open, pidfd_send_signal } satisfies Record<string, SyscallHandler>;
