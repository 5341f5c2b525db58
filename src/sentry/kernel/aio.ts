// Linux AIO contexts (fs/aio.c's kioctx) of one process. A context's completion ring lives
// in the process's own memory, laid out as Linux lays struct aio_ring out (libaio reads
// it there): the sentry writes each completion at the ring's tail and takes events from
// the head the process may have moved itself. The sentry keeps only the tail, the sizes
// and the waiters. A context goes with its process's address space: exec and exit end it,
// and a fork's child has none, as on Linux. IOCB_CMD_POLL requests wait in their context
// until their file is ready or io_cancel, io_destroy, an exec or the exit ends them.

import { E, fail } from '../../abi/errno.js';
import { WaitQueue } from '../../waiter/index.js';

export class AioContext {
  /** Where the next completion goes (the ring's tail is the sentry's). */
  tail = 0;
  /** Told of each completion: io_getevents waiters look again. */
  readonly completions = new WaitQueue();
  /** IOCB_CMD_POLL requests not complete yet, in submission order. */
  private readonly polls: PendingPoll[] = [];

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

  /** How many polls wait: each will take a slot of the ring. */
  get pendingPolls(): number {
    return this.polls.length;
  }

  addPoll(poll: PendingPoll): void {
    this.polls.push(poll);
  }

  /** The first pending poll of the iocb at iocbAddr, no longer pending (io_cancel's lookup). */
  takePoll(iocbAddr: bigint): PendingPoll | undefined {
    const at = this.polls.findIndex((poll) => poll.iocbAddr === iocbAddr);
    return at < 0 ? undefined : this.polls.splice(at, 1)[0];
  }

  /** A poll that completed on its own leaves the list. */
  dropPoll(poll: PendingPoll): void {
    const at = this.polls.indexOf(poll);
    if (at >= 0) this.polls.splice(at, 1);
  }

  /** Ends every pending poll with no event (io_destroy; the address space's exec or exit). */
  endPolls(): void {
    for (const poll of this.polls.splice(0)) poll.end(false);
  }
}

/** An IOCB_CMD_POLL waiting for its file. */
export interface PendingPoll {
  readonly iocbAddr: bigint;
  /** Stops waiting; with an event (res 0: io_cancel) or none (the context is going). */
  end(withEvent: boolean): void;
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

  /** The address space is going (exec, exit): no poll of its contexts completes any more. */
  endPolls(): void {
    for (const context of this.byId.values()) context.endPolls();
  }

  /** Requests reserved by all contexts (aio-nr's share of this process). */
  get maxReqs(): number {
    let total = 0;
    for (const context of this.byId.values()) total += context.maxReqs;
    return total;
  }
}
