// The console addon (native/ptrace/src/console.c): pseudo-terminals for process.terminal,
// the live size of a terminal, and fds passed over unix sockets (SCM_RIGHTS). Loaded on first use.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ConsoleAddon {
  /** [master, slave, slave path], both close-on-exec, or -errno. */
  openPty(): [number, number, string] | number;
  /** Sends fd over the unix stream socket at path (SCM_RIGHTS) with payload: 0 or -errno. */
  sendConsole(path: string, fd: number, payload: string): number;
  /**
   * Connects to the unix stream socket at path and sends payload with fds (1 to 253) attached
   * (SCM_RIGHTS): the connected socket (close-on-exec; its reads time out after
   * receiveTimeoutMs), or -errno.
   */
  sendFds(path: string, payload: Buffer, fds: readonly number[], receiveTimeoutMs: number): number;
  /**
   * What is pending on the unix stream socket sock, without waiting: [bytes (at most
   * maxBytes), the fds attached (close-on-exec, at most 253)], or -errno (-EAGAIN: nothing yet).
   */
  receiveFds(sock: number, maxBytes: number): [Buffer, number[]] | number;
  /** The tty at fd becomes the caller's controlling terminal: 0 or -errno. */
  takeControllingTerminal(fd: number): number;
  /** [rows, cols] of the tty at fd right now, or -errno. */
  windowSize(fd: number): [number, number] | number;
  /**
   * Starts relayPath (tssc-tty-relay) as the controlling process of the tty at slaveFd, a
   * process of its own that init or a subreaper reaps: the sentry's end of a stream socket
   * on which it writes the number of each signal the terminal raises (one byte), once it
   * controls the terminal (close-on-exec), or -errno.
   */
  startTerminalRelay(relayPath: string, slaveFd: number, timeoutMs: number): number;
}



const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'ptrace', 'build', 'Release');

/** The controlling process of an exec's terminal (native/ptrace/src/tty-relay.c). */
export const TTY_RELAY_PATH = join(buildDir, 'tssc-tty-relay');

let addon: ConsoleAddon | undefined;

export function loadConsole(): ConsoleAddon {
  if (addon) return addon;
  const addonPath = join(buildDir, 'tssc_console.node');
  if (!existsSync(addonPath)) throw new Error(`the console helper is not built (${addonPath}); run \`npm run build:native\``);
  addon = createRequire(import.meta.url)(addonPath) as ConsoleAddon;
  return addon;
}
