// HostSignals on the ptrace platform: masks from /proc (any thread) or ptrace (a stopped
// one), signals raised with tgkill and kill.

import type { Tracer } from '../../../native/ptrace.js';
import { deliverableSignals, hostBlockedSignals } from '../host/pending-signals.js';
import type { HostSignals } from '../host-signals.js';

export function ptraceHostSignals(tracer: Tracer): HostSignals {
  return {
    blocked: hostBlockedSignals,
    stoppedMask: (hostTid) => tracer.sigmask(hostTid),
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
