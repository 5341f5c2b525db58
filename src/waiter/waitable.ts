// What a file that can make a task wait offers the sentry (gVisor's waiter.Waitable).

/** Undoes a WaitQueue.subscribe. */
export type Unsubscribe = () => void;

/**
 * Callbacks waiting for readiness events. A file that would block throws EAGAIN; the
 * sentry subscribes for the events it needs and retries the syscall when called back.
 * Implemented with a WaitQueue (queue.ts).
 */
export interface Waitable {
  /** The subset of mask that is ready now (POLLERR/POLLHUP are always reported). */
  readiness(mask: number): number;
  /** Calls back (once per notify that intersects mask) until unsubscribed. */
  subscribe(mask: number, callback: (events: number) => void): Unsubscribe;
}
