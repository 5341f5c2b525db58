// The sigmask argument of ppoll, pselect6 and epoll_pwait(2): the mask is in force only
// while the call waits; a signal it lets through ends the wait with EINTR and is handled
// under it, and the caller's own mask is back afterwards, after the handler too (the
// pselect pattern: block SIGCHLD, pselect with it unblocked). See sentry/masked-waits.ts.

import { E, SysError, fail } from '../../abi/errno.js';
import { SIGSET_SIZE } from '../../abi/linux-signal.js';
import { withTemporaryMask } from '../../sentry/kernel/masked-waits.js';
import type { SyscallTask, HostCall } from '../../sentry/kernel/syscall.js';

/** SIGKILL and SIGSTOP: no mask blocks them (sigdelsetmask in set_user_sigmask). */
const UNBLOCKABLE = (1n << 8n) | (1n << 18n);

/** The mask at addr (sigsetsize must be 8, as Linux's); undefined for NULL: the task's own stays. */
export function readSigmask(task: SyscallTask, addr: bigint, sigsetsize: bigint): bigint | undefined {
  if (addr === 0n) return undefined;
  if (sigsetsize !== SIGSET_SIZE) fail(E.EINVAL);
  return task.mem.read(addr, Number(SIGSET_SIZE)).readBigUInt64LE() & ~UNBLOCKABLE;
}

/** pselect6's sixth argument: a pointer to { const sigset_t *ss; size_t ss_len }. */
export function readPselectSigmask(task: SyscallTask, argAddr: bigint): bigint | undefined {
  if (argAddr === 0n) return undefined;
  const pack = task.mem.read(argAddr, 16);
  return readSigmask(task, pack.readBigUInt64LE(0), pack.readBigUInt64LE(8));
}

/**
 * Runs wait (which fails with EINTR when a signal ends it) under mask. An interrupted
 * wait is finished by the host kernel so that the signal is handled under mask.
 */
export async function waitUnderSigmask(task: SyscallTask, mask: bigint | undefined, wait: () => Promise<number>): Promise<number | HostCall> {
  if (mask === undefined) return wait();
  try {
    return await withTemporaryMask(task, mask, wait);
  } catch (e) {
    const calls = task.process.hostSignalCalls;
    if (!(e instanceof SysError) || e.errno !== E.EINTR || !calls) throw e;
    return calls.interruptUnderMask(task, mask);
  }
}
