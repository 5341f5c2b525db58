// `create`: a detached sentry for the container, returned from once the container's init
// exists, held before its first instruction. The sentry is a tssc process of its own (its
// own session; its stdio is the container's: the fds tssc was started with, or nothing
// when a terminal goes to the console socket); its exit status is the container's, so
// the pid-file names it for the subreaper (containerd's shim, conmon) that adopts it.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { loadBundle, type Bundle } from '../bundle.js';
import { TsscError } from '../errors.js';
import type { ContainerStore } from '../state/store.js';
import { toOciState } from '../state/record.js';
import { checkConsoleSocket } from './console.js';
import { runHooks } from './hooks.js';
import { checkPidFile, writePidFile } from './pid-file.js';
import { awaitReadiness, READY_FD, type ReadinessRole } from './readiness.js';

/** What the sentry reports on its readiness fd: its init is held. */
const SENTRY_ROLE: ReadinessRole = { name: 'the sentry', goal: "hold the container's init" };

export interface CreateRequest {
  id: string;
  bundleDir: string;
  store: ContainerStore;
  pidFile?: string;
  consoleSocket?: string;
  /** The command line that starts this tssc as the container's sentry (program first). */
  sentryCommand: readonly string[];
  /** tssc's fds the init gets as its fds 3, 4, ... (--preserve-fds): the sentry's from SENTRY_PRESERVED_FD on. */
  preservedFds?: readonly number[];
}

/** Where the detached sentry has the preserved fds: after its readiness report's. */
const SENTRY_PRESERVED_FD = READY_FD + 1;

/** The detached sentry's fds that the init gets as its fds 3, 4, ... */
export function sentryPreservedFds(count: number): number[] {
  return Array.from({ length: count }, (_, i) => SENTRY_PRESERVED_FD + i);
}

/** The terminal options runc refuses together, checked before anything starts. */
export function checkTerminalOptions(bundle: Bundle, consoleSocket: string | undefined, detached: boolean): void {
  const terminal = bundle.spec.process.terminal === true;
  if (consoleSocket !== undefined) {
    if (!terminal) throw new TsscError('cannot use a console socket: process.terminal is false in config.json');
    checkConsoleSocket(consoleSocket);
  } else if (terminal && detached) {
    throw new TsscError('process.terminal is true but no --console-socket was given: a detached container needs one for its terminal');
  }
}

export async function createContainer(request: CreateRequest): Promise<number> {
  const { id, store } = request;
  const bundle = loadBundle(request.bundleDir);
  checkTerminalOptions(bundle, request.consoleSocket, true);
  if (request.pidFile !== undefined) checkPidFile(request.pidFile);
  await store.create({
    id,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    ...(bundle.spec.annotations && { annotations: bundle.spec.annotations }),
    ...(bundle.spec.hooks && { hooks: bundle.spec.hooks }),
  });
  // With a terminal, the container's stdio is the pty: the sentry must not hold tssc's own
  // (the shim reads create's output until EOF).
  const ownStdio: StdioOptions = request.consoleSocket === undefined ? ['inherit', 'inherit', 'inherit', 'pipe'] : ['ignore', 'ignore', 'ignore', 'pipe'];
  const stdio: StdioOptions = [...ownStdio, ...(request.preservedFds ?? [])];
  let sentry: ChildProcess | undefined;
  try {
    const started = spawn(request.sentryCommand[0]!, request.sentryCommand.slice(1), { detached: true, cwd: '/', stdio });
    sentry = started;
    await awaitReadiness(started, SENTRY_ROLE);
    const pid = started.pid!;
    const record = await store.update(id, { status: 'creating', pid });
    const state = toOciState(record);
    for (const phase of ['prestart', 'createRuntime', 'createContainer'] as const) runHooks(bundle.spec.hooks, phase, state);
    await store.update(id, { status: 'created' });
    if (request.pidFile !== undefined) writePidFile(request.pidFile, pid);
    (started.stdio[READY_FD] as Readable).destroy();
    started.unref();
    return pid;
  } catch (error) {
    if (sentry?.pid !== undefined && sentry.exitCode === null) sentry.kill('SIGKILL');
    await store.remove(id, { force: true });
    throw error;
  }
}
