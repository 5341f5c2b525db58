// Virtual pids in the siginfo of the signals the sentry sends. The host kernel fills
// si_pid and si_uid with the sentry's own host pid and uid for every kill/tgkill it makes;
// the sentry remembers who asked (a task of the sandbox, a child whose state changed for
// SIGCHLD, a rt_sigqueueinfo caller with its own siginfo, or the outside: pid 0, as for a
// sender outside the pid namespace) and puts that in, numbered in the receiver's pid
// namespace, wherever the workload reads the
// siginfo: at the tracee's signal-delivery-stop, or after a sigtimedwait took the signal,
// as gVisor's kernel fills siginfo itself.

import { QUEUED_SIGINFO_SIZE, SI_CODE, SIG, SIGINFO_OFFSET, SIGRTMIN, writeSiginfoSender, type SiginfoSender } from '../../abi/linux-signal.js';
import type { ThreadGroup } from './thread-group.js';

export interface SignalSender extends SiginfoSender {
  /**
   * For rt_sigqueueinfo/rt_tgsigqueueinfo: the siginfo the sender gave (SIGINFO_SIZE
   * bytes), shown as it is: Linux keeps the sender's si_code, si_pid, si_uid and si_value.
   */
  readonly queued?: Buffer;
}

export const OUTSIDE_SENDER: SignalSender = { pid: 0, uid: 0 };

const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;

/**
 * A raw wait status as SIGCHLD's and waitid's si_code and si_status; a ptrace-stop its
 * tracer collects (trapped) is CLD_TRAPPED with the stop's whole code (an event's
 * number, 0x80 of a syscall stop, beside the signal).
 */
export function childStateCode(status: number, trapped = false): { code: number; status: number } {
  if (trapped && (status & 0xff) === 0x7f) return { code: CLD.TRAPPED, status: (status >> 8) & 0xffff };
  if (status === 0xffff) return { code: CLD.CONTINUED, status: SIG.CONT };
  if ((status & 0xff) === 0x7f) return { code: CLD.STOPPED, status: (status >> 8) & 0xff };
  const sig = status & 0x7f;
  if (sig === 0) return { code: CLD.EXITED, status: (status >> 8) & 0xff };
  return { code: (status & 0x80) !== 0 ? CLD.DUMPED : CLD.KILLED, status: sig };
}

/**
 * A ptrace-stop as the SIGCHLD its tracer gets: CLD_STOPPED for a group-stop or another
 * PTRACE_EVENT_STOP, CLD_TRAPPED for the others, with the stop's signal as si_status.
 */
export function trapSignalCode(status: number, groupStop: boolean): { code: number; status: number } {
  return { code: groupStop ? CLD.STOPPED : CLD.TRAPPED, status: (status >> 8) & 0x7f };
}

/**
 * The senders of each group's pending signals. Standard signals do not queue: the last
 * sender of one is the one to show. Real-time signals queue one siginfo per send, taken
 * in order.
 */
const senders = new WeakMap<ThreadGroup, Map<number, SendRecord[]>>();

/**
 * The siginfo a rt_sigqueueinfo caller gave, while its send runs (see sendingQueued). One
 * for every sandbox of the Node process: a send is synchronous on the main thread, so no
 * other sandbox's send can run while it is set.
 */
let queuedInfo: Buffer | undefined;

/**
 * Runs send (a kill or tgkill through the sentry's usual paths, with their permission
 * and pid-namespace rules) so that the signal it sends carries info instead of the
 * sender's pid and uid.
 */
export function sendingQueued<T>(info: Buffer, send: () => T): T {
  queuedInfo = info;
  try {
    return send();
  } finally {
    queuedInfo = undefined;
  }
}

/** A send's record: its sender, and the host thread whose own queue it went to (undefined: the process's). */
type SendRecord = SignalSender & { readonly thread?: number };

export function recordSender(target: ThreadGroup, sig: number, sender: SignalSender, thread?: number): void {
  let bySignal = senders.get(target);
  if (!bySignal) {
    bySignal = new Map();
    senders.set(target, bySignal);
  }
  // The receiver sees the sender by its own pid namespace's number for it, taken now (the
  // sender's number may be gone by delivery: a child's SIGCHLD after its reap), 0 for a
  // sender above its namespace, as Linux shows a signal from outside.
  const record: SendRecord = { ...sender, pid: target.pidns.numberOf(sender.pid), ...(queuedInfo ? { queued: queuedInfo } : {}), thread };
  const queue = bySignal.get(sig);
  if (sig >= SIGRTMIN && queue) queue.push(record);
  else bySignal.set(sig, [record]);
}

