// Signals the host kernel raises itself (setitimer/alarm/timer_create run on the host,
// SIGXCPU, ...) reach a task that the sentry holds in a ptrace stop during a blocking
// call without anyone being told: the kernel only queues them. While tasks wait, the
// sentry looks at what is pending for them in /proc/TID/status, and at what they block.

import { readHostProc, signalSetField, statusField } from './host-proc.js';

/** The signals pending for host thread tid, its own and its process's (0 when it is gone). */
export function pendingSignals(tid: number): bigint {
  const status = readHostProc(`${tid}/status`);
  return status === undefined ? 0n : signalSetField(status, 'SigPnd') | signalSetField(status, 'ShdPnd');
}

/**
 * The signals pending for host thread tid and not blocked by it (by blocked instead, when
 * it waits under a temporary mask), lowest first; empty when the thread is gone.
 */
export function deliverableSignals(tid: number, blocked?: bigint): number[] {
  const status = readHostProc(`${tid}/status`);
  if (status === undefined) return [];
  const pending = (signalSetField(status, 'SigPnd') | signalSetField(status, 'ShdPnd')) & ~(blocked ?? signalSetField(status, 'SigBlk'));
  const signals: number[] = [];
  for (let sig = 1; sig <= 64; sig++) {
    if ((pending >> BigInt(sig - 1)) & 1n) signals.push(sig);
  }
  return signals;
}

/**
 * The signals a host thread blocks, from /proc (it answers for running and stopped threads
 * alike; ptrace's GETSIGMASK only for stopped ones); undefined for a thread that can take
 * no signal any more (gone, or a leader that ended with exit(2) while its threads run).
 */
export function hostBlockedSignals(hostTid: number): bigint | undefined {
  const status = readHostProc(`${hostTid}/status`);
  if (status === undefined || /^[ZX]/.test(statusField(status, 'State') ?? '')) return undefined;
  return signalSetField(status, 'SigBlk');
}
