// `run`: a container from a bundle, in the foreground. This tssc process is the sentry: it
// is recorded in the state dir while the container runs (pid = this process, whose exit
// status is the container's), it serves the control socket (`tssc kill`, `ps`, `state`
// reach it there), and its signal proxy sends the signals a terminal or a `kill` of tssc
// raise to the container's init. The record goes when the container has exited.

import { SIG } from '../../abi/linux-signal.js';
import { loadBundle } from '../bundle.js';
import type { NetworkRequest } from '../network.js';
import type { ContainerStore } from '../state/store.js';
import { toOciState } from '../state/record.js';
import { launchSentry, type LaunchedSentry } from './container-sentry.js';
import { checkTerminalOptions } from './create.js';
import { runHooks, runHooksLogged } from './hooks.js';
import { checkPidFile, writePidFile } from './pid-file.js';


export interface RunRequest {
  id: string;
  bundleDir: string;
  store: ContainerStore;
  /** Print each trapped syscall (runsc --strace) to this sink. */
  strace?: (line: string) => void;
  overlay?: 'memory' | 'none';
  /** --network and -p as given. */
  network?: NetworkRequest;
  pidFile?: string;
  /** With process.terminal: the pty master goes there instead of using tssc's own terminal. */
  consoleSocket?: string;
  /** tssc's fds the init gets as its fds 3, 4, ... (--preserve-fds). */
  preservedFds?: readonly number[];
  /** Messages for the operator (a failed poststart hook, a wasm trap). */
  warn: (message: string) => void;
  /** The runtime log (--log): internal errors of the sentry go there too. */
  log?: (message: string) => void;
}

/** Runs the container to its end; resolves with tssc's exit code (init's, or 128 + signal). */
export async function runContainer(request: RunRequest): Promise<number> {
  const { id, store } = request;
  const bundle = loadBundle(request.bundleDir);
  checkTerminalOptions(bundle, request.consoleSocket, false);
  if (request.pidFile !== undefined) checkPidFile(request.pidFile);
  const hooks = bundle.spec.hooks;
  const created = await store.create({
    id,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    ...(bundle.spec.annotations && { annotations: bundle.spec.annotations }),
    ...(hooks && { hooks }),
    pid: process.pid,
  });
  let launched: LaunchedSentry | undefined;
  try {
    launched = await launchSentry({
      bundle,
      controlSocket: store.files(id).socket,
      warn: request.warn,
      ...(request.log && { log: request.log }),
      ...(request.consoleSocket !== undefined && { consoleSocket: request.consoleSocket }),
      ...(request.preservedFds && { preservedFds: request.preservedFds }),
      ...(request.overlay && { overlay: request.overlay }),
      ...(request.network && { network: request.network }),
      ...(request.strace && { strace: request.strace }),
    });
    const state = toOciState(created);
    for (const phase of ['prestart', 'createRuntime', 'createContainer'] as const) runHooks(hooks, phase, state);
    await store.update(id, { status: 'created' });
    if (request.pidFile !== undefined) writePidFile(request.pidFile, process.pid);
    runHooks(hooks, 'startContainer', state);
    launched.gate.open();
    const running = await store.update(id, { status: 'running' });
    for (const failure of runHooksLogged(hooks, 'poststart', toOciState(running))) request.warn(failure);
    return await launched.exit;
  } catch (error) {
    const init = launched?.sandbox.initGroup;
    if (launched && init) {
      launched.sandbox.signalProcess(init, SIG.KILL, true);
      await launched.exit.catch(() => undefined);
    }
    throw error;
  } finally {
    // The recorded pid is this process: mark the container stopped rather than have
    // remove() kill it.
    await store.update(id, { status: 'stopped' });
    const record = await store.remove(id);
    if (launched) {
      for (const failure of runHooksLogged(hooks, 'poststop', { ...toOciState(record), pid: 0 })) request.warn(failure);
    }
  }
}
