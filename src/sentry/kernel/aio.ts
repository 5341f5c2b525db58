// Linux AIO contexts (fs/aio.c's kioctx) of one process. A context's completion ring lives
// in the process's own memory, laid out as Linux lays struct aio_ring out (libaio reads
// it there): the sentry writes each completion at the ring's tail and takes events from
// the head the process may have moved itself. The sentry keeps only the tail, the sizes
// and the waiters. A context goes with its process's address space: exec and exit end it,
// and a fork's child has none, as on Linux.

import { E, fail } from '../../abi/errno.js';
import { WaitQueue } from '../../waiter/index.js';

export class AioContext {
  /** Where the next completion goes (the ring's tail is the sentry's). */
  tail = 0;
  /** Told of each completion: io_getevents waiters look again. */
  readonly completions = new WaitQueue();

  constructor(
    /** aio_context_t: the ring's address in the process. */
    readonly id: bigint,
    /** What io_setup asked for, counted against aio-max-nr. */
    readonly maxReqs: number,
    /** The ring's slots (ring->nr). */
    readonly slots: number,
    /** The ring mapping's length. */
    readonly ringBytes: bigint,
  ) {}
}

export class AioContexts {
  private readonly byId = new Map<bigint, AioContext>();

  /** execs: the process's exec count when they were made (a later exec ends them). */
  constructor(readonly execs: number) {}

  add(context: AioContext): void {
    this.byId.set(context.id, context);
  }

  /** lookup_ioctx: EINVAL for an id that names no context of this process. */
  get(id: bigint): AioContext {
    const context = this.byId.get(id);
    if (!context) fail(E.EINVAL);
    return context;
  }

  /** Whether context is still one of them (io_destroy ends it). */
  has(context: AioContext): boolean {
    return this.byId.get(context.id) === context;
  }

  remove(context: AioContext): void {
    this.byId.delete(context.id);
  }

  /** Requests reserved by all contexts (aio-nr's share of this process). */
  get maxReqs(): number {
    let total = 0;
    for (const context of this.byId.values()) total += context.maxReqs;
    return total;
  }
}
