// Signal syscalls. Delivery is the host kernel's (the tasks are real processes); the
// sentry translates pids, checks permissions, mirrors dispositions, and ends blocking
// waits a signal interrupts.

import { E, fail } from '../../abi/errno.js';
import { QUEUED_SIGINFO_SIZE, SI_CODE, SIG, SIGINFO_OFFSET, SIGINFO_SIZE, SIGSET_SIZE } from '../../abi/linux-signal.js';
import { sendingQueued } from '../../sentry/kernel/signal-senders.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallTask, type HostCall } from '../../sentry/kernel/syscall.js';
import { int32, pointer, size } from './decode.js';


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
function rt_sigaction(task: SyscallTask, args: SyscallArgs): number | HostCall {
  const sig = int32(args[0]);
  const act = pointer(args[1]);
  if (size(args[3]) !== SIGSET_SIZE) fail(E.EINVAL);
  if (sig < 1 || sig > 64) fail(E.EINVAL);
  if (act !== 0n) {
    if (sig === SIG.KILL || sig === SIG.STOP) fail(E.EINVAL);
    // struct kernel_sigaction: handler, flags, restorer, mask.
    const raw = task.mem.read(act, 32);
    task.process.setDisposition(sig, { handler: raw.readBigUInt64LE(0), flags: Number(raw.readBigUInt64LE(8) & 0xffffffffn) });
  }
  return RUN_ON_HOST;
}

/**
 * The siginfo a caller of rt_sigqueueinfo, rt_tgsigqueueinfo or pidfd_send_signal gives.
 * Linux takes it as it is, with si_signo sig (pidfd_send_signal refuses another one with
 * EINVAL: signoMustMatch), except that nobody may pretend to be the kernel or a
 * kill/tgkill (si_code >= 0 or SI_TKILL) towards anyone but itself.
 */
export function callerSiginfo(task: SyscallTask, addr: bigint, sig: number, toSelf: boolean, signoMustMatch = false): Buffer {
  const info = Buffer.alloc(SIGINFO_SIZE);
  task.mem.read(addr, QUEUED_SIGINFO_SIZE).copy(info);
  if (signoMustMatch && info.readInt32LE(SIGINFO_OFFSET.signo) !== sig) fail(E.EINVAL);
  info.writeInt32LE(sig, SIGINFO_OFFSET.signo);
  const code = info.readInt32LE(SIGINFO_OFFSET.code);
  if ((code >= 0 || code === SI_CODE.TKILL) && !toSelf) fail(E.EPERM);
  return info;
}

function rt_sigqueueinfo(task: SyscallTask, args: SyscallArgs): number {
  const tgid = int32(args[0]);
  const sig = int32(args[1]);
  const info = callerSiginfo(task, pointer(args[2]), sig, tgid === task.process.pid);
  // Process groups are not POSIX.1b's business: only one process, by its pid.
  if (tgid <= 0) return -E.ESRCH;
  sendingQueued(info, () => task.process.kill(tgid, sig));
  return 0;
}

function rt_tgsigqueueinfo(task: SyscallTask, args: SyscallArgs): number {
  const tgid = int32(args[0]);
  const tid = int32(args[1]);
  const sig = int32(args[2]);
  if (tgid <= 0 || tid <= 0) return -E.EINVAL;
  const info = callerSiginfo(task, pointer(args[3]), sig, tid === task.process.tid);
  sendingQueued(info, () => task.process.tgkill(tgid, tid, sig));
  return 0;
}

/**
 * sigtimedwait/sigwaitinfo: the host kernel takes the signal from the task's queue (its
 * timeout, EAGAIN and EINTR are Linux's own); the sentry shows the sender as the sandbox
 * sees it in the siginfo.
 */
function rt_sigtimedwait(task: SyscallTask, args: SyscallArgs): number | HostCall {
  return task.process.hostSignalCalls?.sigtimedwait(task, args) ?? -E.ENOSYS;
}

export const signalSyscalls = {
  kill,
  tkill,
  tgkill,
  rt_sigaction,
  rt_sigqueueinfo,
  rt_sigtimedwait,
  rt_tgsigqueueinfo,
} satisfies Record<string, SyscallHandler>;
