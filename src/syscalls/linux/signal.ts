// Signal syscalls. Delivery is the host kernel's (the tasks are real processes); the
// sentry translates pids, checks permissions, mirrors dispositions, and ends blocking
// waits a signal interrupts.

import { E, fail } from '../../abi/errno.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallTask } from '../../sentry/syscall.js';
import { int32, pointer, size } from './decode.js';

const SIGKILL = 9;
const SIGSTOP = 19;
const SIGSET_SIZE = 8n;

function kill(task: SyscallTask, args: SyscallArgs): number {
  task.process.kill(int32(args[0]), int32(args[1]));
  return 0;
}

function tkill(task: SyscallTask, args: SyscallArgs): number {
  task.process.tgkill(-1, int32(args[0]), int32(args[1]));
  return 0;
}

function tgkill(task: SyscallTask, args: SyscallArgs): number {
  task.process.tgkill(int32(args[0]), int32(args[1]), int32(args[2]));
  return 0;
}

/**
 * rt_sigaction: the sentry records the new disposition (it decides EINTR and restarts
 * from it) and the host kernel installs it.
 */
function rt_sigaction(task: SyscallTask, args: SyscallArgs): number | typeof RUN_ON_HOST {
  const sig = int32(args[0]);
  const act = pointer(args[1]);
  if (size(args[3]) !== SIGSET_SIZE) fail(E.EINVAL);
  if (sig < 1 || sig > 64) fail(E.EINVAL);
  if (act !== 0n) {
    if (sig === SIGKILL || sig === SIGSTOP) fail(E.EINVAL);
    // struct kernel_sigaction: handler, flags, restorer, mask.
    const raw = task.mem.read(act, 32);
    task.process.setDisposition(sig, { handler: raw.readBigUInt64LE(0), flags: Number(raw.readBigUInt64LE(8) & 0xffffffffn) });
  }
  return RUN_ON_HOST;
}

/** rt_sigqueueinfo and friends would carry a forged siginfo with host pids: refused. */
function rt_sigqueueinfo(): number {
  return -E.EPERM;
}

export const signalSyscalls = {
  kill,
  tkill,
  tgkill,
  rt_sigaction,
  rt_sigqueueinfo,
  rt_tgsigqueueinfo: rt_sigqueueinfo,
} satisfies Record<string, SyscallHandler>;
