// The signals pending for a task as a signalfd sees them: what the host holds pending for
// its thread and its process, and a wait that ends when one may have come (the sentry
// sent one, or the host raised one itself: an alarm, a timer, SIGXCPU).

import type { Unsubscribe } from '../../waiter/index.js';
import { pendingSignals } from '../platform/host/pending-signals.js';
import type { Task } from './task.js';

/** How often a wait looks for signals the host raised on its own. */
const HOST_RAISED_POLL_MS = 20;

export interface PendingSignalSource {
  /** Pending signals, bit sig-1 for signal sig. */
  pending(): bigint;
  /** Calls back when a signal may have become pending, until unsubscribed. */
  subscribe(callback: () => void): Unsubscribe;
}

export function pendingSignalSource(task: Task): PendingSignalSource {
  return {
    pending: () => (task.exited ? 0n : pendingSignals(task.hostTid)),
    subscribe: (callback) => {
      const unsubscribe = task.group.signalsSent.subscribe(1, () => callback());
      const poll = setInterval(callback, HOST_RAISED_POLL_MS);
      poll.unref();
      return () => {
        unsubscribe();
        clearInterval(poll);
      };
    },
  };
}
