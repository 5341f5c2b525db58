// The console addon (native/ptrace/src/console.c): pseudo-terminals for process.terminal
// and the live size of a terminal. Loaded on first use.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ConsoleAddon {
  /** [master, slave, slave path], both close-on-exec, or -errno. */
  openPty(): [number, number, string] | number;
  /** Sends fd over the unix stream socket at path (SCM_RIGHTS) with payload: 0 or -errno. */
  sendConsole(path: string, fd: number, payload: string): number;
  /** The tty at fd becomes the caller's controlling terminal: 0 or -errno. */
  takeControllingTerminal(fd: number): number;
  /** [rows, cols] of the tty at fd right now, or -errno. */
  windowSize(fd: number): [number, number] | number;
}

const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'ptrace', 'build', 'Release');

let addon: ConsoleAddon | undefined;

export function loadConsole(): ConsoleAddon {
  if (addon) return addon;
  const addonPath = join(buildDir, 'tssc_console.node');
  if (!existsSync(addonPath)) throw new Error(`the console helper is not built (${addonPath}); run \`npm run build:native\``);
  addon = createRequire(import.meta.url)(addonPath) as ConsoleAddon;
  return addon;
}
