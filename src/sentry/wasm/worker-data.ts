// What the sentry hands a wasm worker when it starts it (structured-cloned workerData).

import type { MessagePort } from 'node:worker_threads';

export interface WasmWorkerData {
  readonly module: WebAssembly.Module;
  readonly argv: readonly string[];
  readonly envp: readonly string[];
  /** The call channel's buffer (see channel.ts) and the port that wakes the sentry. */
  readonly shared: SharedArrayBuffer;
  readonly port: MessagePort;
  /**
   * The sandbox clocks as offsets from the host's monotonic clock (process.hrtime), which
   * the worker reads itself: a clock read costs no round trip to the sentry.
   */
  readonly realtimeOffsetNs: bigint;
  readonly monotonicOffsetNs: bigint;
}
