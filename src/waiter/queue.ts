// gVisor's waiter.Queue: the callbacks waiting on a file's readiness events.

import type { Unsubscribe } from './waitable.js';

interface Waiter {
  mask: number;
  callback: (events: number) => void;
}

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();

  subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    const waiter = { mask, callback };
    this.waiters.add(waiter);
    return () => {
      this.waiters.delete(waiter);
    };
  }

  /** Calls every waiter whose mask intersects events (a copy: callbacks may unsubscribe). */
  notify(events: number): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.mask & events) waiter.callback(waiter.mask & events);
    }
  }

  /** Every event some waiter asks for (a host fd watches for these alone). */
  get mask(): number {
    let mask = 0;
    for (const waiter of this.waiters) mask |= waiter.mask;
    return mask;
  }

  get empty(): boolean {
    return this.waiters.size === 0;
  }
}
