// A container's sentry as the OCI lifecycle drives it: the sandbox of a bundle, held at
// its start gate, its control socket, its terminal and the signal proxy. The detached
// sentry of `create` and the foreground `run` are both this; they differ in who waits.

import { isSysError } from '../../abi/errno.js';
import { StartGate } from '../../sentry/kernel/start-gate.js';
import { formatSyscall } from '../../syscalls/linux/strace.js';
import { linuxX86_64Table } from '../../syscalls/linux/table.js';
import type { Bundle } from '../bundle.js';
import { listenControl } from '../control/server.js';
import { TsscError } from '../errors.js';
import type { NetworkRequest } from '../network.js';
import { openConsole } from './console.js';
import { exitCodeOf } from './exit-code.js';
import { createSandbox, terminalRelayOf, type AnySandbox } from './linux-sandbox.js';
import { SandboxControl } from './sandbox-control.js';
import { forwardSignals } from './signal-proxy.js';

export interface SentryRequest {
  bundle: Bundle;
  /** Where the control socket goes (ROOT/ID.tssc-sock). */
  controlSocket: string;
  /** With process.terminal: where the pty master goes; without it, stdio is the caller's (a tty). */
  consoleSocket?: string;
  /** This process's fds that become the init's fds 3, 4, ... (--preserve-fds). */
  preservedFds?: readonly number[];
  overlay?: 'memory' | 'none';
  /** --network and -p as given. */
  network?: NetworkRequest;
  /** Every trapped syscall, formatted as strace prints it (runsc --strace). */
  strace?: (line: string) => void;
  /** Messages of the sandbox for its operator (a wasm trap). */
  warn: (message: string) => void;
  /** The runtime log (--log): the sentry's internal errors go there too (stderr always). */
  log?: (message: string) => void;
}

export interface LaunchedSentry {
  sandbox: AnySandbox;
  gate: StartGate;
  /** tssc's exit code once the sandbox is gone: init's, or 128 + the signal that ended it. */
  exit: Promise<number>;
}

/** The period of the timer that keeps a sentry alive until its sandbox ends (it does nothing). */
const KEEP_ALIVE_MS = 1 << 30;

/** The init's stdio: the caller's fds 0-2, or the slave of a new terminal (see checkTerminalOptions). */
function stdioOf(request: SentryRequest): number[] {
  if (request.consoleSocket === undefined) return [0, 1, 2];
  const { slaveFd } = openConsole(request.consoleSocket);
  return [slaveFd, slaveFd, slaveFd];
}

/**
 * Starts the container's sandbox and resolves once its init is held at the start gate,
 * having run no instruction of its own (or rejects with why it cannot start).
 */
export async function launchSentry(request: SentryRequest): Promise<LaunchedSentry> {
  const { bundle, strace } = request;
  const gate = new StartGate();
  const sandbox = createSandbox(bundle, {
    stdioFds: stdioOf(request),
    ...(request.preservedFds && { preservedFds: request.preservedFds }),
    startGate: gate,
    onTrap: (pid, reason) => request.warn(`pid ${pid}: ${reason}`),
    ...(request.log ? { onInternalError: request.log } : {}),
    ...(request.overlay ? { overlay: request.overlay } : {}),
    ...(request.network ? { network: request.network } : {}),
    ...(strace
      ? {
          observer: {
            syscall: (task, nr, args, result) => strace(formatSyscall(linuxX86_64Table, task, nr, args, result)),
            exit: (task, status) => strace(`[${String(task.pid).padStart(4)}:${String(task.tid).padStart(4)}] exited: status ${exitCodeOf(status)}`),
          },
        }
      : {}),
  });
  const control = new SandboxControl(sandbox, gate);
  const server = await listenControl(request.controlSocket, (message, fds) => control.handle(message, fds));
  const stopForwarding = forwardSignals(sandbox);
  // The control socket does not hold the process open, and a wasm init held at the start
  // gate has no worker yet: nothing else would keep a created container's sentry alive.
  const alive = setInterval(() => undefined, KEEP_ALIVE_MS);
  const ended = async (): Promise<void> => {
    clearInterval(alive);
    stopForwarding();
    sandbox.kernel.net.close();
    await terminalRelayOf(sandbox)?.finish();
    return server.close();
  };
  let status: Promise<number>;
  try {
    status = sandbox.run();
  } catch (error) {
    await ended();
    throw initError(bundle, error);
  }
  // Settles once the control channel has sent its last answers.
  const exit = status.then(
    async (raw) => {
      await ended();
      return exitCodeOf(raw);
    },
    async (error: unknown) => {
      await ended();
      throw initError(bundle, error);
    },
  );
  const first = await Promise.race([gate.reached.then(() => 'held' as const), exit]);
  if (first !== 'held') throw new TsscError(`the container's init ended before it started: exit status ${first}`);
  return { sandbox, gate, exit };
}

/** The init program itself could not start (ENOENT, EACCES, ENOEXEC ...). */
function initError(bundle: Bundle, error: unknown): unknown {
  return isSysError(error) ? new TsscError(`${bundle.spec.process.args[0]}: ${error.message}`) : error;
}
