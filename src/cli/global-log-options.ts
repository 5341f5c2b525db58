// --log and --log-format, read from the global options before commander parses anything:
// a usage error (an unknown command or option, a missing argument) must reach the log
// too, since that file is where containerd's shim and podman look for why a runtime
// command failed, and commander reports such errors before any action runs.
import { closeSync, openSync } from 'node:fs';
import type { LogFormat } from './logger.js';

export interface LogOptions {
  file?: string;
  format: LogFormat;
}

/** Global options that take a value, so their value is not taken for the command. */
const VALUED = new Set(['--root', '--log', '--log-format', '--rootless', '--criu']);

/** The log options among the global arguments (argv without node and the script). */
export function scanLogOptions(args: readonly string[]): LogOptions {
  const options: LogOptions = { format: 'text' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (VALUED.has(name)) value = args[++i];
    if (value === undefined) continue;
    if (name === '--log') options.file = value;
    else if (name === '--log-format' && (value === 'json' || value === 'text')) options.format = value;
  }
  return options;
}

/** Creates the log file if it is missing (as runc opens it at start): readers expect it. */
export function touchLog(file: string): void {
  closeSync(openSync(file, 'a', 0o644));
}
