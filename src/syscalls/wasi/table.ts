// The preview1 table the sentry runs wasm processes with: validation of a module's
// imports, per-process WASI state (the `/` preopen on fd 3, rights), and the dispatch of
// worker calls to the fd, path, poll and process handlers.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';
import type { WasmCallHandler, WasmProcessControl, WasmSyscallTable } from '../../sentry/wasm/process.js';
import { buildOutputUrl } from '../../native/build-output.js';
import { PREVIEW1_FUNCTIONS, WasiErrno } from './abi.js';
import type { WasiCallContext, WasiHandler } from './call-context.js';
import { wasiErrnoOfThrown } from './errno.js';
import { fdCalls } from './fd-calls.js';
import { pathCalls } from './path-calls.js';
import { pollCalls } from './poll-calls.js';
import { processCalls } from './process-calls.js';
import { socketCalls } from './socket-calls.js';
import { WasiFds } from './wasi-fds.js';

/** preview1 has no cwd: every relative path starts at the one preopen, the sandbox root. */
export const PREOPEN_FD = 3;
export const PREOPEN_NAME = '/';

const handlers: Record<string, WasiHandler> = { ...fdCalls, ...pathCalls, ...pollCalls, ...processCalls, ...socketCalls };

/** Puts the sandbox root at fd 3; an fd 3 the process inherited moves to the lowest free fd. */
function preopenRoot(task: SyscallTask, fds: WasiFds): void {
  const root = task.kernel.vfs.open(task.fs, undefined, PREOPEN_NAME, O.RDONLY | O.DIRECTORY, 0);
  if (task.fds.entry(PREOPEN_FD)) {
    task.fds.dup(PREOPEN_FD, { minFd: PREOPEN_FD + 1 });
    task.fds.close(PREOPEN_FD);
  }
  task.fds.installAt(PREOPEN_FD, root);
  fds.addPreopen(PREOPEN_FD, PREOPEN_NAME);
}

export const wasiPreview1Table: WasmSyscallTable = {
  workerUrl: buildOutputUrl('syscalls/wasi/worker-main.js'),

  validate(module: WebAssembly.Module): void {
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (from !== 'wasi_snapshot_preview1' || kind !== 'function' || !PREVIEW1_FUNCTIONS.has(name)) {
        fail(E.ENOEXEC, `wasm import ${from}.${name} (${kind}) is not provided`);
      }
    }
    const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
    if (exports.get('_start') !== 'function') fail(E.ENOEXEC, 'wasm module exports no _start (not a WASI command)');
    if (exports.get('memory') !== 'memory') fail(E.ENOEXEC, 'wasm module exports no memory');
  },

  attach(task: SyscallTask, control: WasmProcessControl): WasmCallHandler {
    const fds = new WasiFds(task.fds);
    preopenRoot(task, fds);
    return (op, args, buffer) => {
      const handler = handlers[op];
      if (!handler) return WasiErrno.NOSYS;
      const ctx: WasiCallContext = { task, fds, buffer, control };
      try {
        const result = handler(ctx, args);
        return typeof result === 'number' ? result : result.catch(wasiErrnoOfThrown);
      } catch (thrown) {
        return wasiErrnoOfThrown(thrown);
      }
    };
  },
};
