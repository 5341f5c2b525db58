// The synchronous call channel between a wasm worker and the sentry's main thread.
//
// The worker posts a request on a MessagePort (which wakes the main thread's event loop:
// no polling) and blocks in Atomics.wait on a SharedArrayBuffer. The main thread answers,
// possibly much later (a read on an empty pipe), by filling the buffer and flipping the
// state word with Atomics.store + Atomics.notify. Bulk data travels in the buffer, so a
// read or write is copied once each way; requests larger than DATA_SIZE go in chunks.

import type { MessagePort } from 'node:worker_threads';

/** Bytes of payload one call can carry each way. */
export const DATA_SIZE = 1 << 20;
/** 64-bit result values one reply can carry (a filestat needs eight). */
export const VALUE_SLOTS = 8;

const STATE = 0; // Int32 index: IDLE or REPLIED
const RESULT = 1; // Int32 index: the call's WASI errno
const IDLE = 0;
const REPLIED = 1;
const VALUES_OFFSET = 8;
const DATA_OFFSET = VALUES_OFFSET + VALUE_SLOTS * 8;

/** One argument of a call: numbers, 64-bit values, byte-string paths, or lists of them. */
export type CallArg = number | bigint | string | readonly CallArg[];

/** What a worker posts to the main thread. */
export type WorkerMessage =
  | { readonly kind: 'call'; readonly op: string; readonly args: readonly CallArg[] }
  /** The module's _start returned (exit status 0) or trapped (a fatal signal). */
  | { readonly kind: 'returned' }
  | { readonly kind: 'trapped'; readonly signal: number; readonly reason: string };

/** The views both sides use over one SharedArrayBuffer. */
export class CallBuffer {
  readonly control: Int32Array;
  readonly values: BigInt64Array;
  readonly data: Uint8Array;

  constructor(readonly shared: SharedArrayBuffer = new SharedArrayBuffer(DATA_OFFSET + DATA_SIZE)) {
    this.control = new Int32Array(shared, 0, 2);
    this.values = new BigInt64Array(shared, VALUES_OFFSET, VALUE_SLOTS);
    this.data = new Uint8Array(shared, DATA_OFFSET, DATA_SIZE);
  }
}

/** The main thread's side: publishes the answer to the waiting worker. */
export function reply(buffer: CallBuffer, errno: number): void {
  Atomics.store(buffer.control, RESULT, errno);
  Atomics.store(buffer.control, STATE, REPLIED);
  Atomics.notify(buffer.control, STATE);
}

/** The worker's side: one blocking call at a time. */
export class CallClient {
  /** Nanoseconds spent blocked on the sentry (not CPU time of the module). */
  blockedNs = 0n;

  constructor(
    readonly buffer: CallBuffer,
    private readonly port: MessagePort,
  ) {}

  /** Sends op to the sentry and blocks until it answers; returns the WASI errno. */
  call(op: string, args: readonly CallArg[]): number {
    const message: WorkerMessage = { kind: 'call', op, args };
    const started = process.hrtime.bigint();
    this.port.postMessage(message);
    while (Atomics.load(this.buffer.control, STATE) === IDLE) Atomics.wait(this.buffer.control, STATE, IDLE);
    Atomics.store(this.buffer.control, STATE, IDLE);
    this.blockedNs += process.hrtime.bigint() - started;
    return Atomics.load(this.buffer.control, RESULT);
  }
}
