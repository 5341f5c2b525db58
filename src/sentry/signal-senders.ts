// Virtual pids in the siginfo of the signals the sentry sends. The host kernel fills
// si_pid and si_uid with the sentry's own host pid and uid for every kill/tgkill it makes;
// the sentry remembers who asked (a task of the sandbox, a child whose state changed for
// SIGCHLD, or the outside: pid 0, as for a sender outside the pid namespace) and puts that
// in at the tracee's signal-delivery-stop, as gVisor's kernel fills siginfo itself.

import type { Tracer } from '../native/ptrace.js';
import type { ThreadGroup } from './thread-group.js';

export interface SignalSender {
  readonly pid: number;
  readonly uid: number;
  /** For SIGCHLD: si_code (CLD_*) and si_status of the child's change. */
  readonly child?: { readonly code: number; readonly status: number };
}

export const OUTSIDE_SENDER: SignalSender = { pid: 0, uid: 0 };

const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, STOPPED: 5, CONTINUED: 6 } as const;
const SIGCONT = 18;
const SI_USER = 0;
const SI_TKILL = -6;
const SIGINFO_SIZE = 128;
const OFFSET = { code: 8, pid: 16, uid: 20, status: 24 } as const;

/** A raw wait status as SIGCHLD's and waitid's si_code and si_status. */
export function childStateCode(status: number): { code: number; status: number } {
  if (status === 0xffff) return { code: CLD.CONTINUED, status: SIGCONT };
  if ((status & 0xff) === 0x7f) return { code: CLD.STOPPED, status: (status >> 8) & 0xff };
  const sig = status & 0x7f;
  if (sig === 0) return { code: CLD.EXITED, status: (status >> 8) & 0xff };
  return { code: (status & 0x80) !== 0 ? CLD.DUMPED : CLD.KILLED, status: sig };
}

/** Standard signals do not queue: the last sender of each pending signal is the one to show. */
const senders = new WeakMap<ThreadGroup, Map<number, SignalSender>>();

export function recordSender(target: ThreadGroup, sig: number, sender: SignalSender): void {
  let bySignal = senders.get(target);
  if (!bySignal) {
    bySignal = new Map();
    senders.set(target, bySignal);
  }
  bySignal.set(sig, sender);
}

/**
 * At a signal-delivery-stop of hostTid for sig: a signal the sentry sent (si_pid is the
 * sentry's, si_code SI_USER or SI_TKILL) gets its virtual sender.
 */
export function showVirtualSender(tracer: Tracer, hostTid: number, group: ThreadGroup, sig: number): void {
  const info = Buffer.alloc(SIGINFO_SIZE);
  if (tracer.siginfo(hostTid, info, false) !== 0) return;
  const code = info.readInt32LE(OFFSET.code);
  if (info.readInt32LE(OFFSET.pid) !== process.pid || (code !== SI_USER && code !== SI_TKILL)) return;
  const bySignal = senders.get(group);
  const sender = bySignal?.get(sig) ?? OUTSIDE_SENDER;
  bySignal?.delete(sig);
  info.writeInt32LE(sender.pid, OFFSET.pid);
  info.writeInt32LE(sender.uid, OFFSET.uid);
  if (sender.child) {
    info.writeInt32LE(sender.child.code, OFFSET.code);
    info.writeInt32LE(sender.child.status, OFFSET.status);
  }
  tracer.siginfo(hostTid, info, true);
}
