// Entry point of a wasm worker thread: instantiates the module with the preview1 imports
// and runs its _start. Exit, traps and every sentry call go back to the main thread.

import { workerData } from 'node:worker_threads';
import { CallBuffer, CallClient, type WorkerMessage } from '../../sentry/wasm/channel.js';
import type { WasmWorkerData } from '../../sentry/wasm/worker-data.js';
import { GuestMemory } from './guest-memory.js';
import { preview1Imports } from './imports.js';
import { signalOfTrap } from './traps.js';

const data = workerData as WasmWorkerData;
const client = new CallClient(new CallBuffer(data.shared), data.port);
const memory = new GuestMemory();
const imports = preview1Imports({
  client,
  memory,
  argv: data.argv,
  envp: data.envp,
  realtimeOffsetNs: data.realtimeOffsetNs,
  monotonicOffsetNs: data.monotonicOffsetNs,
});

const post = (message: WorkerMessage): void => data.port.postMessage(message);

try {
  const instance = await WebAssembly.instantiate(data.module, { wasi_snapshot_preview1: imports });
  // validate() in the WASI table checked both exports before the worker started.
  memory.attach(instance.exports['memory'] as WebAssembly.Memory);
  (instance.exports['_start'] as () => void)();
  post({ kind: 'returned' });
} catch (error) {
  const { signal, reason } = signalOfTrap(error);
  post({ kind: 'trapped', signal, reason });
}
