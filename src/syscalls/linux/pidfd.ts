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
  if (flags & ~(PIDFD.NONBLOCK | PIDFD.THREAD)) return -E.EINVAL;
  const file = task.process.openPidfd(pid, (flags & PIDFD.NONBLOCK) !== 0, (flags & PIDFD.THREAD) !== 0);
  return task.fds.install(file, { cloexec: true, limit: fdLimit(task) });
}

/**
 * pidfd_send_signal(pidfd, sig, info, flags): to the thread a PIDFD_THREAD pidfd names,
 * or the process another names, unless flags pick the scope: the thread (a process's
 * pidfd: its leader), its thread group, or the process group whose id is the pidfd's pid.
 */
function pidfd_send_signal(task: SyscallTask, args: SyscallArgs): number {
  const sig = int32(args[1]);
  const infoAddr = pointer(args[2]);
  const flags = uint32(args[3]);
  const known = PIDFD_SIGNAL.THREAD | PIDFD_SIGNAL.THREAD_GROUP | PIDFD_SIGNAL.PROCESS_GROUP;
  // At most one of the three.
  if (flags & ~known || (flags & (flags - 1)) !== 0) return -E.EINVAL;
  const target = task.process.pidfdTarget(task.fds.get(int32(args[0])));
  if (target === undefined) return -E.ESRCH;
  const scope = flags !== 0 ? flags : target.thread ? PIDFD_SIGNAL.THREAD : PIDFD_SIGNAL.THREAD_GROUP;
  const send =
    scope === PIDFD_SIGNAL.PROCESS_GROUP
      ? () => task.process.kill(-target.pid, sig)
      : scope === PIDFD_SIGNAL.THREAD
        ? () => task.process.tgkill(target.tgid, target.pid, sig)
        : () => task.process.kill(target.tgid, sig);
  if (infoAddr === 0n) send();
  else sendingQueued(callerSiginfo(task, infoAddr, sig, task.process.tid === target.pid && scope !== PIDFD_SIGNAL.PROCESS_GROUP, true), send);
  return 0;
}

export const pidfdSyscalls = { pidfd_open, pidfd_send_signal } satisfies Record<string, SyscallHandler>;
