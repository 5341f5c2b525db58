// HostSignals on the ptrace platform: masks from /proc (any thread) or ptrace (a stopped
// one), signals raised with tgkill and kill.

import type { Tracer } from '../../../native/ptrace.js';
import { deliverableSignals, hostBlockedSignals } from '../host/pending-signals.js';
import type { HostSignals } from '../host-signals.js';
import { SIGINFO_SIZE } from '../../../abi/linux-signal.js';

export function ptraceHostSignals(tracer: Tracer): HostSignals {
  return {
    blocked: hostBlockedSignals,
    stoppedMask: (hostTid) => tracer.sigmask(hostTid),
    setStoppedMask: (hostTid, mask) => tracer.setSigmask(hostTid, mask),
    queued: (hostTid, shared) => queuedSiginfos(tracer, hostTid, shared),
    raiseInThread: (hostPid, hostTid, sig) => tracer.tgkill(hostPid, hostTid, sig),
    raiseInProcess: (hostPid, sig) => {
      try {
        process.kill(hostPid, sig);
      } catch {
        // The host process is gone already: its exit is on its way to the tracer.
      }
    },
    deliverable: deliverableSignals,
  };
}

/** Siginfos read per PTRACE_PEEKSIGINFO call. */
const PEEK_BATCH = 64;

/** The whole of a stopped thread's pending queue (its length is bounded by RLIMIT_SIGPENDING). */
function queuedSiginfos(tracer: Tracer, hostTid: number, shared: boolean): Buffer[] | number {
  const infos: Buffer[] = [];
  for (;;) {
    const buf = Buffer.alloc(PEEK_BATCH * SIGINFO_SIZE);
    const n = tracer.peekSiginfo(hostTid, infos.length, shared, buf);
    if (n < 0) return n;
    for (let i = 0; i < n; i++) infos.push(buf.subarray(i * SIGINFO_SIZE, (i + 1) * SIGINFO_SIZE));
    if (n < PEEK_BATCH) return infos;
  }
}