/** The sender of the pending sig that the workload takes now (OUTSIDE_SENDER if unknown). */
function takeSender(group: ThreadGroup, sig: number): SignalSender {
  const bySignal = senders.get(group);
  const queue = bySignal?.get(sig);
  const sender = queue?.shift() ?? OUTSIDE_SENDER;
  if (queue?.length === 0) bySignal!.delete(sig);
  return sender;
}

/**
 * Rewrites info (a siginfo of sig, as the host kernel filled it) into what the sandbox
 * shows, when the sentry sent it (si_pid is the sentry's, si_code SI_USER or SI_TKILL).
 * Returns whether it changed info; a signal the sentry did not send keeps its siginfo and
 * leaves the records alone.
 */
export function showSiginfo(info: Buffer, group: ThreadGroup, sig: number): boolean {
  if (!sentBySentry(info)) return false;
  fillSender(info, group, sig, takeSender(group, sig));
  return true;
}

/**
 * Rewrites the siginfos of a queue of group's pending signals (host thread thread's own,
 * or the process's: undefined), in order as PTRACE_PEEKSIGINFO reads them from the host,
 * into what the sandbox shows, leaving the records for the deliveries to come: the n-th
 * queued send of a real-time signal to that queue is its n-th record.
 */
export function showPendingSiginfos(infos: readonly Buffer[], group: ThreadGroup, thread: number | undefined): void {
  const seen = new Map<number, number>();
  for (const info of infos) {
    if (!sentBySentry(info)) continue;
    const sig = info.readInt32LE(SIGINFO_OFFSET.signo);
    const index = seen.get(sig) ?? 0;
    seen.set(sig, index + 1);
    const records = (senders.get(group)?.get(sig) ?? []).filter((r) => sig < SIGRTMIN || r.thread === thread);
    fillSender(info, group, sig, records[sig >= SIGRTMIN ? index : 0] ?? OUTSIDE_SENDER);
  }
}

/** Whether the host filled info for a kill or tgkill of the sentry's. */
function sentBySentry(info: Buffer): boolean {
  const code = info.readInt32LE(SIGINFO_OFFSET.code);
  return info.readInt32LE(SIGINFO_OFFSET.pid) === process.pid && (code === SI_CODE.USER || code === SI_CODE.TKILL);
}

/** info as group, the receiver, sees sender. */
function fillSender(info: Buffer, group: ThreadGroup, sig: number, sender: SignalSender): void {
  if (sender.queued) {
    info.fill(0);
    sender.queued.copy(info, 0, 0, QUEUED_SIGINFO_SIZE);
    info.writeInt32LE(sig, SIGINFO_OFFSET.signo);
    return;
  }
  // si_uid as the receiver's user namespace sees the sender (userns_fixup_signal_uid).
  writeSiginfoSender(info, { ...sender, uid: group.creds.userNs.view('uid', sender.uid) });
}

/** Signals a fault raises, which the kernel forces even on a pid namespace's init. */
const FAULT_SIGNALS: ReadonlySet<number> = new Set([SIG.SEGV, SIG.BUS, SIG.ILL, SIG.FPE, SIG.TRAP, SIG.SYS]);

/**
 * At a signal-delivery-stop for sig: whether the kernel raised it for a fault of the task
 * (its si_code is the kernel's, > 0), not a kill of any sender (SI_USER, SI_TKILL,
 * SI_QUEUE are 0 or below). siginfo reads the stop's (undefined: unreadable), only for a
 * signal a fault can raise.
 */
export function isForcedFault(sig: number, siginfo: () => Buffer | undefined): boolean {
  if (!FAULT_SIGNALS.has(sig)) return false;
  const info = siginfo();
  return info !== undefined && info.readInt32LE(SIGINFO_OFFSET.code) > 0;
}

/** A pending sig of group that goes nowhere: its sender record goes with it. */
export function forgetSender(group: ThreadGroup, sig: number): void {
  takeSender(group, sig);
}
