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

export interface CreateRequest {
  id: string;
  bundleDir: string;
  store: ContainerStore;
  pidFile?: string;
  consoleSocket?: string;
  /** The command line that starts this tssc as the container's sentry (program first). */
  sentryCommand: readonly string[];
}

/** What the sentry reports on fd 3 once its init is held (or why it cannot be). */
export type SentryReadiness = { ok: true } | { ok: false; error: string };

/** The fd of the sentry on which it reports readiness. */
export const READY_FD = 3;

/** How long a sentry may take to hold its init (loading a large program, a busy machine). */
const READY_TIMEOUT_MS = 60_000;

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
  const stdio: StdioOptions = request.consoleSocket === undefined ? ['inherit', 'inherit', 'inherit', 'pipe'] : ['ignore', 'ignore', 'ignore', 'pipe'];
  let sentry: ChildProcess | undefined;
  try {
    const started = spawn(request.sentryCommand[0]!, request.sentryCommand.slice(1), { detached: true, cwd: '/', stdio });
    sentry = started;
    await readiness(started);
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

/** Waits for the sentry's report on fd 3; a sentry that dies first failed to create. */
function readiness(sentry: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const channel = sentry.stdio[READY_FD] as Readable;
    let text = '';
    let ended: string | undefined;
    let closed = false;
    const timer = setTimeout(() => settle(new TsscError(`the sentry did not hold the container's init within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      channel.removeAllListeners('data');
      channel.removeAllListeners('close');
      sentry.removeAllListeners('exit');
      if (error) reject(error);
      else resolve();
    };
    // The report may still be in the pipe when the exit is seen: wait for both.
    const maybeDead = (): void => {
      if (ended !== undefined && closed) settle(new TsscError(`the sentry exited before the container was created (${ended})`));
    };
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      const report = parseReadiness(text.slice(0, end));
      settle(report.ok ? undefined : new TsscError(report.error));
    });
    channel.on('error', () => undefined);
    channel.on('close', () => {
      closed = true;
      maybeDead();
    });
    sentry.on('exit', (code, signal) => {
      ended = signal ?? `exit status ${code}`;
      maybeDead();
    });
    sentry.on('error', (error) => settle(new TsscError(`cannot start the sentry: ${error.message}`)));
  });
}

function parseReadiness(line: string): SentryReadiness {
  try {
    const report = JSON.parse(line) as SentryReadiness;
    if (report.ok === true || (report.ok === false && typeof report.error === 'string')) return report;
  } catch {
    // Reported below.
  }
  return { ok: false, error: `the sentry sent a malformed report: ${line.slice(0, 200)}` };
}
