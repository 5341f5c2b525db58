// The signal side of calls that only the host kernel can finish as Linux does, because
// the signal mask and the pending signals of a task live there:
// - ppoll, pselect6 and epoll_pwait(2) put their sigmask argument in force for the wait
//   only. The sentry waits; while it does, the task's temporary mask is kept here and the
//   sentry's signal delivery asks this one instead of the host's. A signal that ends the
//   wait must then be handled under that mask and the old mask come back after the
//   handler (the kernel's saved_sigmask): only a real host call with a mask argument does
//   that.
// - sigtimedwait takes a pending signal from the host's queue; the siginfo it hands back
//   must show the sandbox's pids.
// The ptrace sandbox provides these through ProcessControl.hostSignalCalls (it alone can
// rewrite a stopped task's call); without them a masked wait ends with a plain EINTR.

import type { SyscallArgs, SyscallResult, SyscallTask, HostCall } from './syscall.js';

export interface HostSignalCalls {
  /**
   * Ends task's interrupted masked wait: the host kernel handles the pending signal with
   * mask in force and restores the task's own mask after the handler; the call answers
   * EINTR, or is made again after a stop, as Linux's ERESTARTNOHAND.
   */
  interruptUnderMask(task: SyscallTask, mask: bigint): HostCall;
  /** rt_sigtimedwait(args) by the host kernel, its siginfo as the sandbox sees it. */
  sigtimedwait(task: SyscallTask, args: SyscallArgs): HostCall;
  /**
   * The task's call becomes a host rt_sigtimedwait that takes one pending signal of set
   * (waiting for one when block, else -EAGAIN); the call answers what taken makes of its
   * siginfo, as the sandbox sees it (a signalfd read).
   */
  takeSignal(task: SyscallTask, set: bigint, block: boolean, taken: (info: Buffer, sig: number) => SyscallResult): HostCall;
}

const temporaryMasks = new WeakMap<object, bigint>();

/** Runs wait with mask as task's signal mask as far as the sentry's delivery is concerned. */
export async function withTemporaryMask<T>(task: SyscallTask, mask: bigint, wait: () => Promise<T>): Promise<T> {
  temporaryMasks.set(task, mask);
  try {
    return await wait();
  } finally {
    temporaryMasks.delete(task);
  }
}

/** The mask a task waits under, if a masked wait set one. */
export function temporaryMask(task: object): bigint | undefined {
  return temporaryMasks.get(task);
}

/** The signals tasks wait for in a host sigtimedwait (Linux's real_blocked keeps them blocked). */
const awaitedSignals = new WeakMap<object, bigint>();

export function setAwaitedSignals(task: object, set: bigint | undefined): void {
  if (set === undefined) awaitedSignals.delete(task);
  else awaitedSignals.set(task, set);
}

/**
 * Whether task holds sig back: blocked (by its temporary mask during a masked wait), or
 * awaited by a sigtimedwait. Linux never discards such a signal, not even for a pid
 * namespace's init without a handler: it may be handled or taken later.
 */
export function holdsSignal(task: object, hostMask: bigint, sig: number): boolean {
  const held = (temporaryMasks.get(task) ?? hostMask) | (awaitedSignals.get(task) ?? 0n);
  return ((held >> BigInt(sig - 1)) & 1n) === 1n;
}
