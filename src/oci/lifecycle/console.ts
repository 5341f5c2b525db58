// process.terminal with --console-socket: a new pseudo-terminal whose slave is the
// container's stdio and whose master goes to whoever listens on the console socket
// (containerd's shim, podman's conmon), sent with SCM_RIGHTS as runc sends it: one
// message whose payload is the terminal's name. The sentry keeps only the slave.
import { closeSync, lstatSync } from 'node:fs';
import { SysError } from '../../abi/errno.js';
import { loadConsole, TTY_RELAY_PATH } from '../../native/console.js';
import { withSocketPathSync } from '../control/socket-path.js';
import { TsscError } from '../errors.js';

/** Refuses a console socket path that is not a unix socket, before anything starts. */
export function checkConsoleSocket(socketPath: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TsscError(`console socket ${socketPath}: ${code === 'ENOENT' ? 'no such file or directory' : code ?? String(error)}`);
  }
  if (!isSocket) throw new TsscError(`console socket ${socketPath} is not a unix socket`);
}

export interface ContainerConsole {
  /** The slave's fd (close-on-exec), the container's stdin, stdout and stderr. */
  slaveFd: number;
  /** /dev/pts/N on the host. */
  name: string;
}

/**
 * A new terminal, its master sent to consoleSocket and closed here. For the container's
 * own (controlling), the slave becomes the caller's controlling terminal when the caller
 * leads a session without one (the detached sentry), so the line discipline's signals (^C,
 * a resize, a hangup) reach it; an exec's never does (its hangup is not the container's).
 */
export function openConsole(consoleSocket: string, controlling = true): ContainerConsole {
  const addon = loadConsole();
  const opened = addon.openPty();
  if (typeof opened === 'number') throw new TsscError(`cannot allocate a terminal: ${new SysError(-opened).message}`);
  const [master, slave, name] = opened;
  try {
    const sent = withSocketPathSync(consoleSocket, (usable) => addon.sendConsole(usable, master, name));
    if (sent < 0) throw new TsscError(`cannot send the terminal to console socket ${consoleSocket}: ${new SysError(-sent).message}`);
  } catch (error) {
    closeSync(slave);
    throw error;
  } finally {
    closeSync(master);
  }
  // EPERM when the caller is no session leader (a foreground `run`): it keeps its own terminal.
  if (controlling) addon.takeControllingTerminal(slave);
  return { slaveFd: slave, name };
}

/** How long a new terminal relay has to take its terminal. */
const RELAY_START_MS = 5_000;

/**
 * A host process that controls the terminal at slaveFd (which no session has yet), so that
 * what its line discipline raises (^C, ^\\, ^Z typed in cooked mode, a resize, the hangup
 * when the master closes) is not lost: the signal numbers come as bytes on the returned
 * socket (close-on-exec); the relay ends when it is closed.
 */
export function startTerminalRelay(slaveFd: number): number {
  const relay = loadConsole().startTerminalRelay(TTY_RELAY_PATH, slaveFd, RELAY_START_MS);
  if (relay < 0) throw new TsscError(`cannot give the terminal a controlling process (${TTY_RELAY_PATH}): ${new SysError(-relay).message}`);
  return relay;
}
